import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Clock } from '../../src/core/shared/clock.js';
import { FormBrowser, hiddenField } from '../helpers/form-browser.js';
import { addScopes, startTestServer, type TestServer } from '../helpers/server.js';

// Each rule of the authorization endpoint and the code grant, tried as an attacker would try it.
let offset = 0;
const clock: Clock = { now: () => Date.now() + offset };
let server: TestServer;
let app: { id: string; secret: string };
let spa: string;
let other: string;
let firstParty: string;
const REDIRECT = 'https://app.example/cb';
const PASSWORD = 'olga password 123';

before(async () => {
  server = await startTestServer({ clock });
  await addScopes(server.core, 'orders:read');
  await server.core.users.createUser({ username: 'olga', password: PASSWORD, roles: ['staff'] });
  const created = await server.core.clients.createClient({
    name: 'web',
    scopes: 'orders:read',
    redirectUris: [REDIRECT, 'https://app.example/cb?tenant=1'],
    postLogoutRedirectUris: ['https://app.example/bye'],
  });
  app = { id: created.client.id, secret: created.secret! };
  const native = await server.core.clients.createClient({
    name: 'native',
    scopes: '',
    type: 'public',
    redirectUris: ['http://127.0.0.1/cb', 'com.example.app:/cb'],
  });
  spa = native.client.id;
  other = (
    await server.core.clients.createClient({ name: 'other', scopes: '', type: 'public', redirectUris: [REDIRECT] })
  ).client.id;
  firstParty = (
    await server.core.clients.createClient({
      name: 'console',
      scopes: '',
      type: 'public',
      redirectUris: [REDIRECT],
      firstParty: true,
    })
  ).client.id;
});
after(() => server.stop());

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(params: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
  return `/oauth/authorize?${query.toString()}`;
}

/** A valid request of the confidential app, with `overrides` (undefined drops a parameter). */
function request(overrides: Record<string, string | undefined> = {}, challenge = pkce().challenge) {
  return authorizeUrl({
    client_id: app.id,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid profile',
    state: 'st-1',
    nonce: 'n-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...overrides,
  });
}

async function signedInBrowser(): Promise<FormBrowser> {
  const browser = new FormBrowser(server.url, server.ca);
  const page = await browser.get('/');
  assert.equal(page.status, 200);
  const home = await browser.post('/ui/sign-in', { username: 'olga', password: PASSWORD });
  assert.match(home.text, /Signed in as/);
  return browser;
}

/** Goes through sign-in (already done) and consent; returns the redirect back to the app. */
async function consentAndReturn(browser: FormBrowser, url: string): Promise<URL> {
  const page = await browser.get(url);
  if (page.status === 303) return new URL(page.url);
  assert.equal(page.status, 200, page.text);
  const back = await browser.post('/oauth/authorize/consent', {
    interaction: hiddenField(page.text, 'interaction')!,
    decision: 'allow',
  });
  assert.equal(back.status, 303);
  return new URL(back.url);
}

function redeem(form: Record<string, string>, authorization?: string) {
  return server.request('/oauth/token', {
    form: { grant_type: 'authorization_code', redirect_uri: REDIRECT, ...form },
    headers: authorization ? { authorization } : {},
  });
}

describe('requests that cannot be sent back are shown, never redirected', () => {
  for (const [name, url] of [
    ['an unknown client', () => request({ client_id: 'nope' })],
    ['no client_id', () => request({ client_id: undefined })],
    ['no redirect_uri', () => request({ redirect_uri: undefined })],
    ['an unregistered redirect_uri', () => request({ redirect_uri: 'https://attacker.example/cb' })],
    ['a redirect_uri with a path added', () => request({ redirect_uri: `${REDIRECT}/more` })],
    ['a redirect_uri with a query changed', () => request({ redirect_uri: 'https://app.example/cb?tenant=2' })],
    ['a redirect_uri with a trailing slash', () => request({ redirect_uri: `${REDIRECT}/` })],
    ['a redirect_uri with a fragment', () => request({ redirect_uri: `${REDIRECT}#x` })],
    ['another port for a confidential app', () => request({ redirect_uri: 'https://app.example:8443/cb' })],
    ['a client_id given twice', () => `${request()}&client_id=${app.id}`],
    ['a redirect_uri given twice', () => `${request()}&redirect_uri=${encodeURIComponent(REDIRECT)}`],
  ] as const) {
    test(name, async () => {
      const response = await server.request(url());
      assert.equal(response.status, 400);
      assert.equal(response.headers.location, undefined, 'no redirect happens');
      assert.match(response.text, /This sign-in request cannot be answered/);
      assert.match(String(response.headers['content-type']), /^text\/html/);
    });
  }
});

