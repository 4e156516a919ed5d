import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { closeBrowser, launchBrowser, SCREENSHOTS, watchErrors } from '../helpers/browser.js';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Passkeys in Chromium (playwright-core, Debian's /usr/bin/chromium) with a
 * virtual authenticator through the DevTools protocol: a platform
 * authenticator (CTAP2, internal transport) with resident keys and user
 * verification that always verifies. The server listens on `localhost`:
 * WebAuthn refuses IP addresses as relying party IDs.
 */
const PASSWORD = 'page passkey password 1';
const now = Date.UTC(2026, 11, 1, 10, 0, 0);
let server: TestServer;
let browser: Browser | string | undefined;

before(async () => {
  server = await startTestServer({ clock: { now: () => now }, config: { host: 'localhost' } });
  await server.core.users.createUser({ username: 'vera', password: PASSWORD });
  browser = await launchBrowser();
});
after(async () => {
  await closeBrowser(browser);
  await server.stop();
});

/** A context whose pages have one virtual platform authenticator; its id, to read the credentials it holds. */
async function withAuthenticator(context: BrowserContext, page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

/** How the page's session was signed in (RFC 8176 amr), from `GET /session` with the page's cookie. */
async function authMethods(page: Page): Promise<string[]> {
  const response = await page.request.get(`${server.url}/session`);
  assert.equal(response.status(), 200);
  return ((await response.json()) as { session: { authMethods: string[] } }).session.authMethods;
}

test('passkeys in Chromium: add one from the account page, sign in with it alone and after the password, remove it', async (t) => {
  if (typeof browser === 'string') return t.skip(browser);
  const context = await browser!.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1024, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const { cdp, id } = await withAuthenticator(context, page);
  /** Removes the credential from the authenticator; returns how to put it back. */
  const takeCredentialAway = async () => {
    const [credential] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId: id })).credentials;
    await cdp.send('WebAuthn.removeCredential', { authenticatorId: id, credentialId: credential!.credentialId });
    return async () => {
      await cdp.send('WebAuthn.addCredential', { authenticatorId: id, credential: credential! });
    };
  };
  const signInWithPassword = async () => {
    await page.goto(`${server.url}/`);
    await page.getByLabel('Username').fill('vera');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  };

  // Signed in with the password a moment ago: adding a passkey needs only a name.
  await signInWithPassword();
  await page.waitForURL(`${server.url}/`);
  assert.equal(await page.locator('#no-passkeys').textContent(), 'No passkeys yet.');
  await page.getByLabel('Passkey name').fill('Work laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.waitForURL(`${server.url}/?done=passkey-added`);
  assert.deepEqual(await page.locator('#passkeys .passkey-name').allTextContents(), ['Work laptop']);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: id });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0]!.isResidentCredential, true, 'a discoverable credential');
  assert.equal(credentials[0]!.rpId, 'localhost');
  await page.locator('#passkey-section').screenshot({ path: join(SCREENSHOTS, 'passkeys-account.png') });

  // Signed out, the sign-in page offers passkeys in the username field's autofill (conditional UI): the
  // authenticator answers the page's waiting request as a person picking the passkey there would.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#whoami').waitFor();
  assert.deepEqual(await authMethods(page), ['hwk', 'user'], 'signed in from the autofill, no password typed');
  assert.equal(await page.locator('#whoami').textContent(), 'vera');

  // The button, "Sign in with a passkey": with the credential away from the authenticator while the page
  // loads, the autofill request has nothing to offer and waits; the button's request (which replaces it) finds it.
  let putBack = await takeCredentialAway();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${server.url}/`);
  assert.equal(await page.getByLabel('Username').getAttribute('autocomplete'), 'username webauthn');
  // The autofill request began (and, with nothing to offer, ended without a word on the page).
  await page.locator('html[data-passkey-autofill]').waitFor({ state: 'attached' });
  await page.screenshot({
    path: join(SCREENSHOTS, 'passkeys-sign-in.png'),
    clip: { x: 0, y: 0, width: 1024, height: 480 },
  });
  await putBack();
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.locator('#whoami').waitFor();
  assert.equal(await page.locator('#whoami').textContent(), 'vera', 'signed in, no password typed');
  assert.deepEqual(await authMethods(page), ['hwk', 'user']);

  // With a passkey, the password alone is not a sign-in: the passkey is the second step (away again, so that
  // the autofill does not sign in before the password is typed).
  putBack = await takeCredentialAway();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signInWithPassword();
  assert.equal(await page.title(), 'Two-factor sign-in · Gatehouse');
  assert.ok(
    (await context.cookies()).every((cookie) => cookie.name !== COOKIE),
    'no session cookie before the passkey',
  );
  await putBack();
  await page.getByRole('button', { name: 'Use your passkey' }).click();
  await page.locator('#whoami').waitFor();
  assert.equal(await page.locator('#whoami').textContent(), 'vera');
  assert.deepEqual(await authMethods(page), ['hwk', 'mfa', 'pwd', 'user']);

  // Rename it, then remove it: the password alone signs in again.
  const passkey = page.locator('[data-passkey]').first();
  await passkey.getByLabel('New name for the passkey Work laptop').fill('Old laptop');
  await passkey.getByRole('button', { name: 'Rename the passkey Work laptop' }).click();
  await page.waitForURL(`${server.url}/?done=passkey-renamed`);
  assert.deepEqual(await page.locator('#passkeys .passkey-name').allTextContents(), ['Old laptop']);
  await page.getByRole('button', { name: 'Remove the passkey Old laptop' }).click();
  await page.waitForURL(`${server.url}/?done=passkey-removed`);
  assert.equal(await page.locator('#no-passkeys').textContent(), 'No passkeys yet.');
  await takeCredentialAway();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signInWithPassword();
  await page.locator('#whoami').waitFor();
  assert.deepEqual(await authMethods(page), ['pwd']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the pages serve the passkey script themselves under the pages CSP (no inline script)', async () => {
  const home = await server.request('/');
  assert.match(String(home.headers['content-security-policy']), /script-src 'self'; connect-src 'self';/);
  assert.match(home.text, /<script src="assets\/passkeys\.js" defer><\/script>/);
  assert.doesNotMatch(home.text, /<script(?![^>]*\bsrc="assets\/(app|passkeys)\.js")|\bon[a-z]+=/i);
  const script = await server.request('/assets/passkeys.js');
  assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.match(script.text, /navigator\.credentials\.get/);
});
