import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { generate } from 'otplib';
import type { Clock } from '../../src/core/shared/clock.js';
import { FormBrowser, hiddenField } from '../helpers/form-browser.js';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';
import { authorizePath, REDIRECT } from './authorize-url.js';

// Issue #22, defect 1: a sign-in in a browser that has a session continues it
// (new token, same session, its apps' tokens live on) for the same user, and
// ends it for another. Over real HTTPS, with a cookie-jar browser.
let offset = 0;
const clock: Clock = { now: () => Date.now() + offset };
let server: TestServer;
let app: { id: string; secret: string };
let spa: string;
let ritaId: string;
const PASSWORD = 'rita password 123';

before(async () => {
  server = await startTestServer({ clock });
  ritaId = (await server.core.users.createUser({ username: 'rita', password: PASSWORD })).id;
  await server.core.users.createUser({ username: 'sam', password: PASSWORD });
  const created = await server.core.clients.createClient({ name: 'web', scopes: '', redirectUris: [REDIRECT] });
  app = { id: created.client.id, secret: created.secret! };
  spa = (await server.core.clients.createClient({ name: 'spa', scopes: '', type: 'public', redirectUris: [REDIRECT] }))
    .client.id;
});
after(() => server.stop());

const appAuth = () => `Basic ${Buffer.from(`${app.id}:${app.secret}`).toString('base64')}`;

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

const authorizeUrl = authorizePath;

async function cookieOf(browser: FormBrowser): Promise<string | undefined> {
  return (await browser.jar.getCookies(server.url)).find((cookie) => cookie.key === COOKIE)?.value;
}

async function signIn(browser: FormBrowser, username: string): Promise<void> {
  const home = await browser.post('/ui/sign-in', { username, password: PASSWORD });
  assert.match(home.text, /Signed in as/);
}

/** The rest of a code flow from a page of it: sign in if asked (`username`), consent if asked, then the code. */
async function finishFlow(browser: FormBrowser, url: string, username?: string): Promise<string> {
  let page = await browser.get(url);
  if (page.status === 200 && /<h1>Sign in<\/h1>/.test(page.text)) {
    assert.ok(username, 'the flow asks to sign in');
    page = await browser.post('/ui/sign-in', {
      username,
      password: PASSWORD,
      return_to: hiddenField(page.text, 'return_to')!,
    });
  }
  if (page.status === 200) {
    assert.match(page.text, /asks to use your account/);
    page = await browser.post('/oauth/authorize/consent', {
      interaction: hiddenField(page.text, 'interaction')!,
      decision: 'allow',
    });
  }
  assert.equal(page.status, 303, page.text);
  const code = new URL(page.url).searchParams.get('code');
  assert.ok(code, page.url);
  return code;
}

/** App A (confidential) gets tokens through the browser's session, without offline_access. */
async function confidentialTokens(browser: FormBrowser) {
  const { verifier, challenge } = pkce();
  const code = await finishFlow(browser, authorizeUrl(app.id, challenge));
  const tokens = await server.request('/oauth/token', {
    form: { grant_type: 'authorization_code', redirect_uri: REDIRECT, code, code_verifier: verifier },
    headers: { authorization: appAuth() },
  });
  assert.equal(tokens.status, 200, tokens.text);
  assert.ok(tokens.json.refresh_token, 'a refresh token without offline_access');
  return tokens.json as { refresh_token: string; access_token: string; id_token: string };
}

function refresh(refreshToken: string) {
  return server.request('/oauth/token', {
    form: { grant_type: 'refresh_token', refresh_token: refreshToken },
    headers: { authorization: appAuth() },
  });
}

const info = (token: string | undefined) => server.request('/get-info', { cookie: `${COOKIE}=${token}` });
const sessionOf = async (token: string | undefined) =>
  (await server.request('/session', { cookie: `${COOKIE}=${token}` })).json.session;