describe('a bad rest of the request goes back to the app with an error, state and iss', () => {
  for (const [name, overrides, error] of [
    ['no PKCE', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
    ['plain PKCE', { code_challenge_method: 'plain' }, 'invalid_request'],
    [
      'PKCE without a method (RFC 7636 would default to plain)',
      { code_challenge_method: undefined },
      'invalid_request',
    ],
    ['a malformed challenge', { code_challenge: 'short' }, 'invalid_request'],
    ['the implicit flow', { response_type: 'token' }, 'unsupported_response_type'],
    ['the hybrid flow', { response_type: 'code id_token' }, 'unsupported_response_type'],
    ['an unknown scope', { scope: 'openid payroll:admin' }, 'invalid_scope'],
    ['a scope the app may not ask for', { scope: 'openid admin' }, 'invalid_scope'],
    ['prompt=none with more', { prompt: 'none login' }, 'invalid_request'],
    ['a request object', { request: 'eyJ.e30.' }, 'request_not_supported'],
    ['response_mode=fragment', { response_mode: 'fragment' }, 'invalid_request'],
  ] as const) {
    test(name, async () => {
      const response = await server.request(request(overrides as Record<string, string | undefined>));
      assert.equal(response.status, 303);
      const back = new URL(String(response.headers.location));
      assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
      assert.equal(back.searchParams.get('error'), error);
      assert.equal(back.searchParams.get('state'), 'st-1');
      assert.equal(back.searchParams.get('iss'), server.url);
    });
  }

  test('prompt=none without a session: login_required; signed in without consent: consent_required', async () => {
    const anonymous = await server.request(request({ prompt: 'none' }));
    assert.equal(new URL(String(anonymous.headers.location)).searchParams.get('error'), 'login_required');
    const browser = await signedInBrowser();
    try {
      const response = await browser.get(request({ prompt: 'none', scope: 'openid orders:read' }));
      assert.equal(new URL(response.url).searchParams.get('error'), 'consent_required');
    } finally {
      await browser.close();
    }
  });

  test('a registered redirect URI keeps its own query', async () => {
    const response = await server.request(
      request({ redirect_uri: 'https://app.example/cb?tenant=1', response_type: 'token' }),
    );
    assert.match(
      String(response.headers.location),
      /^https:\/\/app\.example\/cb\?tenant=1&error=unsupported_response_type&/,
    );
  });
});

describe('codes', () => {
  test('redeemed once, with the same redirect URI and the verifier; a second redemption revokes what the first issued', async () => {
    const browser = await signedInBrowser();
    try {
      const { verifier, challenge } = pkce();
      const back = await consentAndReturn(browser, request({ scope: 'openid orders:read' }, challenge));
      const code = back.searchParams.get('code')!;
      assert.equal(back.searchParams.get('state'), 'st-1');
      assert.equal(back.searchParams.get('iss'), server.url);
      const auth = basic(app.id, app.secret);
      // Each wrong try is refused and spends nothing.
      assert.equal((await redeem({ code, code_verifier: pkce().verifier }, auth)).json.error, 'invalid_grant');
      assert.equal((await redeem({ code }, auth)).json.error, 'invalid_grant', 'no verifier');
      const wrongRedirect = await redeem(
        { code, code_verifier: verifier, redirect_uri: 'https://app.example/cb?tenant=1' },
        auth,
      );
      assert.equal(wrongRedirect.json.error, 'invalid_grant');
      assert.equal(
        (await redeem({ code, code_verifier: verifier, client_id: other })).json.error,
        'invalid_grant',
        'another app',
      );
      const unauthenticated = await redeem({ code, code_verifier: verifier, client_id: app.id });
      assert.equal(unauthenticated.status, 401, 'a confidential app must authenticate');
      assert.equal(unauthenticated.json.error, 'invalid_client');

      const first = await redeem({ code, code_verifier: verifier }, auth);
      assert.equal(first.status, 200, first.text);
      assert.equal(first.json.scope, 'openid orders:read');
      assert.equal(decodeJwt(first.json.id_token).nonce, 'n-1');
      const access = decodeJwt(first.json.access_token);
      assert.equal(access.client_id, app.id);
      assert.equal(access.scope, 'openid orders:read');
      const bearer = { authorization: `Bearer ${first.json.access_token}` };
      assert.equal((await server.request('/oauth/userinfo', { headers: bearer })).status, 200);

      const replay = await redeem({ code, code_verifier: verifier }, auth);
      assert.equal(replay.status, 400);
      assert.equal(replay.json.error, 'invalid_grant');
      assert.equal((await server.request('/oauth/userinfo', { headers: bearer })).status, 401, 'access token revoked');
      const refresh = await server.request('/oauth/token', {
        form: { grant_type: 'refresh_token', refresh_token: first.json.refresh_token },
        headers: { authorization: auth },
      });
      assert.equal(refresh.json.error, 'invalid_grant', 'refresh family ended');
      const events = await server.core.audit.list({ type: 'authorization_code.replay' });
      assert.equal(events.length >= 1, true);
    } finally {
      await browser.close();
    }
  });

  test('a burst of 100 redemptions of one code: one wins, and even its tokens are revoked', async () => {
    const browser = await signedInBrowser();
    try {
      const { verifier, challenge } = pkce();
      const back = await consentAndReturn(browser, request({ scope: 'openid' }, challenge));
      const code = back.searchParams.get('code')!;
      const auth = basic(app.id, app.secret);
      const answers = await Promise.all(
        Array.from({ length: 100 }, () => redeem({ code, code_verifier: verifier }, auth)),
      );
      const won = answers.filter((answer) => answer.status === 200);
      assert.ok(won.length <= 1, `${won.length} redemptions succeeded`);
      assert.equal(answers.filter((answer) => answer.json?.error === 'invalid_grant').length, 100 - won.length);
      for (const winner of won) {
        const bearer = { authorization: `Bearer ${winner.json.access_token}` };
        assert.equal((await server.request('/oauth/userinfo', { headers: bearer })).status, 401);
      }
    } finally {
      await browser.close();
    }
  });

  test('a code expires after 60 seconds', async () => {
    const browser = await signedInBrowser();
    try {
      const { verifier, challenge } = pkce();
      const back = await consentAndReturn(browser, request({ scope: 'openid' }, challenge));
      offset += 61_000;
      const late = await redeem(
        { code: back.searchParams.get('code')!, code_verifier: verifier },
        basic(app.id, app.secret),
      );
      assert.equal(late.json.error, 'invalid_grant');
      assert.match(late.json.error_description, /expired/);
    } finally {
      offset = 0;
      await browser.close();
    }
  });
});

describe('consent', () => {
  test('refused: access_denied; posted from another site: 403 and no code', async () => {
    const browser = await signedInBrowser();
    try {
      const page = await browser.get(request({ scope: 'openid orders:read', prompt: 'consent' }));
      assert.match(page.text, /data-scope="orders:read"/);
      assert.match(page.text, /The orders:read scope of a test\./, 'the registry’s description');
      const interaction = hiddenField(page.text, 'interaction')!;
      const forged = await browser.post('/oauth/authorize/consent', { interaction, decision: 'allow' }, 'cross-site');
      assert.equal(forged.status, 403);
      assert.equal(forged.headers.location, undefined);
      const denied = await browser.post('/oauth/authorize/consent', { interaction, decision: 'deny' });
      assert.equal(new URL(denied.url).searchParams.get('error'), 'access_denied');
      const twice = await browser.post('/oauth/authorize/consent', { interaction, decision: 'allow' });
      assert.equal(twice.status, 400, 'an answered request cannot be answered again');
    } finally {
      await browser.close();
    }
  });

  test('remembered per app; prompt=consent asks again; revoking on the account page ends the app’s tokens', async () => {
    const browser = await signedInBrowser();
    try {
      const { verifier, challenge } = pkce();
      const first = await consentAndReturn(browser, request({ scope: 'openid orders:read' }, challenge));
      const tokens = await redeem(
        { code: first.searchParams.get('code')!, code_verifier: verifier },
        basic(app.id, app.secret),
      );
      assert.equal(tokens.status, 200);
      const again = await browser.get(request({ scope: 'openid' }));
      assert.equal(again.status, 303, 'no second consent for what was agreed');
      const asked = await browser.get(request({ scope: 'openid', prompt: 'consent' }));
      assert.equal(asked.status, 200);
      assert.match(asked.text, /asks to use your account/);

      const account = await browser.get('/');
      assert.match(account.text, /Apps with access/);
      assert.match(account.text, new RegExp(`data-app="${app.id}"`));
      const revoked = await browser.post(`/ui/apps/${app.id}/revoke`, {});
      assert.match(revoked.text, /The app no longer has access/);
      const bearer = { authorization: `Bearer ${tokens.json.access_token}` };
      assert.equal((await server.request('/oauth/userinfo', { headers: bearer })).status, 401);
      const refresh = await server.request('/oauth/token', {
        form: { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token },
        headers: { authorization: basic(app.id, app.secret) },
      });
      assert.equal(refresh.json.error, 'invalid_grant');
    } finally {
      await browser.close();
    }
  });

  test('a first-party app asks nothing, and its consent is recorded', async () => {
    const browser = await signedInBrowser();
    try {
      const { challenge } = pkce();
      const response = await browser.get(request({ client_id: firstParty, scope: 'openid' }, challenge));
      assert.equal(response.status, 303);
      assert.match(response.url, /code=/);
      const user = await server.core.users.findUserByName('olga');
      assert.deepEqual((await server.core.consents.find(user!.id, firstParty))?.scopes, ['openid']);
    } finally {
      await browser.close();
    }
  });
});

describe('sign-in', () => {
  test('without a session the sign-in page comes first, with login_hint; prompt=login and max_age=0 ask again', async () => {
    const browser = new FormBrowser(server.url, server.ca);
    try {
      const page = await browser.get(request({ login_hint: 'olga' }));
      assert.match(page.url, /\?return_to=/);
      assert.match(page.text, /value="olga"/, 'login_hint prefills the username');
      const consent = await browser.post('/ui/sign-in', {
        username: 'olga',
        password: PASSWORD,
        return_to: hiddenField(page.text, 'return_to')!,
      });
      assert.match(consent.text, /asks to use your account/);
      for (const overrides of [{ prompt: 'login' }, { max_age: '0' }]) {
        const again = await browser.get(request({ scope: 'openid', ...overrides }));
        assert.equal(again.status, 200);
        assert.match(again.text, /<h1>Sign in<\/h1>/, `${JSON.stringify(overrides)} shows the sign-in form`);
      }
    } finally {
      await browser.close();
    }
  });

  test('a public native app may use any port of its loopback redirect, and a private-use scheme', async () => {
    const browser = await signedInBrowser();
    try {
      for (const redirect of ['http://127.0.0.1:53117/cb', 'com.example.app:/cb']) {
        const page = await browser.get(request({ client_id: spa, redirect_uri: redirect, scope: 'openid' }));
        assert.equal(page.status, 200, redirect);
        assert.match(page.text, /asks to use your account/);
      }
      const otherPath = await server.request(request({ client_id: spa, redirect_uri: 'http://127.0.0.1:53117/other' }));
      assert.equal(otherPath.status, 400);
    } finally {
      await browser.close();
    }
  });
});

describe('what an app’s token may do here', () => {
  test('no account management, no admin; userinfo refuses credentials without openid', async () => {
    const browser = await signedInBrowser();
    try {
      const { verifier, challenge } = pkce();
      const back = await consentAndReturn(browser, request({ scope: 'openid orders:read' }, challenge));
      const tokens = await redeem(
        { code: back.searchParams.get('code')!, code_verifier: verifier },
        basic(app.id, app.secret),
      );
      const bearer = { authorization: `Bearer ${tokens.json.access_token}` };
      assert.equal((await server.request('/session', { headers: bearer })).json.code, 'ERR_SESSION_REQUIRED');
      assert.equal((await server.request('/admin/users', { headers: bearer })).status, 403);
      // The user's own token (POST /token) holds no OpenID scope: userinfo is not for it.
      const cookie = (await browser.jar.getCookieString(server.url)) ?? '';
      const own = await server.request('/token', { headers: { cookie, origin: server.url }, json: {} });
      const ownInfo = await server.request('/oauth/userinfo', {
        headers: { authorization: `Bearer ${own.json.access_token}` },
      });
      assert.equal(ownInfo.status, 403);
      assert.match(String(ownInfo.headers['www-authenticate']), /insufficient_scope/);
      // The app's refresh token is the app's: the user client and another app cannot use it.
      for (const form of [{}, { client_id: other }, { client_id: 'gatehouse' }] as Record<string, string>[]) {
        const stolen = await server.request('/oauth/token', {
          form: { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token, ...form },
        });
        assert.equal(stolen.json.error, 'invalid_grant', JSON.stringify(form));
      }
    } finally {
      await browser.close();
    }
  });

  test('CORS: a browser app may call the token and userinfo endpoints from its origin, without cookies', async () => {
    const preflight = await server.request('/oauth/userinfo', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], '*');
    assert.match(String(preflight.headers['access-control-allow-headers']), /authorization/);
    const token = await server.request('/oauth/token', {
      form: { grant_type: 'nope' },
      headers: { origin: 'https://app.example' },
    });
    assert.equal(token.headers['access-control-allow-origin'], '*');
    assert.equal(token.headers['access-control-allow-credentials'], undefined);
  });
});

