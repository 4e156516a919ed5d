import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import type { Clock } from '../../src/core/shared/clock.js';
import { closeBrowser, launchBrowser, watchErrors } from '../helpers/browser.js';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';
import { authorizePath, REDIRECT } from './authorize-url.js';

// Issue #22, defect 1, in Debian's Chromium: re-authentication with
// prompt=login for one app while another app holds a refresh token.
const PASSWORD = 'nina password 123';
let offset = 0;
const clock: Clock = { now: () => Date.now() + offset };
let server: TestServer;
let browser: Browser | string | undefined;
let web: { id: string; secret: string };
let spa: string;

before(async () => {
  server = await startTestServer({ clock });
  await server.core.users.createUser({ username: 'nina', password: PASSWORD });
  const created = await server.core.clients.createClient({ name: 'web', scopes: '', redirectUris: [REDIRECT] });
  web = { id: created.client.id, secret: created.secret! };
  spa = (await server.core.clients.createClient({ name: 'spa', scopes: '', type: 'public', redirectUris: [REDIRECT] }))
    .client.id;
  browser = await launchBrowser();
});
after(async () => {
  await closeBrowser(browser);
  await server.stop();
});

const webAuth = () => `Basic ${Buffer.from(`${web.id}:${web.secret}`).toString('base64')}`;

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

const authorizeUrl = (clientId: string, challenge: string, extra: Record<string, string> = {}) =>
  `${server.url}${authorizePath(clientId, challenge, extra)}`;

/** Signs in on the page shown, allows the app, and returns the code the app's redirect URI received. */
async function signInAndAllow(page: Page, url: string): Promise<string> {
  await page.goto(url);
  await page.getByLabel('Username').fill('nina');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${REDIRECT}?**`);
  const code = new URL(page.url()).searchParams.get('code');
  assert.ok(code, page.url());
  return code;
}

async function sessionCookie(page: Page): Promise<string> {
  const cookie = (await page.context().cookies(server.url)).find((item) => item.name === COOKIE);
  assert.ok(cookie, 'a session cookie');
  return cookie.value;
}

test(
  'defect 1 in Chromium: prompt=login for one app keeps the session; the other app keeps refreshing',
  { timeout: 120_000 },
  async (t) => {
    if (typeof browser === 'string') return t.skip(browser);
    const context = await browser!.newContext({ ignoreHTTPSErrors: true });
    // The apps' redirect URI: answered here, as the app's server would.
    await context.route('https://app.example/**', (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>app</title>' }),
    );
    const page = await context.newPage();
    const errors = watchErrors(page);
    try {
      // App A (confidential): code flow, refresh token without offline_access.
      const a = pkce();
      const codeA = await signInAndAllow(page, authorizeUrl(web.id, a.challenge));
      const tokensA = await server.request('/oauth/token', {
        form: { grant_type: 'authorization_code', redirect_uri: REDIRECT, code: codeA, code_verifier: a.verifier },
        headers: { authorization: webAuth() },
      });
      assert.equal(tokensA.status, 200, tokensA.text);
      const first = await sessionCookie(page);
      const sid = decodeJwt(tokensA.json.id_token).sid;

      // App B asks the same browser to sign in again.
      offset += 5_000;
      const b = pkce();
      const codeB = await signInAndAllow(page, authorizeUrl(spa, b.challenge, { prompt: 'login' }));
      const tokensB = await server.request('/oauth/token', {
        form: {
          grant_type: 'authorization_code',
          redirect_uri: REDIRECT,
          code: codeB,
          code_verifier: b.verifier,
          client_id: spa,
        },
      });
      assert.equal(tokensB.status, 200, tokensB.text);
      const idB = decodeJwt(tokensB.json.id_token);
      assert.equal(idB.sid, sid, 'the same session');
      assert.ok(idB.auth_time! > decodeJwt(tokensA.json.id_token).auth_time!, 'a later auth_time');

      const second = await sessionCookie(page);
      assert.notEqual(second, first, 'a new token');
      assert.equal((await server.request('/get-info', { cookie: `${COOKIE}=${first}` })).status, 401);
      assert.equal((await server.request('/get-info', { cookie: `${COOKIE}=${second}` })).status, 200);
      const refreshed = await server.request('/oauth/token', {
        form: { grant_type: 'refresh_token', refresh_token: tokensA.json.refresh_token },
        headers: { authorization: webAuth() },
      });
      assert.equal(refreshed.status, 200, `app A still refreshes: ${refreshed.text}`);

      // The browser is still signed in to Gatehouse, as the same session.
      await page.goto(`${server.url}/`);
      assert.match((await page.textContent('body')) ?? '', /Signed in as/);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  },
);