describe('defect 1 (#22): re-authentication keeps the session', { timeout: 120_000 }, () => {
  test('defect 1: prompt=login and max_age for another app rotate the token; app A keeps refreshing, same sid, later auth_time', async () => {
    const browser = new FormBrowser(server.url, server.ca);
    try {
      await signIn(browser, 'rita');
      const first = await cookieOf(browser);
      const a = await confidentialTokens(browser);
      const firstId = decodeJwt(a.id_token);
      let refreshToken = a.refresh_token;

      for (const extra of [{ prompt: 'login' }, { max_age: '1' }] as Record<string, string>[]) {
        offset += 5_000;
        const before = await cookieOf(browser);
        const { verifier, challenge } = pkce();
        const code = await finishFlow(browser, authorizeUrl(spa, challenge, extra), 'rita');
        const b = await server.request('/oauth/token', {
          form: {
            grant_type: 'authorization_code',
            redirect_uri: REDIRECT,
            code,
            code_verifier: verifier,
            client_id: spa,
          },
        });
        assert.equal(b.status, 200, b.text);
        const idToken = decodeJwt(b.json.id_token);
        assert.equal(idToken.sid, firstId.sid, `${JSON.stringify(extra)}: the same session`);
        assert.ok(idToken.auth_time! > firstId.auth_time!, 'a later auth_time');
        assert.deepEqual(idToken.amr, ['pwd']);

        const after = await cookieOf(browser);
        assert.notEqual(after, before, 'a new token');
        assert.match(after!, /^[A-Za-z0-9_-]{43}$/, '256 bits');
        assert.equal((await info(before)).status, 401, 'the old token is refused at once');
        assert.equal((await info(first)).status, 401);
        assert.equal((await info(after)).status, 200);

        const refreshed = await refresh(refreshToken);
        assert.equal(refreshed.status, 200, `app A still refreshes: ${refreshed.text}`);
        refreshToken = refreshed.json.refresh_token;
        const userinfo = await server.request('/oauth/userinfo', {
          headers: { authorization: `Bearer ${refreshed.json.access_token}` },
        });
        assert.equal(userinfo.status, 200);
      }
      const current = await sessionOf(await cookieOf(browser));
      assert.equal(current.id, firstId.sid);
      const rotations = await server.core.audit.list({ type: 'session.rotate' });
      assert.ok(rotations.filter((event) => event.detail.sessionId === firstId.sid).length >= 2);
      assert.equal((await server.core.audit.list({ type: 'session.revoke' })).length, 0, 'nothing was revoked');
    } finally {
      await browser.close();
    }
  });

  test('defect 1: another user signing in on the same browser ends the first session and its refresh tokens, audited', async () => {
    const browser = new FormBrowser(server.url, server.ca);
    try {
      await signIn(browser, 'rita');
      const ritas = await cookieOf(browser);
      const ritasSession = await sessionOf(ritas);
      const a = await confidentialTokens(browser);
      await signIn(browser, 'sam');
      const sams = await cookieOf(browser);
      assert.notEqual((await sessionOf(sams)).id, ritasSession.id, 'a new session');
      assert.equal((await info(ritas)).status, 401);
      assert.equal(
        (await refresh(a.refresh_token)).json.error,
        'invalid_grant',
        "rita's app tokens end with her session",
      );
      assert.equal(await server.core.sessions.findSession(ritasSession.id), null);
      const [event] = (await server.core.audit.list({ type: 'session.revoke' })).filter(
        (item) => item.detail.sessionId === ritasSession.id,
      );
      assert.ok(event, 'the fixation revocation is audited');
      assert.equal(event.userId, ritaId, 'about the user whose session ended');
      assert.notEqual(event.actor, ritaId, 'by the one who signed in');
      assert.equal(event.detail.reason, 'other_user_signed_in');
    } finally {
      await browser.close();
    }
  });
});

