import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';
import { SoftAuthenticator } from './soft-authenticator.js';

/**
 * Passkeys over the JSON API, against a real HTTPS server on `localhost`
 * (the RP ID; WebAuthn refuses IP addresses), with a software authenticator
 * made in the test (test/passkeys/soft-authenticator.ts).
 */
const PASSWORD = 'passkey api password 1';
let now = Date.UTC(2026, 11, 1, 9, 0, 0);
let server: TestServer;
const ids: Record<string, string> = {};
/** Each user's authenticator, once they have a passkey on it. */
const keys: Record<string, SoftAuthenticator> = {};

const cookieOf = (response: { setCookie(name: string): string | undefined }) =>
  `${COOKIE}=${response.setCookie(COOKIE)}`;

async function passwordSignIn(username: string) {
  return server.request('/login', { json: { username, password: PASSWORD } });
}

/** Signs in with the password (no passkey yet): the session cookie. */
async function sessionOf(username: string): Promise<string> {
  const login = await passwordSignIn(username);
  assert.equal(login.status, 200, login.text);
  return cookieOf(login);
}

const post = (path: string, json: unknown, cookie?: string) =>
  server.request(path, { json, cookie, headers: { origin: server.url } });

/** Adds a passkey on `authenticator` for the session's user. */
async function register(cookie: string, authenticator: SoftAuthenticator, name = 'Laptop', body: unknown = {}) {
  const options = await post('/passkeys/registration/options', body, cookie);
  assert.equal(options.status, 200, options.text);
  return post('/passkeys/registration', { name, response: authenticator.register(options.json) }, cookie);
}

/** A passwordless sign-in with the user's authenticator: the session cookie. */
async function passkeySession(username: string): Promise<string> {
  const signedIn = await post('/login/passkey', { response: keys[username]!.assert(await loginOptions()) });
  assert.equal(signedIn.status, 200, signedIn.text);
  return cookieOf(signedIn);
}

async function loginOptions(challenge?: string) {
  const options = await post('/login/passkey/options', challenge === undefined ? {} : { challenge });
  assert.equal(options.status, 200, options.text);
  return options.json as { challenge: string; rpId: string; allowCredentials?: { id: string }[] };
}

before(async () => {
  server = await startTestServer({
    clock: { now: () => now },
    config: { host: 'localhost', requirePasskeyForRole: ['admin'] },
  });
  assert.equal(new URL(server.url).hostname, 'localhost');
  for (const [name, roles] of [
    ['pat', []],
    ['quinn', []],
    ['root', ['admin']],
    ['ada', ['admin']],
    ['tess', []],
    ['otto', ['admin']],
  ] as const) {
    ids[name] = (await server.core.users.createUser({ username: name, password: PASSWORD, roles: [...roles] })).id;
  }
});
after(() => server.stop());