describe('RP-initiated logout', () => {
  test('an unregistered post_logout_redirect_uri is refused; without a hint the user is asked; a forged confirmation is 403', async () => {
    const browser = await signedInBrowser();
    try {
      const open = await browser.get(
        `/oauth/logout?client_id=${app.id}&post_logout_redirect_uri=${encodeURIComponent('https://attacker.example/')}`,
      );
      assert.equal(open.status, 400);
      const noApp = await browser.get(
        `/oauth/logout?post_logout_redirect_uri=${encodeURIComponent('https://app.example/bye')}`,
      );
      assert.equal(noApp.status, 400);
      const badHint = await browser.get('/oauth/logout?id_token_hint=eyJhbGciOiJub25lIn0.e30.');
      assert.equal(badHint.status, 400);
      const ask = await browser.get(
        `/oauth/logout?client_id=${app.id}&post_logout_redirect_uri=${encodeURIComponent('https://app.example/bye')}&state=s`,
      );
      assert.equal(ask.status, 200);
      assert.match(ask.text, /Sign out of Gatehouse\?/);
      const fields = { client_id: app.id, post_logout_redirect_uri: 'https://app.example/bye', state: 's' };
      assert.equal((await browser.post('/oauth/logout/confirm', fields, 'cross-site')).status, 403);
      assert.equal((await browser.get('/session')).status, 200, 'still signed in');
      const out = await browser.post('/oauth/logout/confirm', fields);
      assert.equal(out.url, 'https://app.example/bye?state=s');
      assert.equal((await browser.get('/session')).status, 401);
    } finally {
      await browser.close();
    }
  });
});

test('metrics count authorize outcomes, codes and consents (after the tests above)', async () => {
  const metrics = (await server.request('/metrics')).text;
  const value = (line: string) =>
    Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(metrics)?.[1]);
  assert.ok(value('gatehouse_authorizations_total{outcome="code"}') >= 5);
  assert.ok(value('gatehouse_authorizations_total{outcome="access_denied"}') >= 1);
  assert.ok(value('gatehouse_authorizations_total{outcome="login_required"}') >= 1);
  assert.ok(value('gatehouse_authorization_codes_total{event="replayed"}') >= 2);
  assert.ok(value('gatehouse_authorization_codes_total{event="redeemed"}') >= 3);
  assert.ok(value('gatehouse_consents_total{event="granted"}') >= 2);
  assert.equal(value('gatehouse_consents_total{event="revoked"}'), 1);
  assert.ok(value('gatehouse_tokens_issued_total{grant="authorization_code"}') >= 3);
});
