import { createHash, randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import { COOKIE, startTestServer, type TestResponse, type TestServer } from '../helpers/server.js';
import { SoftAuthenticator } from '../passkeys/soft-authenticator.js';
import {
  CREDENTIAL_KINDS,
  EVENTS,
  LIFECYCLE,
  LIFECYCLE_TABLE_DOCS,
  renderLifecycleTable,
  type EventId,
  type Fate,
  type KindId,
} from './lifecycle-table.js';

/**
 * What each event ends (issue #22): for every event of lifecycle-table.ts a
 * fresh user signs in twice (this session and another), takes a user token,
 * lets a first-party app sign in through this session twice (once with
 * `offline_access`) and makes an API key; the app's client also takes a
 * client credentials token. Then the event happens over HTTPS, and every
 * credential is presented again: the answers must be the table's.
 */
const PASSWORD = 'lifecycle table password 1';
const NEW_PASSWORD = 'lifecycle table password 2';
const REDIRECT = 'https://app.example/cb';
let now = Date.UTC(2026, 11, 8, 9, 0, 0);
let server: TestServer;
let adminCookie: string;

const cookieOf = (response: TestResponse) => {
  const value = response.setCookie(COOKIE);
  assert.ok(value, `a session cookie: ${response.status} ${response.text}`);
  return `${COOKIE}=${value}`;
};
const send = (path: string, options: { method?: string; json?: unknown; cookie?: string } = {}) =>
  server.request(path, { ...options, headers: { origin: server.url } });
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** A user of one row, and how they sign in now. */
interface Holder {
  id: string;
  username: string;
  password: string;
  totpSecret?: string;
  authenticator?: SoftAuthenticator;
  app: { id: string; secret: string };
}

/** A TOTP code at a moment no code was used at before (each code works once). */
async function freshCode(secret: string): Promise<string> {
  now += 30_000;
  return generate({ secret, epoch: Math.floor(now / 1000) });
}

async function signIn(holder: Holder, cookie?: string): Promise<string> {
  if (holder.authenticator) {
    const options = await send('/login/passkey/options', { json: {}, cookie });
    assert.equal(options.status, 200, options.text);
    const signedIn = await send('/login/passkey', {
      json: { response: holder.authenticator.assert(options.json) },
      cookie,
    });
    assert.equal(signedIn.status, 200, signedIn.text);
    return cookieOf(signedIn);
  }
  const login = await send('/login', { json: { username: holder.username, password: holder.password }, cookie });
  if (holder.totpSecret === undefined) {
    assert.equal(login.status, 200, login.text);
    return cookieOf(login);
  }
  assert.equal(login.status, 202, login.text);
  const second = await send('/login/two-factor', {
    json: { challenge: login.json.challenge, code: await freshCode(holder.totpSecret) },
  });
  assert.equal(second.status, 200, second.text);
  return cookieOf(second);
}

async function turnOnTwoFactor(holder: Holder, cookie: string): Promise<void> {
  const started = await send('/two-factor', { json: { password: holder.password }, cookie });
  assert.equal(started.status, 201, started.text);
  const secret = started.json.secret as string;
  const confirmed = await send('/two-factor/confirm', { json: { code: await freshCode(secret) }, cookie });
  assert.equal(confirmed.status, 200, confirmed.text);
  holder.totpSecret = secret;
}

async function addPasskey(holder: Holder, cookie: string): Promise<void> {
  const authenticator = new SoftAuthenticator(server.url);
  const options = await send('/passkeys/registration/options', { json: {}, cookie });
  assert.equal(options.status, 200, options.text);
  const added = await send('/passkeys/registration', {
    json: { name: 'Laptop', response: authenticator.register(options.json) },
    cookie,
  });
  assert.equal(added.status, 201, added.text);
  holder.authenticator = authenticator;
}

/** The app's tokens from the code flow through `cookie`'s session: access and refresh. */
async function appTokens(holder: Holder, cookie: string, scope: string) {
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    client_id: holder.app.id,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const authorized = await server.request(`/oauth/authorize?${query.toString()}`, { cookie });
  assert.equal(authorized.status, 303, authorized.text);
  const code = new URL(String(authorized.headers.location)).searchParams.get('code');
  assert.ok(code, String(authorized.headers.location));
  const token = await server.request('/oauth/token', {
    form: { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
    headers: { authorization: basic(holder.app.id, holder.app.secret) },
  });
  assert.equal(token.status, 200, token.text);
  assert.ok(token.json.refresh_token, 'a refresh token');
  return { access: token.json.access_token as string, refresh: token.json.refresh_token as string };
}

/** Everything the row's user and app hold before the event. */
interface Held {
  thisSession: string;
  otherSession: string;
  sessionId: string;
  userToken: string;
  app: { access: string; refresh: string };
  offline: { access: string; refresh: string };
  apiKey: string;
  serviceToken: string;
}

async function holdEverything(holder: Holder): Promise<Held> {
  const thisSession = await signIn(holder);
  const otherSession = await signIn(holder);
  const session = await send('/session', { cookie: thisSession });
  const userToken = await send('/token', { json: {}, cookie: thisSession });
  assert.equal(userToken.status, 200, userToken.text);
  const apiKey = await send('/api-keys', { json: { name: 'laptop', scopes: '' }, cookie: thisSession });
  assert.equal(apiKey.status, 201, apiKey.text);
  const service = await server.request('/oauth/token', {
    form: { grant_type: 'client_credentials' },
    headers: { authorization: basic(holder.app.id, holder.app.secret) },
  });
  assert.equal(service.status, 200, service.text);
  return {
    thisSession,
    otherSession,
    sessionId: session.json.session.id,
    userToken: userToken.json.access_token,
    app: await appTokens(holder, thisSession, 'openid orders:read'),
    offline: await appTokens(holder, thisSession, 'openid orders:read offline_access'),
    apiKey: apiKey.json.key,
    serviceToken: service.json.access_token,
  };
}

const bearerFate = async (token: string): Promise<Fate> => {
  const answer = await server.request('/get-info', { headers: { authorization: `Bearer ${token}` } });
  assert.ok(answer.status === 200 || answer.status === 401, `${answer.status} ${answer.text}`);
  return answer.status === 200 ? 'lives' : 'ends';
};
const sessionFate = async (cookie: string): Promise<Fate> => {
  const answer = await send('/session', { cookie });
  assert.ok(answer.status === 200 || answer.status === 401, `${answer.status} ${answer.text}`);
  return answer.status === 200 ? 'lives' : 'ends';
};
const refreshFate = async (holder: Holder, refresh: string): Promise<Fate> => {
  const answer = await server.request('/oauth/token', {
    form: { grant_type: 'refresh_token', refresh_token: refresh },
    headers: { authorization: basic(holder.app.id, holder.app.secret) },
  });
  if (answer.status === 200) return 'lives';
  // Refused as RFC 6749 says: the grant (or, once removed, the client) is no longer good.
  assert.ok(
    (answer.status === 400 && answer.json.error === 'invalid_grant') ||
      (answer.status === 401 && answer.json.error === 'invalid_client'),
    `${answer.status} ${answer.text}`,
  );
  return 'ends';
};

/** Makes the event happen; returns the cookie the browser holds afterwards, when it got a new one. */
async function happen(event: EventId, holder: Holder, held: Held): Promise<string | undefined> {
  const cookie = held.thisSession;
  const expect = (answer: TestResponse, status: number) => assert.equal(answer.status, status, answer.text);
  switch (event) {
    case 'signOut':
      return void expect(await send('/logout', { json: {}, cookie }), 204);
    case 'reauthenticate':
      return signIn(holder, cookie);
    case 'passwordChange':
      expect(
        await send('/password', { json: { currentPassword: holder.password, newPassword: NEW_PASSWORD }, cookie }),
        204,
      );
      holder.password = NEW_PASSWORD;
      return;
    case 'passwordReset':
      return void expect(
        await send(`/admin/users/${holder.id}`, {
          method: 'PATCH',
          json: { password: NEW_PASSWORD },
          cookie: adminCookie,
        }),
        200,
      );
    case 'twoFactorOn':
      return void (await turnOnTwoFactor(holder, cookie));
    case 'twoFactorOff':
      return void expect(await send('/two-factor/disable', { json: { password: holder.password }, cookie }), 204);
    case 'passkeyAdded':
      return void (await addPasskey(holder, cookie));
    case 'passkeyRemoved': {
      const listed = await send('/passkeys', { cookie });
      expect(listed, 200);
      return void expect(await send(`/passkeys/${listed.json.passkeys[0].id}`, { method: 'DELETE', cookie }), 204);
    }
    case 'adminSignOut':
      return void expect(
        await send(`/admin/users/${holder.id}/sessions`, { method: 'DELETE', cookie: adminCookie }),
        200,
      );
    case 'userDeleted':
      return void expect(await send(`/admin/users/${holder.id}`, { method: 'DELETE', cookie: adminCookie }), 204);
    case 'clientRemoved':
      return void expect(await send(`/admin/clients/${holder.app.id}`, { method: 'DELETE', cookie: adminCookie }), 204);
    case 'consentRevoked':
      return void expect(
        await server.request(`/ui/apps/${holder.app.id}/revoke`, {
          form: {},
          cookie,
          headers: { origin: server.url, 'sec-fetch-site': 'same-origin' },
        }),
        303,
      );
  }
}

before(async () => {
  server = await startTestServer({ clock: { now: () => now }, config: { host: 'localhost' } });
  await server.core.scopes.create({ name: 'orders:read', description: 'Read orders.' });
  await server.core.users.createUser({ username: 'root', password: PASSWORD, roles: ['admin'] });
  adminCookie = cookieOf(await send('/login', { json: { username: 'root', password: PASSWORD } }));
});
after(() => server?.stop());

describe('the life-cycle table: what each event ends, for every kind of credential', { timeout: 180_000 }, () => {
  for (const [index, event] of EVENTS.entries()) {
    test(event.title, async () => {
      const username = `holder${index}`;
      const user = await server.core.users.createUser({ username, password: PASSWORD });
      const { client, secret } = await server.core.clients.createClient({
        name: `app${index}`,
        scopes: 'orders:read',
        redirectUris: [REDIRECT],
        grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
        firstParty: true,
      });
      const holder: Holder = { id: user.id, username, password: PASSWORD, app: { id: client.id, secret: secret! } };
      // What the event undoes must be there first.
      if (event.id === 'twoFactorOff') await turnOnTwoFactor(holder, await signIn(holder));
      if (event.id === 'passkeyRemoved') await addPasskey(holder, await signIn(holder));
      const held = await holdEverything(holder);

      const newCookie = await happen(event.id, holder, held);

      const actual: Record<KindId, Fate> = {
        thisSession: await sessionFate(held.thisSession),
        otherSession: await sessionFate(held.otherSession),
        userToken: await bearerFate(held.userToken),
        appToken: await bearerFate(held.app.access),
        offlineToken: await bearerFate(held.offline.access),
        apiKey: await bearerFate(held.apiKey),
        serviceToken: await bearerFate(held.serviceToken),
        appRefresh: await refreshFate(holder, held.app.refresh),
        offlineRefresh: await refreshFate(holder, held.offline.refresh),
      };
      if (newCookie !== undefined && actual.thisSession === 'ends') {
        // The old cookie value is refused; the same session goes on under the new one.
        const renewed = await send('/session', { cookie: newCookie });
        assert.equal(renewed.status, 200, renewed.text);
        if (renewed.json.session.id === held.sessionId) actual.thisSession = 'new token';
      }
      const expected = LIFECYCLE[event.id];
      assert.deepEqual(
        Object.fromEntries(CREDENTIAL_KINDS.map((kind) => [kind.id, actual[kind.id]])),
        Object.fromEntries(CREDENTIAL_KINDS.map((kind) => [kind.id, expected[kind.id]])),
      );
    });
  }

  test('docs/security.md shows this table', () => {
    assert.equal(
      LIFECYCLE_TABLE_DOCS.read(),
      renderLifecycleTable(),
      'docs/security.md is out of date: run npx tsx test/security/lifecycle-table.ts --write',
    );
  });
});
