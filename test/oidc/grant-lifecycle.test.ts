import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import { generate } from 'otplib';
import { hashSecret } from '../../src/core/shared/secrets.js';
import { runCLI } from '../helpers/process.js';
import { FormBrowser, hiddenField } from '../helpers/form-browser.js';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Issue #22, defects 2 to 4, over HTTPS: what ends an app's grant (its
 * access tokens, refresh tokens, offline ones included), and what must not.
 * An app here is a public native client with refresh tokens, as a phone app is.
 */
const PASSWORD = 'grant life cycle password 1';
const NEW_PASSWORD = 'grant life cycle password 2';
const REDIRECT = 'http://127.0.0.1/cb';
let server: TestServer;
let app: string;
let otherApp: string;
let adminCookie: string;

interface Tokens {
  access_token: string;
  refresh_token: string;
  scope: string;
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function login(username: string, password = PASSWORD): Promise<string> {
  const response = await server.request('/login', { json: { username, password } });
  assert.equal(response.status, 200, response.text);
  return `${COOKIE}=${response.setCookie(COOKIE)}`;
}

async function signedInBrowser(username: string): Promise<FormBrowser> {
  const browser = new FormBrowser(server.url, server.ca);
  await browser.get('/');
  const home = await browser.post('/ui/sign-in', { username, password: PASSWORD });
  assert.match(home.text, /Signed in as/);
  return browser;
}

/** The app's authorization code for `scope`, through consent, with its verifier. */
async function authorize(browser: FormBrowser, scope: string) {
  const { verifier, challenge } = pkce();
  const query = new URLSearchParams({
    client_id: app,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  let page = await browser.get(`/oauth/authorize?${query.toString()}`);
  if (page.status === 200) {
    page = await browser.post('/oauth/authorize/consent', {
      interaction: hiddenField(page.text, 'interaction')!,
      decision: 'allow',
    });
  }
  assert.equal(page.status, 303, page.text);
  return { code: new URL(page.url).searchParams.get('code')!, verifier };
}

function redeem(form: Record<string, string>) {
  return server.request('/oauth/token', {
    form: { grant_type: 'authorization_code', redirect_uri: REDIRECT, client_id: app, ...form },
  });
}

function refresh(refreshToken: string) {
  return server.request('/oauth/token', {
    form: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: app },
  });
}

/** A new user, signed in, whose app holds an `offline_access` grant: the code's tokens. */
async function offlineGrant(username: string, scope = 'openid profile offline_access') {
  const user = await server.core.users.createUser({ username, password: PASSWORD });
  const browser = await signedInBrowser(username);
  try {
    const { code, verifier } = await authorize(browser, scope);
    const tokens = await redeem({ code, code_verifier: verifier });
    assert.equal(tokens.status, 200, tokens.text);
    return { user, tokens: tokens.json as Tokens, code, verifier };
  } finally {
    await browser.close();
  }
}

const userinfo = (accessToken: string) =>
  server.request('/oauth/userinfo', { headers: { authorization: `Bearer ${accessToken}` } });

/** Asserts that the app's grant still works: its access token, and a refresh (returns the rotated tokens). */
async function assertLive(tokens: Tokens, where: string): Promise<Tokens> {
  assert.equal((await userinfo(tokens.access_token)).status, 200, `${where}: access token`);
  const next = await refresh(tokens.refresh_token);
  assert.equal(next.status, 200, `${where}: refresh: ${next.text}`);
  return next.json as Tokens;
}

/** Asserts that every token of the grant is refused, and that the database holds no refresh token of it. */
async function assertEnded(userId: string, tokens: Tokens, where: string): Promise<void> {
  const info = await userinfo(tokens.access_token);
  assert.equal(info.status, 401, `${where}: access token`);
  const next = await refresh(tokens.refresh_token);
  assert.equal(next.status, 400, `${where}: refresh`);
  assert.equal(next.json.error, 'invalid_grant');
  const row = await server.core.store.findRefreshTokenByHash(hashSecret(tokens.refresh_token.slice(4)));
  assert.equal(row, null, `${where}: the refresh token is gone from the database`);
  const left = (await server.core.store.listUserConsents(userId)).map((consent) => consent.grantId);
  assert.equal(left.includes(String(decodeJwt(tokens.access_token).gid)), false, `${where}: the grant is over`);
}

async function grantEndEvents(userId: string, reason: string) {
  const events = await server.core.audit.list({ type: 'grant.end', userId });
  return events.filter((event) => (event.detail as { reason?: string } | null)?.reason === reason);
}

before(async () => {
  server = await startTestServer();
  app = (
    await server.core.clients.createClient({ name: 'phone', scopes: '', type: 'public', redirectUris: [REDIRECT] })
  ).client.id;
  otherApp = (
    await server.core.clients.createClient({ name: 'other', scopes: '', type: 'public', redirectUris: [REDIRECT] })
  ).client.id;
  await server.core.users.createUser({ username: 'root', password: PASSWORD, roles: ['admin'] });
  adminCookie = await login('root');
});
after(() => server.stop());

const asAdmin = (path: string, options: { method?: string; json?: unknown } = {}) =>
  server.request(path, { ...options, cookie: adminCookie, headers: { origin: server.url } });

describe(
  'defect 2: credential changes end every grant of the account, offline ones included',
  { timeout: 120_000 },
  () => {
    test('defect 2: an offline refresh token ends with a password reset (gatehouse user passwd)', async () => {
      const { user, tokens } = await offlineGrant('pat');
      const live = await assertLive(tokens, 'before');
      const result = await runCLI(['user', 'passwd', 'pat', '--password-stdin', '--data', server.data], {
        input: `${NEW_PASSWORD}\n`,
        built: true,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /all sessions, tokens, API keys and app grants ended/);
      // Another process changed the database: this server's read cache sees it within its time to live (500 ms).
      await sleep(700);
      await assertEnded(user.id, live, 'after gatehouse user passwd');
      assert.equal((await grantEndEvents(user.id, 'password_reset')).length, 1);
    });

    test("defect 2: an offline refresh token ends with an administrator's password reset", async () => {
      const { user, tokens } = await offlineGrant('paula');
      const reset = await asAdmin(`/admin/users/${user.id}`, { method: 'PATCH', json: { password: NEW_PASSWORD } });
      assert.equal(reset.status, 200, reset.text);
      await assertEnded(user.id, tokens, 'after the reset');
      assert.equal((await grantEndEvents(user.id, 'password_reset')).length, 1);
    });

    test("defect 2: an offline refresh token ends with the user's own password change", async () => {
      const { user, tokens } = await offlineGrant('petra');
      const cookie = await login('petra');
      const changed = await server.request('/password', {
        json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
        cookie,
        headers: { origin: server.url },
      });
      assert.equal(changed.status, 204, changed.text);
      await assertEnded(user.id, tokens, 'after the change');
      assert.equal((await grantEndEvents(user.id, 'password_change')).length, 1);
      // The consent stands (a new grant): the user is not asked again, and a new sign-in gets new tokens.
      assert.equal((await server.core.consents.find(user.id, app))?.scopes.includes('offline_access'), true);
    });

    test("defect 2: an offline refresh token ends with the administrator's sign-out everywhere", async () => {
      const { user, tokens } = await offlineGrant('pia');
      const signedOut = await asAdmin(`/admin/users/${user.id}/sessions`, { method: 'DELETE' });
      assert.equal(signedOut.status, 200, signedOut.text);
      await assertEnded(user.id, tokens, 'after sign-out everywhere');
      assert.equal((await grantEndEvents(user.id, 'sign_out_everywhere')).length, 1);
    });

    test('defect 2: an offline refresh token ends when two-factor sign-in is turned on', async () => {
      const { user, tokens } = await offlineGrant('polly');
      const cookie = await login('polly');
      const started = await server.request('/two-factor', {
        json: { password: PASSWORD },
        cookie,
        headers: { origin: server.url },
      });
      assert.equal(started.status, 201, started.text);
      const secret = String(started.json.secret);
      const confirmed = await server.request('/two-factor/confirm', {
        json: { code: await generate({ secret, epoch: Math.floor(Date.now() / 1000) }) },
        cookie,
        headers: { origin: server.url },
      });
      assert.equal(confirmed.status, 200, confirmed.text);
      await assertEnded(user.id, tokens, 'after two-factor on');
      assert.equal((await grantEndEvents(user.id, 'two_factor_enabled')).length, 1);
    });

    test("defect 2: a user's deletion ends their grants, recorded as every other ending", async () => {
      const { user, tokens } = await offlineGrant('penny');
      const deleted = await asAdmin(`/admin/users/${user.id}`, { method: 'DELETE' });
      assert.equal(deleted.status, 204, deleted.text);
      await assertEnded(user.id, tokens, 'after the deletion');
      assert.equal((await grantEndEvents(user.id, 'user_deleted')).length, 1);
    });

    test("defect 2: an administrator lists and revokes a user's consents (API, CLI)", async () => {
      const { user, tokens } = await offlineGrant('perry');
      const listed = await asAdmin(`/admin/users/${user.id}/consents`);
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(
        listed.json.consents.map((item: { clientId: string; name: string; scopes: string[] }) => [
          item.clientId,
          item.name,
          item.scopes,
        ]),
        [[app, 'phone', ['offline_access', 'openid', 'profile']]],
      );
      const cli = await runCLI(['consents', 'list', 'perry', '--json', '--data', server.data], { built: true });
      assert.equal(cli.code, 0, cli.stderr);
      assert.deepEqual(
        JSON.parse(cli.stdout).map((item: { clientId: string }) => item.clientId),
        [app],
      );
      const unknown = await asAdmin(`/admin/users/${user.id}/consents/${otherApp}`, { method: 'DELETE' });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.code, 'ERR_NOT_FOUND');
      const revoked = await asAdmin(`/admin/users/${user.id}/consents/${app}`, { method: 'DELETE' });
      assert.equal(revoked.status, 204, revoked.text);
      await assertEnded(user.id, tokens, 'after the revocation');
      assert.deepEqual((await asAdmin(`/admin/users/${user.id}/consents`)).json.consents, []);
      const again = await runCLI(['consents', 'revoke', 'perry', 'phone', '--data', server.data], { built: true });
      assert.equal(again.code, 1);
      assert.equal(again.stderr, 'gatehouse: Not found.\n');
    });
  },
);

describe('defect 3: revoking a grant refuses every token of it', { timeout: 120_000 }, () => {
  test('defect 3: access tokens minted by refreshes die with a replayed code', async () => {
    const { user, tokens, code, verifier } = await offlineGrant('quinn');
    const refreshed = await assertLive(tokens, 'before');
    const again = await refresh(refreshed.refresh_token);
    assert.equal(again.status, 200);
    const minted = again.json as Tokens;
    assert.equal(decodeJwt(minted.access_token).gid, decodeJwt(tokens.access_token).gid, 'one grant, one gid');
    // The code again, by its app, with its redirect URI and verifier: a real replay.
    const replay = await redeem({ code, code_verifier: verifier });
    assert.equal(replay.status, 400);
    assert.equal(replay.json.error, 'invalid_grant');
    for (const [name, token] of [
      ['the code’s own access token', tokens.access_token],
      ['the first refresh’s', refreshed.access_token],
      ['the second refresh’s', minted.access_token],
    ] as const) {
      assert.equal((await userinfo(token)).status, 401, name);
    }
    await assertEnded(user.id, minted, 'after the replay');
  });

  test('defect 3: a re-consent does not revive old tokens', async () => {
    const { user, tokens } = await offlineGrant('rosa');
    const browser = await signedInBrowser('rosa');
    try {
      const revoked = await browser.post(`/ui/apps/${app}/revoke`, {});
      assert.equal(revoked.status, 200, revoked.text);
      assert.equal((await userinfo(tokens.access_token)).status, 401, 'revoked');
      // Consent again, to openid alone: a new grant, which the old tokens are not of.
      const { code, verifier } = await authorize(browser, 'openid');
      const fresh = await redeem({ code, code_verifier: verifier });
      assert.equal(fresh.status, 200, fresh.text);
      assert.equal(fresh.json.scope, 'openid');
      assert.notEqual(decodeJwt(fresh.json.access_token).gid, decodeJwt(tokens.access_token).gid);
      const old = await userinfo(tokens.access_token);
      assert.equal(old.status, 401, 'the old token, with its larger scopes, stays refused');
      assert.equal((await userinfo(fresh.json.access_token)).status, 200);
      const info = (await userinfo(fresh.json.access_token)).json;
      assert.equal(info.preferred_username, undefined, 'no profile claims: the new consent is openid only');
      await assertEnded(user.id, tokens, 'the old grant');
    } finally {
      await browser.close();
    }
  });
});

describe('defect 3: a replay ends the grant its code was redeemed under', { timeout: 60_000 }, () => {
  test('defect 3 (review): a code of an ended grant, replayed, does not end the grant made since', async () => {
    const { user, tokens, code, verifier } = await offlineGrant('tove');
    const browser = await signedInBrowser('tove');
    try {
      const revoked = await browser.post(`/ui/apps/${app}/revoke`, {});
      assert.equal(revoked.status, 200, revoked.text);
      // The user lets the app in again: a new grant, with tokens of its own.
      const next = await authorize(browser, 'openid profile offline_access');
      const fresh = await redeem({ code: next.code, code_verifier: next.verifier });
      assert.equal(fresh.status, 200, fresh.text);
      // The first code, replayed by its app with everything right (a retry, or a leak of code and verifier).
      const replay = await redeem({ code, code_verifier: verifier });
      assert.equal(replay.status, 400);
      assert.equal(replay.json.error, 'invalid_grant');
      await assertEnded(user.id, tokens, 'the old grant');
      await assertLive(fresh.json as Tokens, 'the grant made since');
    } finally {
      await browser.close();
    }
  });
});

describe('defect 3: a refresh that races the end of its grant', { timeout: 60_000 }, () => {
  test('defect 3: a refresh token written as its grant ends does not serve the next grant', async () => {
    const { user, tokens } = await offlineGrant('rita');
    const record = await server.core.store.findRefreshTokenByHash(hashSecret(tokens.refresh_token.slice(4)));
    assert.ok(record);
    assert.equal(record.grantId, decodeJwt(tokens.access_token).gid, 'the refresh token names its grant');
    const ended = await asAdmin(`/admin/users/${user.id}/sessions`, { method: 'DELETE' });
    assert.equal(ended.status, 200);
    // What a refresh in flight could have written just after the grant's tokens were deleted.
    const secret = randomBytes(32).toString('base64url');
    await server.core.store.createRefreshToken({ ...record, id: 'late-1', tokenHash: hashSecret(secret) });
    const late = await refresh(`ghr_${secret}`);
    assert.equal(late.status, 400, late.text);
    assert.equal(late.json.error, 'invalid_grant');
  });
});

describe('defect 4: only a replay its client could make revokes', { timeout: 120_000 }, () => {
  async function assertNothingRevoked(userId: string, tokens: Tokens, where: string) {
    await assertLive(tokens, where);
    const events = await server.core.audit.list({ type: 'authorization_code.replay', userId });
    assert.equal(events.length, 0, `${where}: no replay revoked anything`);
  }

  test('defect 4: a spent code replayed without the verifier revokes nothing', async () => {
    const { user, tokens, code } = await offlineGrant('sam');
    const replay = await server.request('/oauth/token', {
      form: { grant_type: 'authorization_code', code, client_id: app },
    });
    assert.equal(replay.status, 400);
    assert.equal(replay.json.error, 'invalid_grant');
    await assertNothingRevoked(user.id, tokens, 'without verifier or redirect_uri');
    const refused = await server.core.audit.list({ type: 'authorization_code.replay_refused', userId: user.id });
    assert.equal(refused.length, 1);
    assert.deepEqual(refused[0]!.detail, { clientId: app, failed: 'redirect_uri' });
  });

  test('defect 4: a spent code replayed with a wrong redirect_uri, or by another client, revokes nothing', async () => {
    const { user, tokens, code, verifier } = await offlineGrant('sid');
    const wrongRedirect = await redeem({ code, code_verifier: verifier, redirect_uri: 'http://127.0.0.1/other' });
    assert.equal(wrongRedirect.json.error, 'invalid_grant');
    const wrongVerifier = await redeem({ code, code_verifier: pkce().verifier });
    assert.equal(wrongVerifier.json.error, 'invalid_grant');
    const wrongClient = await redeem({ code, code_verifier: verifier, client_id: otherApp });
    assert.equal(wrongClient.json.error, 'invalid_grant');
    await assertNothingRevoked(user.id, tokens, 'after three failed replays');
    const refused = await server.core.audit.list({ type: 'authorization_code.replay_refused', userId: user.id });
    assert.deepEqual(refused.map((event) => (event.detail as { failed: string }).failed).sort(), [
      'client',
      'code_verifier',
      'redirect_uri',
    ]);
  });

  test('defect 4: a burst of concurrent replays with a wrong verifier revokes nothing', async () => {
    const { user, tokens, code } = await offlineGrant('suki');
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => redeem({ code, code_verifier: pkce().verifier })),
    );
    assert.deepEqual(
      new Set(answers.map((answer) => `${answer.status} ${answer.json.error}`)),
      new Set(['400 invalid_grant']),
    );
    await assertNothingRevoked(user.id, tokens, 'after the burst');
    const refused = await server.core.audit.list({ type: 'authorization_code.replay_refused', userId: user.id });
    assert.equal(refused.length, 30, 'each one audited as refused');
    const metrics = await server.request('/metrics');
    assert.match(metrics.text, /gatehouse_authorization_codes_total\{event="replay_refused"\} \d+/);
  });
});