describe('registration', () => {
  test('a passkey is added right after a password sign-in: attestation none, user verification, listed without its key', async () => {
    const cookie = await sessionOf('pat');
    const options = await post('/passkeys/registration/options', {}, cookie);
    assert.equal(options.status, 200);
    assert.equal(options.headers['cache-control'], 'no-store');
    const creation = options.json;
    assert.equal(creation.rp.id, 'localhost');
    assert.equal(creation.attestation, 'none');
    assert.deepEqual(creation.authenticatorSelection, {
      residentKey: 'preferred',
      userVerification: 'required',
      requireResidentKey: false,
    });
    assert.equal(Buffer.from(creation.user.id, 'base64url').toString('utf8'), ids.pat, 'the user handle is the id');
    assert.equal(creation.user.name, 'pat');
    const authenticator = (keys.pat = new SoftAuthenticator(server.url));
    const added = await post(
      '/passkeys/registration',
      { name: '  Work laptop ', response: authenticator.register(creation) },
      cookie,
    );
    assert.equal(added.status, 201, added.text);
    assert.equal(added.json.name, 'Work laptop');
    assert.equal(added.json.authenticator, 'Google Password Manager', 'named from its AAGUID');
    assert.deepEqual(
      [added.json.deviceType, added.json.backedUp, added.json.transports],
      ['multiDevice', true, ['internal']],
    );
    const listed = await server.request('/passkeys', { cookie });
    assert.deepEqual(
      listed.json.passkeys.map((item: { name: string }) => item.name),
      ['Work laptop'],
    );
    assert.ok(!listed.text.includes(authenticator.id), 'the credential id is not shown');
    const events = await server.core.audit.list({ userId: ids.pat, type: 'passkey.register' });
    assert.equal(events.length, 1);
    // The same authenticator twice: excluded by the options, refused if it answers anyway.
    const again = await post('/passkeys/registration/options', {}, cookie);
    assert.deepEqual(
      again.json.excludeCredentials.map((item: { id: string }) => item.id),
      [authenticator.id],
    );
    const twice = await post(
      '/passkeys/registration',
      { name: 'Twice', response: authenticator.register(again.json) },
      cookie,
    );
    assert.deepEqual([twice.status, twice.json.code], [409, 'ERR_PASSKEY_EXISTS']);
  });

  test('registration without a recent sign-in needs the current password; a wrong one is refused', async () => {
    const cookie = await sessionOf('quinn');
    now += 5 * 60_000 + 1;
    const stale = await post('/passkeys/registration/options', {}, cookie);
    assert.deepEqual([stale.status, stale.json.code], [403, 'ERR_RECENT_SIGN_IN_REQUIRED']);
    const wrong = await post('/passkeys/registration/options', { password: 'not the password at all' }, cookie);
    assert.deepEqual([wrong.status, wrong.json.code], [403, 'ERR_CURRENT_PASSWORD']);
    keys.quinn = new SoftAuthenticator(server.url);
    const added = await register(cookie, keys.quinn, 'Phone', { password: PASSWORD });
    assert.equal(added.status, 201, added.text);
  });

  test('an answer for another origin, another RP ID or a used challenge is refused and nothing is stored', async () => {
    const cookie = await sessionOf('root');
    const authenticator = (keys.root = new SoftAuthenticator(server.url));
    for (const overrides of [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }]) {
      const options = await post('/passkeys/registration/options', {}, cookie);
      const refused = await post(
        '/passkeys/registration',
        { name: 'Bad', response: authenticator.register(options.json, overrides) },
        cookie,
      );
      assert.deepEqual([refused.status, refused.json.code], [400, 'ERR_PASSKEY_REFUSED'], JSON.stringify(overrides));
    }
    const options = await post('/passkeys/registration/options', {}, cookie);
    const answer = authenticator.register(options.json);
    assert.equal((await post('/passkeys/registration', { name: 'Root key', response: answer }, cookie)).status, 201);
    const reused = await post('/passkeys/registration', { name: 'Again', response: answer }, cookie);
    assert.deepEqual([reused.status, reused.json.code], [400, 'ERR_PASSKEY_REFUSED']);
    // Another user's challenge cannot register for this one.
    const otherCookie = await sessionOf('ada');
    const theirs = await post('/passkeys/registration/options', {}, otherCookie);
    const stolen = await post(
      '/passkeys/registration',
      { name: 'Theirs', response: new SoftAuthenticator(server.url).register(theirs.json) },
      cookie,
    );
    assert.equal(stolen.status, 400);
    assert.equal((await server.core.passkeys!.list(ids.root!)).length, 1);
    const refusals = await server.core.audit.list({ userId: ids.root, type: 'passkey.refused' });
    assert.ok(refusals.length >= 3);
  });
});