describe(
  'defect 1 (#22): every door of sign-in keeps the session id and rotates the token',
  { timeout: 120_000 },
  () => {
    const login = (username: string, token?: string) =>
      server.request('/login', {
        json: { username, password: PASSWORD },
        ...(token !== undefined && { cookie: `${COOKIE}=${token}` }),
      });

    test('defect 1: POST /login with the cookie continues the session; its absolute end stays counted from its start', async () => {
      const first = await login('rita');
      const token = first.setCookie(COOKIE)!;
      offset += 60_000;
      const second = await login('rita', token);
      assert.equal(second.status, 200);
      const next = second.setCookie(COOKIE)!;
      assert.notEqual(next, token);
      assert.equal(second.json.session.id, first.json.session.id, 'the same session');
      assert.equal(second.json.session.createdAt, first.json.session.createdAt);
      assert.equal(second.json.session.absoluteExpiresAt, first.json.session.absoluteExpiresAt, 'not lengthened');
      assert.ok(
        Date.parse(second.json.session.authenticatedAt) >= Date.parse(first.json.session.authenticatedAt) + 60_000,
      );
      assert.equal((await info(token)).status, 401);
      assert.equal((await info(next)).status, 200);
      const [row] = (await server.core.store.listSessions({ userId: ritaId })).filter(
        (item) => item.id === first.json.session.id,
      );
      assert.equal(row!.authenticatedAt, Date.parse(second.json.session.authenticatedAt), 'stored');
    });

    test('defect 1: the sign-in page posted while signed in continues the session', async () => {
      const browser = new FormBrowser(server.url, server.ca);
      try {
        await signIn(browser, 'rita');
        const before = await cookieOf(browser);
        const id = (await sessionOf(before)).id;
        await signIn(browser, 'rita');
        const after = await cookieOf(browser);
        assert.notEqual(after, before);
        assert.equal((await sessionOf(after)).id, id);
        assert.equal((await info(before)).status, 401);
      } finally {
        await browser.close();
      }
    });

    test('defect 1: a burst of sign-ins presenting one cookie: one continues the session, the rest start their own', async () => {
      const token = (await login('rita')).setCookie(COOKIE)!;
      const id = (await sessionOf(token)).id;
      const answers = await Promise.all(Array.from({ length: 6 }, () => login('rita', token)));
      assert.deepEqual(
        answers.map((answer) => answer.status),
        Array(6).fill(200),
      );
      const ids = answers.map((answer) => answer.json.session.id as string);
      assert.equal(ids.filter((item) => item === id).length, 1, `exactly one continues: ${ids.join(' ')}`);
      assert.equal(new Set(ids).size, 6, 'every answer its own token and session');
      assert.equal((await info(token)).status, 401);
      for (const answer of answers) assert.equal((await info(answer.setCookie(COOKIE))).status, 200);
    });

    test('defect 1: a TOTP second step on top of a password session (step-up) keeps the session and makes it multi-factor', async () => {
      const user = await server.core.users.createUser({ username: 'tom', password: PASSWORD });
      const first = await login('tom');
      const token = first.setCookie(COOKIE)!;
      assert.deepEqual(first.json.session.authMethods, ['pwd']);
      const { secret } = await server.core.twoFactor!.beginEnrollment(user);
      await server.core.twoFactor!.confirmEnrollment(
        user.id,
        await generate({ secret, epoch: Math.floor(clock.now() / 1000) }),
      );
      offset += 30_000;
      const step = await login('tom', token);
      assert.equal(step.status, 202);
      assert.equal(step.setCookie(COOKIE), undefined, 'no new token before the code');
      assert.equal((await info(token)).status, 200, 'the session is untouched until the second step');
      const done = await server.request('/login/two-factor', {
        json: {
          challenge: step.json.challenge,
          code: await generate({ secret, epoch: Math.floor(clock.now() / 1000) }),
        },
        cookie: `${COOKIE}=${token}`,
      });
      assert.equal(done.status, 200, done.text);
      const next = done.setCookie(COOKIE)!;
      assert.notEqual(next, token);
      assert.equal(done.json.session.id, first.json.session.id);
      assert.deepEqual(done.json.session.authMethods, ['mfa', 'otp', 'pwd'], 'amr: the latest sign-in');
      assert.equal((await info(token)).status, 401);
      assert.equal((await info(next)).status, 200);
      const [event] = (await server.core.audit.list({ userId: user.id, type: 'session.rotate' })).filter(
        (item) => item.detail.sessionId === first.json.session.id,
      );
      assert.deepEqual(event?.detail.authMethods, ['mfa', 'otp', 'pwd']);
    });
  },
);
