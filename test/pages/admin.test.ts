import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { APPLICATION } from '../../src/core/audit/audit.js';
import { closeBrowser, launchBrowser, SCREENSHOTS, watchErrors } from '../helpers/browser.js';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'admin page password 1';
let server: TestServer;
let browser: Browser | string | undefined;

before(async () => {
  server = await startTestServer();
  await server.core.users.createUser({ username: 'root', password: PASSWORD, roles: ['admin'] });
  const carol = await server.core.users.createUser({ username: 'carol', password: PASSWORD });
  // An app carol let in, for the admin to see and revoke (issue #22).
  const notes = await server.core.clients.createClient({
    name: 'notes',
    scopes: '',
    type: 'public',
    redirectUris: ['http://127.0.0.1/cb'],
  });
  await server.core.consents.grant(carol.id, notes.client.id, ['openid', 'profile'], { actor: APPLICATION });
  browser = await launchBrowser();
});
after(async () => {
  await closeBrowser(browser);
  await server.stop();
});

const login = (username: string, password = PASSWORD) => server.request('/login', { form: { username, password } });
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const clientToken = (id: string, secret: string) =>
  server.request('/oauth/token', {
    form: { grant_type: 'client_credentials' },
    headers: { authorization: basic(id, secret) },
  });

test('the admin walk-through in Chromium: users, clients, signing keys, audit log', async (t) => {
  if (typeof browser === 'string') return t.skip(browser);
  const context = await browser!.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${server.url}/`);
  await page.getByLabel('Username').fill('root');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('link', { name: 'Administration' }).click();
  await page.waitForURL(`${server.url}/admin`);

  // Users: create, search, roles, password reset, disable and enable, sign out everywhere.
  await page.getByLabel('Username').fill('dave');
  await page.getByLabel('Password', { exact: true }).fill('dave first password 1');
  await page.getByLabel('Roles', { exact: true }).fill('ops');
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.waitForURL(`${server.url}/admin?done=user-created`);
  assert.equal(await page.getByRole('status').textContent(), 'The user is created.');
  assert.deepEqual((await server.core.users.findUserByName('dave'))?.roles, ['ops']);
  assert.equal((await login('dave', 'dave first password 1')).status, 200);

  await page.getByLabel('Search').fill('car');
  await page.getByRole('button', { name: 'Search' }).click();
  assert.deepEqual(
    await page.locator('tr[data-user]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-user'))),
    ['carol'],
  );

  await page.getByLabel('Roles of carol').fill('auditor ops');
  await page.getByRole('button', { name: 'Save roles' }).click();
  await page.waitForURL(/done=user-updated/);
  assert.deepEqual((await server.core.users.findUserByName('carol'))?.roles.sort(), ['auditor', 'ops']);

  const carolBefore = `${COOKIE}=${(await login('carol')).setCookie(COOKIE)}`;
  await page.getByLabel('New password for carol').fill('carol reset password 2');
  await page.locator('tr[data-user="carol"]').getByRole('button', { name: 'Reset password' }).click();
  await page.waitForURL(/done=user-updated/);
  assert.equal((await login('carol')).status, 401);
  assert.equal((await login('carol', 'carol reset password 2')).status, 200);
  assert.equal((await server.request('/get-info', { cookie: carolBefore })).status, 401, 'a reset ends the sessions');

  await page.getByRole('button', { name: 'Disable carol' }).click();
  await page.waitForURL(/done=user-updated/);
  assert.equal((await login('carol', 'carol reset password 2')).status, 401);
  await page.getByRole('button', { name: 'Enable carol' }).click();
  await page.waitForURL(/done=user-updated/);
  const carol = `${COOKIE}=${(await login('carol', 'carol reset password 2')).setCookie(COOKIE)}`;
  assert.equal((await server.request('/get-info', { cookie: carol })).status, 200);
  await page.getByRole('button', { name: 'Sign out carol everywhere' }).click();
  await page.waitForURL(/done=sessions-revoked/);
  assert.equal((await server.request('/get-info', { cookie: carol })).status, 401);
  // Her consents, listed with her: revoking one ends every token of it (issue #22).
  const carolId = (await server.core.users.findUserByName('carol'))!.id;
  const notesId = (await server.core.clients.findClient('notes'))!.id;
  await page.getByRole('button', { name: 'Revoke notes (openid profile) for carol' }).click();
  await page.waitForURL(/done=consent-revoked/);
  assert.equal(await server.core.consents.find(carolId, notesId), null);
  assert.equal(await page.locator('tr[data-user="carol"] form[data-consent]').count(), 0);
  // An administrator's own row changes nothing here: that is the account page's job, with the password (#14).
  assert.equal(await page.locator('tr[data-user="root"] form').count(), 0, 'no form acts on the admin themself');
  assert.match((await page.locator('tr[data-user="root"]').textContent())!, /your account/);
  const ownId = (await server.core.users.findUserByName('root'))!.id;
  assert.equal(
    (
      await page.request.post(`${server.url}/admin/ui/users/${ownId}/password`, {
        form: { password: 'a password by the back door 1' },
        headers: { origin: server.url },
      })
    ).status(),
    200,
    'a forged form post is answered on the page…',
  );
  assert.equal((await login('root', 'a password by the back door 1')).status, 401, '…and changes nothing');

  // Scopes: added with a description (and roles), then granted; removed, they stop counting.
  await page.getByLabel('Scope', { exact: true }).fill('orders:read');
  await page.getByLabel('What it allows').fill('Read the orders');
  await page.getByRole('button', { name: 'Add scope' }).click();
  await page.waitForURL(/done=scope-added/);
  assert.equal(await page.locator('tr[data-scope="orders:read"] td').nth(2).innerText(), 'Read the orders');
  assert.equal(await page.locator('tr[data-scope="admin"]').getByRole('button').count(), 0, 'reserved');

  // Service clients: the secret is shown once, works, rotates, and the client goes.
  await page.getByLabel('Name', { exact: true }).fill('billing');
  await page.getByLabel('Scopes', { exact: true }).fill('orders:read');
  await page.getByRole('button', { name: 'Create client' }).click();
  const first = await page.getByLabel('The client secret').inputValue();
  const clientId = (await server.core.clients.listClients()).find((client) => client.name === 'billing')!.id;
  assert.equal((await clientToken(clientId, first)).status, 200);
  await page.screenshot({ path: join(SCREENSHOTS, 'admin.png'), fullPage: true });
  await page.getByRole('button', { name: 'Rotate secret of billing' }).click();
  const second = await page.getByLabel('The client secret').inputValue();
  assert.notEqual(second, first);
  assert.equal((await clientToken(clientId, first)).status, 401);
  assert.equal((await clientToken(clientId, second)).status, 200);
  await page.getByRole('button', { name: 'Remove billing' }).click();
  await page.waitForURL(/done=client-removed/);
  assert.equal((await clientToken(clientId, second)).status, 401);
  // An app users sign in to: public (no secret shown), its redirect URIs one per line, first-party.
  await page.getByLabel('Name', { exact: true }).fill('spa');
  await page.getByLabel('Type').selectOption('public');
  await page.getByLabel(/^Redirect URIs/).fill('https://spa.example/cb\nhttp://127.0.0.1/cb');
  await page.getByLabel('Post-logout redirect URIs, one per line').fill('https://spa.example/');
  await page.getByLabel(/First-party/).check();
  await page.getByRole('button', { name: 'Create client' }).click();
  await page.waitForURL(/done=client-created/);
  assert.equal(await page.getByLabel('The client secret').count(), 0);
  const spa = (await server.core.clients.listClients()).find((client) => client.name === 'spa')!;
  assert.deepEqual(
    { type: spa.type, redirectUris: spa.redirectUris, logout: spa.postLogoutRedirectUris, firstParty: spa.firstParty },
    {
      type: 'public',
      redirectUris: ['https://spa.example/cb', 'http://127.0.0.1/cb'],
      logout: ['https://spa.example/'],
      firstParty: true,
    },
  );
  assert.deepEqual(spa.grantTypes, ['authorization_code', 'refresh_token']);
  assert.equal(await page.getByRole('button', { name: 'Rotate secret of spa' }).count(), 0);
  // A redirect URI the registry refuses: the form answers with the reason, nothing is stored.
  await page.getByLabel('Name', { exact: true }).fill('bad');
  await page.getByLabel(/^Redirect URIs/).fill('http://evil.example/cb');
  await page.getByRole('button', { name: 'Create client' }).click();
  assert.match(await page.locator('body').innerText(), /http is allowed only to the loopback interface/);
  assert.equal((await server.core.clients.listClients()).filter((client) => client.name === 'bad').length, 0);
  await page.goto(`${server.url}/admin`);
  await page.getByRole('button', { name: 'Remove spa' }).click();
  await page.waitForURL(/done=client-removed/);
  await page.getByRole('button', { name: 'Remove orders:read' }).click();
  await page.waitForURL(/done=scope-removed/);
  assert.equal(await page.locator('tr[data-scope="orders:read"]').count(), 0);

  // Signing keys: a rotation adds an active key and keeps the old one published.
  const kidsBefore = (await server.request('/.well-known/jwks.json')).json.keys.length;
  await page.getByRole('button', { name: 'Rotate the signing key' }).click();
  await page.waitForURL(/done=key-rotated/);
  assert.equal((await server.request('/.well-known/jwks.json')).json.keys.length, kidsBefore + 1);

  // Audit log, filtered.
  await page.getByLabel('Event').fill('user.create');
  await page.getByRole('button', { name: 'Filter' }).click();
  const rows = await page.locator('table.audit tbody tr').allTextContents();
  assert.ok(rows.length >= 1 && rows.every((row) => row.includes('user.create')));
  assert.ok(
    rows.some((row) => row.includes('dave') && row.includes('root')),
    'who and by whom, by name',
  );
  assert.deepEqual(errors, []);
  await context.close();
});

test('a user without the admin role is refused, in the page and in its forms', async () => {
  const cookie = `${COOKIE}=${(await login('dave', 'dave first password 1')).setCookie(COOKIE)}`;
  const page = await server.request('/admin', { cookie });
  assert.equal(page.status, 403);
  assert.match(page.text, /Administration needs the <code>admin<\/code> role/);
  const forged = await server.request('/admin/ui/users', {
    cookie,
    form: { username: 'eve', password: 'eve wants in 1234' },
  });
  assert.equal(forged.status, 403);
  assert.equal(await server.core.users.findUserByName('eve'), null);
  assert.equal((await server.request('/admin')).status, 303, 'signed out: to the sign-in form');
});