describe('signing in', () => {
  let authenticator: SoftAuthenticator;
  before(async () => {
    authenticator = keys.ada = new SoftAuthenticator(server.url);
    const cookie = await sessionOf('ada');
    assert.equal((await register(cookie, authenticator, 'Ada key')).status, 201);
  });

  test('without a password: any passkey may answer; the session records amr hwk user; the cookie is set', async () => {
    const options = await loginOptions();
    assert.equal(options.rpId, 'localhost');
    assert.equal(options.allowCredentials, undefined, 'no account is named');
    const signedIn = await post('/login/passkey', { response: authenticator.assert(options) });
    assert.equal(signedIn.status, 200, signedIn.text);
    assert.equal(signedIn.json.user.username, 'ada');
    assert.deepEqual(signedIn.json.session.authMethods, ['hwk', 'user']);
    const cookie = cookieOf(signedIn);
    assert.equal((await server.request('/session', { cookie })).status, 200);
    const successes = await server.core.audit.list({ userId: ids.ada, type: 'login.success' });
    assert.ok(
      successes.some(
        (event) => event.detail.method === 'passkey' && event.detail.sessionId === signedIn.json.session.id,
      ),
    );
    const passkey = (await server.core.passkeys!.list(ids.ada!))[0]!;
    assert.equal(passkey.lastUsedAt, now);
  });

  test('a replayed assertion, a reused challenge, another origin or RP ID: one 401 each', async () => {
    const options = await loginOptions();
    const assertion = authenticator.assert(options);
    assert.equal((await post('/login/passkey', { response: assertion })).status, 200);
    const replayed = await post('/login/passkey', { response: assertion });
    assert.deepEqual([replayed.status, replayed.json.code], [401, 'ERR_INVALID_CREDENTIALS']);
    assert.equal(replayed.json.detail, 'The passkey is not valid.');
    const reused = await post('/login/passkey', { response: authenticator.assert(options) });
    assert.equal(reused.status, 401, 'a fresh signature over a used challenge');
    for (const overrides of [
      { origin: 'https://evil.example' },
      { origin: 'http://localhost' },
      { rpId: 'evil.example' },
    ]) {
      const refused = await post('/login/passkey', { response: authenticator.assert(await loginOptions(), overrides) });
      assert.equal(refused.status, 401, JSON.stringify(overrides));
    }
    const unknown = await post('/login/passkey', {
      response: new SoftAuthenticator(server.url).assert(await loginOptions()),
    });
    assert.equal(unknown.status, 401, 'a credential nobody registered');
    const failures = await server.core.audit.list({ userId: ids.ada, type: 'login.failure' });
    assert.ok(failures.some((event) => event.detail.reason === 'passkey_challenge'));
    assert.ok(failures.some((event) => event.detail.reason === 'invalid_assertion'));
    // A right one resets the account's failure count.
    assert.equal((await post('/login/passkey', { response: authenticator.assert(await loginOptions()) })).status, 200);
  });

  test('a counter that went backwards is refused and audited as a possible clone', async () => {
    const stored = (await server.core.store.listPasskeys(ids.ada!))[0]!.counter;
    const refused = await post('/login/passkey', {
      response: authenticator.assert(await loginOptions(), { counter: stored - 1 }),
    });
    assert.equal(refused.status, 401);
    const same = await post('/login/passkey', {
      response: authenticator.assert(await loginOptions(), { counter: stored }),
    });
    assert.equal(same.status, 401, 'a counter that did not move forward either');
    const events = await server.core.audit.list({ userId: ids.ada, type: 'passkey.counter_regressed' });
    assert.equal(events.length, 2);
    assert.deepEqual(events.find((event) => event.detail.presentedCounter === stored - 1)?.detail, {
      passkeyId: (await server.core.passkeys!.list(ids.ada!))[0]!.id,
      storedCounter: stored,
      presentedCounter: stored - 1,
    });
    assert.equal((await server.core.store.listPasskeys(ids.ada!))[0]!.counter, stored, 'the stored counter stays');
    assert.equal((await post('/login/passkey', { response: authenticator.assert(await loginOptions()) })).status, 200);
  });

  test('a burst of finishes with one challenge: exactly one signs in', async () => {
    const options = await loginOptions();
    const answers = Array.from({ length: 6 }, () => authenticator.assert(options));
    const results = await Promise.all(answers.map((response) => post('/login/passkey', { response })));
    assert.deepEqual(results.map((result) => result.status).sort(), [200, 401, 401, 401, 401, 401]);
  });

  test('as the second step after a password: the user with a passkey needs it; amr pwd hwk user mfa', async () => {
    const password = await passwordSignIn('ada');
    assert.equal(password.status, 202);
    assert.equal(password.setCookie(COOKIE), undefined, 'no session before the second step');
    // Ada is an admin, and admins must use their passkey: a code would not do.
    assert.deepEqual(password.json.methods, ['passkey']);
    const options = await loginOptions(password.json.challenge);
    assert.deepEqual(
      options.allowCredentials!.map((item) => item.id),
      [authenticator.id],
      "that user's passkeys",
    );
    const done = await post('/login/passkey', {
      challenge: password.json.challenge,
      response: authenticator.assert(options),
    });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(done.json.session.authMethods, ['hwk', 'mfa', 'pwd', 'user']);
    const again = await post('/login/passkey', {
      challenge: password.json.challenge,
      response: authenticator.assert(await loginOptions()),
    });
    assert.equal(again.status, 401, 'the sign-in is complete: its challenge is gone');
    // A passwordless challenge cannot answer a password sign-in, nor the other way round.
    const next = await passwordSignIn('ada');
    const passwordless = await post('/login/passkey', {
      challenge: next.json.challenge,
      response: authenticator.assert(await loginOptions()),
    });
    assert.equal(passwordless.status, 401);
    const bound = await loginOptions(next.json.challenge);
    assert.equal((await post('/login/passkey', { response: authenticator.assert(bound) })).status, 401);
  });

  test("another user's passkey does not answer a user's password step", async () => {
    const password = await passwordSignIn('ada');
    const options = await loginOptions(password.json.challenge);
    const refused = await post('/login/passkey', {
      challenge: password.json.challenge,
      response: keys.quinn!.assert(options),
    });
    assert.equal(refused.status, 401);
    const failures = await server.core.audit.list({ userId: ids.ada, type: 'login.failure' });
    assert.ok(failures.some((event) => event.detail.reason === 'wrong_passkey'));
    // Nor does a passkey sign in as another user by naming them in its user handle.
    const forged = keys.quinn!.assert(await loginOptions());
    forged.response.userHandle = Buffer.from(ids.ada!, 'utf8').toString('base64url');
    assert.equal((await post('/login/passkey', { response: forged })).status, 401);
  });

  test('with TOTP as well, the passkey answers instead of a code; for a role that requires passkeys, a code does not', async () => {
    for (const name of ['tess', 'otto']) {
      const user = (await server.core.users.findUserByName(name))!;
      const { secret } = await server.core.twoFactor!.beginEnrollment(user);
      await server.core.twoFactor!.confirmEnrollment(user.id, await generate({ secret, epoch: now / 1000 }));
      keys[name] = new SoftAuthenticator(server.url);
      const password = await passwordSignIn(name);
      const code = await post('/login/two-factor', {
        challenge: password.json.challenge,
        code: await generate({ secret, epoch: now / 1000 + 30 }),
      });
      assert.equal(code.status, 200, 'TOTP alone, before any passkey');
      assert.equal((await register(cookieOf(code), keys[name]!, `${name} key`)).status, 201);
      now += 60_000;
      const next = await passwordSignIn(name);
      assert.equal(next.status, 202);
      const totp = await generate({ secret, epoch: now / 1000 });
      if (name === 'tess') {
        assert.deepEqual(next.json.methods, ['totp', 'recovery_code', 'passkey']);
        const options = await loginOptions(next.json.challenge);
        const done = await post('/login/passkey', {
          challenge: next.json.challenge,
          response: keys.tess!.assert(options),
        });
        assert.equal(done.status, 200, 'the passkey instead of the code');
        assert.deepEqual(done.json.session.authMethods, ['hwk', 'mfa', 'pwd', 'user']);
      } else {
        assert.deepEqual(next.json.methods, ['passkey'], "otto is an admin: admins' passkeys are required");
        const refused = await post('/login/two-factor', { challenge: next.json.challenge, code: totp });
        assert.equal(refused.status, 401, 'a right code is not enough');
        const failures = await server.core.audit.list({ userId: ids.otto, type: 'login.failure' });
        assert.ok(failures.some((event) => event.detail.reason === 'method_not_allowed'));
        const options = await loginOptions(next.json.challenge);
        const done = await post('/login/passkey', {
          challenge: next.json.challenge,
          response: keys.otto!.assert(options),
        });
        assert.equal(done.status, 200);
      }
    }
  });

  test('the options and the sign-in are same-site only', async () => {
    const options = await server.request('/login/passkey/options', {
      json: {},
      headers: { origin: 'https://evil.example' },
    });
    assert.deepEqual([options.status, options.json.code], [403, 'ERR_CROSS_SITE']);
  });
});

