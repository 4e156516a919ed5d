import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { closeBrowser, launchBrowser, SCREENSHOTS, watchErrors } from '../helpers/browser.js';
import { ROOT } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// examples/oidc-rp, a server-side web app using openid-client, walked through in Chromium:
// sign in at Gatehouse, consent, back with a code, signed in at the app; a second visit skips consent.
const PASSWORD = 'olga password 123';
let gatehouse: TestServer;
let browser: Browser | string | undefined;
let rp: ChildProcess | undefined;
let rpUrl: string;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

before(async () => {
  gatehouse = await startTestServer();
  await gatehouse.core.users.createUser({ username: 'olga', password: PASSWORD });
  browser = await launchBrowser();
  if (typeof browser === 'string') return;
  const port = await freePort();
  rpUrl = `http://127.0.0.1:${port}`;
  const { client, secret } = await gatehouse.core.clients.createClient({
    name: 'notes',
    scopes: '',
    redirectUris: [`${rpUrl}/callback`],
    postLogoutRedirectUris: [`${rpUrl}/`],
  });
  rp = spawn(process.execPath, ['--import', 'tsx', 'examples/oidc-rp/server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      GATEHOUSE_URL: gatehouse.url,
      GATEHOUSE_CA: join(gatehouse.data, 'tls', 'cert.pem'),
      CLIENT_ID: client.id,
      CLIENT_SECRET: secret!,
    },
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let errors = '';
    rp!.stdout!.on('data', (chunk) => {
      out += chunk;
      if (out.includes('listening on')) resolve();
    });
    rp!.stderr!.on('data', (chunk) => (errors += chunk));
    rp!.on('exit', (code) => reject(new Error(`the example exited ${code}: ${errors}`)));
  });
});
after(async () => {
  rp?.kill('SIGTERM');
  await closeBrowser(browser);
  await gatehouse.stop();
});

test('sign in, consent, back at the app signed in; the second visit skips consent; sign out ends both', async (t) => {
  if (typeof browser === 'string') return t.skip(browser);
  const context = await browser!.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${rpUrl}/`);
  await page.getByRole('link', { name: 'Sign in with Gatehouse' }).click();

  await page.waitForURL(`${gatehouse.url}/**`);
  await page.getByLabel('Username').fill('olga');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();

  // The consent page names the app and the scopes; the form posts back to Gatehouse, which redirects to the app.
  await page.getByRole('button', { name: 'Allow' }).waitFor();
  assert.match((await page.textContent('body')) ?? '', /notes/);
  await page.screenshot({ path: join(SCREENSHOTS, 'oidc-consent.png') });
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${rpUrl}/`);
  assert.equal(await page.locator('strong').textContent(), 'olga');
  const consents = await gatehouse.core.consents.listForUser((await gatehouse.core.users.findUserByName('olga'))!.id);
  assert.equal(consents.length, 1);

  // A new visit to the app (its own session gone): Gatehouse remembers the sign-in and the consent.
  await context.clearCookies({ domain: '127.0.0.1', name: 'rp' });
  await page.goto(`${rpUrl}/`);
  const visited: string[] = [];
  page.on('framenavigated', (frame) => visited.push(frame.url()));
  await page.getByRole('link', { name: 'Sign in with Gatehouse' }).click();
  await page.waitForURL(`${rpUrl}/`);
  assert.equal(await page.locator('strong').textContent(), 'olga');
  assert.ok(!visited.some((url) => url.startsWith(gatehouse.url)), `no Gatehouse page shown: ${visited.join(' ')}`);

  // Sign out at the app: RP-initiated logout with id_token_hint ends the Gatehouse session too.
  await page.getByRole('link', { name: 'Sign out' }).click();
  await page.waitForURL(`${rpUrl}/`);
  await page.getByRole('link', { name: 'Sign in with Gatehouse' }).click();
  await page.getByLabel('Username').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