describe('managing', () => {
  test('a user with a passkey needs a second step after the password; a code-less user is offered the passkey', async () => {
    const password = await passwordSignIn('pat');
    assert.equal(password.status, 202);
    assert.deepEqual(password.json.methods, ['passkey']);
    const code = await post('/login/two-factor', { challenge: password.json.challenge, code: '123456' });
    assert.equal(code.status, 401, 'no TOTP to answer with');
  });

  test('rename and remove own passkeys only; removing the last one is refused where the role requires one', async () => {
    const cookie = await passkeySession('root');
    const [mine] = (await server.request('/passkeys', { cookie })).json.passkeys;
    const renamed = await server.request(`/passkeys/${mine.id}`, {
      method: 'PATCH',
      json: { name: 'Root laptop' },
      cookie,
      headers: { origin: server.url },
    });
    assert.deepEqual([renamed.status, renamed.json.name], [200, 'Root laptop']);
    const blank = await server.request(`/passkeys/${mine.id}`, {
      method: 'PATCH',
      json: { name: '   ' },
      cookie,
      headers: { origin: server.url },
    });
    assert.deepEqual([blank.status, blank.json.code], [400, 'ERR_VALIDATION']);
    const remove = (id: string, by = cookie) =>
      server.request(`/passkeys/${id}`, { method: 'DELETE', cookie: by, headers: { origin: server.url } });
    const last = await remove(mine.id);
    assert.deepEqual([last.status, last.json.code], [409, 'ERR_LAST_SIGN_IN_METHOD'], 'root is an admin');
    const patCookie = await passkeySession('pat');
    const notTheirs = await remove(mine.id, patCookie);
    assert.deepEqual([notTheirs.status, notTheirs.json.code], [404, 'ERR_PASSKEY_NOT_FOUND']);
    const [patKey] = (await server.request('/passkeys', { cookie: patCookie })).json.passkeys;
    assert.equal((await remove(patKey.id, patCookie)).status, 204, 'no role requires one of pat');
    assert.deepEqual((await server.request('/passkeys', { cookie: patCookie })).json.passkeys, []);
    assert.equal((await passwordSignIn('pat')).status, 200, 'the password alone signs pat in again');
    const removed = await server.core.audit.list({ userId: ids.pat, type: 'passkey.remove' });
    assert.equal(removed.length, 1);
  });

  test("an admin removes a user's passkeys (not their own here); the user signs in with the password again", async () => {
    const adminCookie = await passkeySession('root');
    const own = await server.request(`/admin/users/${ids.root}/passkeys`, {
      method: 'DELETE',
      cookie: adminCookie,
      headers: { origin: server.url },
    });
    assert.deepEqual([own.status, own.json.code], [403, 'ERR_FORBIDDEN']);
    const reset = await server.request(`/admin/users/${ids.quinn}/passkeys`, {
      method: 'DELETE',
      cookie: adminCookie,
      headers: { origin: server.url },
    });
    assert.deepEqual([reset.status, reset.json], [200, { removed: 1 }]);
    assert.equal((await passwordSignIn('quinn')).status, 200);
    const quinnCookie = await sessionOf('quinn');
    const forbidden = await server.request(`/admin/users/${ids.ada}/passkeys`, {
      method: 'DELETE',
      cookie: quinnCookie,
      headers: { origin: server.url },
    });
    assert.equal(forbidden.status, 403, 'not an admin');
    const event = (await server.core.audit.list({ userId: ids.quinn, type: 'passkey.remove' }))[0]!;
    assert.deepEqual(event.detail, { count: 1, by: 'admin' });
  });

  test('passkey routes need a session: an API key or no credential cannot manage passkeys', async () => {
    assert.equal((await server.request('/passkeys')).status, 401);
    const cookie = await sessionOf('quinn');
    const key = (await post('/api-keys', { name: 'ci' }, cookie)).json.key;
    const withKey = await server.request('/passkeys', { headers: { authorization: `Bearer ${key}` } });
    assert.deepEqual([withKey.status, withKey.json.code], [403, 'ERR_SESSION_REQUIRED']);
  });
});

test('metrics count passkey ceremonies by outcome', async () => {
  const metrics = (await server.request('/metrics')).text;
  const value = (labels: string) =>
    Number(new RegExp(`^gatehouse_passkey_ceremonies_total\\{${labels}\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
  assert.ok(value('ceremony="registration",outcome="success"') >= 6);
  assert.ok(value('ceremony="registration",outcome="failure"') >= 3);
  assert.ok(value('ceremony="authentication",outcome="success"') >= 5);
  assert.ok(value('ceremony="authentication",outcome="failure"') >= 5);
  assert.equal(value('ceremony="authentication",outcome="counter_regressed"'), 2);
});

test('the typed client: add a passkey, sign in with it alone and as the second step, rename and remove it', async () => {
  const { GatehouseClient, TwoFactorRequiredError } = await import('../../src/client/index.js');
  await server.core.users.createUser({ username: 'cleo', password: PASSWORD });
  const client = new GatehouseClient({ baseUrl: server.url, ca: server.ca });
  try {
    await client.login('cleo', PASSWORD);
    const authenticator = new SoftAuthenticator(server.url);
    const options = (await client.passkeyRegistrationOptions()) as Parameters<SoftAuthenticator['register']>[0];
    const added = await client.addPasskey('Phone', authenticator.register(options));
    assert.equal(added.name, 'Phone');
    await client.logout();
    const alone = await client.loginWithPasskey(
      authenticator.assert((await client.passkeyLoginOptions()) as { challenge: string; rpId: string }),
    );
    assert.deepEqual(alone.session.authMethods, ['hwk', 'user']);
    await client.logout();
    const needed = await client.login('cleo', PASSWORD, { code: () => '123456' }).catch((error: unknown) => error);
    assert.ok(needed instanceof TwoFactorRequiredError, 'a code cannot answer: cleo has no TOTP, only a passkey');
    assert.deepEqual(needed.methods, ['passkey']);
    const second = await client.loginWithPasskey(
      authenticator.assert((await client.passkeyLoginOptions(needed.challenge)) as { challenge: string; rpId: string }),
      needed.challenge,
    );
    assert.deepEqual(second.session.authMethods, ['hwk', 'mfa', 'pwd', 'user']);
    const [passkey] = await client.passkeys();
    assert.equal((await client.renamePasskey(passkey!.id, 'Old phone')).name, 'Old phone');
    await client.removePasskey(passkey!.id);
    assert.deepEqual(await client.passkeys(), []);
  } finally {
    await client.close();
  }
});
