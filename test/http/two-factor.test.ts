import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Two-factor sign-in (TOTP, RFC 6238) over HTTPS. Codes are computed here
 * from the shared secret, at the server's (pinned) time.
 */
const PASSWORD = 'two factor password 1';
let now = Date.UTC(2026, 10, 29, 12, 0, 0);
let server: TestServer;
let cookie: string;
let secret: string;
let recoveryCodes: string[];
let userId: string;

const codeAt = (at: number) => generate({ secret, epoch: Math.floor(at / 1000) });
const json = (body: unknown) => body as Record<string, unknown>;

async function passwordStep(username = 'tess', password = PASSWORD) {
  return server.request('/login', { json: { username, password } });
}

async function secondStep(challenge: string, code: string) {
  return server.request('/login/two-factor', { json: { challenge, code } });
}

before(async () => {
  server = await startTestServer({ clock: { now: () => now }, config: { throttleAccountFailures: 5 } });
  userId = (await server.core.users.createUser({ username: 'tess', password: PASSWORD })).id;
  await server.core.users.createUser({ username: 'root', password: PASSWORD, roles: ['admin'] });
  const login = await passwordStep();
  assert.equal(login.status, 200);
  cookie = `${COOKIE}=${login.setCookie(COOKIE)}`;
});
after(() => server.stop());

describe('enrolment', () => {
  test('starts with a secret and an otpauth URI, stored only encrypted, and is off until confirmed', async () => {
    assert.deepEqual((await server.request('/two-factor', { cookie })).json, {
      enabled: false,
      pending: false,
      recoveryCodesLeft: 0,
    });
    // Enrolment needs the current password: a stolen session must not enrol its own authenticator (#14, finding 5).
    const withoutPassword = await server.request('/two-factor', {
      method: 'POST',
      cookie,
      headers: { origin: server.url },
    });
    assert.equal(withoutPassword.status, 400);
    const wrongPassword = await server.request('/two-factor', {
      json: { password: 'not the password at all' },
      cookie,
      headers: { origin: server.url },
    });
    assert.deepEqual([wrongPassword.status, json(wrongPassword.json).code], [403, 'ERR_CURRENT_PASSWORD']);
    assert.equal(await server.core.store.findTwoFactor(userId), null, 'nothing enrolled');
    const started = await server.request('/two-factor', {
      json: { password: PASSWORD },
      cookie,
      headers: { origin: server.url },
    });
    assert.equal(started.status, 201);
    assert.equal(started.headers['cache-control'], 'no-store');
    ({ secret } = json(started.json) as { secret: string });
    assert.match(secret, /^[A-Z2-7]{32}$/, '160 bits, base32');
    const uri = new URL(String(json(started.json).uri));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), secret);
    assert.equal(uri.searchParams.get('issuer'), 'Gatehouse');
    const stored = await server.core.store.findTwoFactor(userId);
    assert.ok(stored && stored.confirmedAt === null);
    assert.equal(stored.secretJwe.includes(secret), false, 'the secret is encrypted at rest');
    assert.equal(stored.secretJwe.split('.').length, 5, 'a compact JWE');
    // Not confirmed: the password alone still signs in.
    assert.equal((await passwordStep()).status, 200);
    assert.deepEqual((await server.request('/two-factor', { cookie })).json, {
      enabled: false,
      pending: true,
      recoveryCodesLeft: 0,
    });
  });

  test('a wrong code does not confirm; the right one turns it on and gives ten recovery codes once', async () => {
    const wrong = await server.request('/two-factor/confirm', {
      json: { code: '000000' === (await codeAt(now)) ? '111111' : '000000' },
      cookie,
      headers: { origin: server.url },
    });
    assert.equal(wrong.status, 400);
    assert.equal(json(wrong.json).code, 'ERR_INVALID_CODE');
    const confirmed = await server.request('/two-factor/confirm', {
      json: { code: await codeAt(now) },
      cookie,
      headers: { origin: server.url },
    });
    assert.equal(confirmed.status, 200, confirmed.text);
    assert.equal(confirmed.headers['cache-control'], 'no-store');
    ({ recoveryCodes } = json(confirmed.json) as { recoveryCodes: string[] });
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    for (const code of recoveryCodes) assert.match(code, /^[a-z2-9]{5}-[a-z2-9]{5}$/);
    assert.equal(await server.core.store.countUnusedRecoveryCodes(userId), 10);
    assert.deepEqual((await server.request('/two-factor', { cookie })).json, {
      enabled: true,
      pending: false,
      recoveryCodesLeft: 10,
    });
    // Starting again while on is refused: turning it off is a separate, password-checked step.
    const again = await server.request('/two-factor', {
      json: { password: PASSWORD },
      cookie,
      headers: { origin: server.url },
    });
    assert.equal(again.status, 409);
    assert.equal(json(again.json).code, 'ERR_TWO_FACTOR_ENABLED');
  });
});

describe('sign-in with a second factor', () => {
  test('a right password gives a challenge and no session; the code completes the sign-in', async () => {
    const sessionsBefore = (await server.core.sessions.listSessions({ userId })).length;
    const first = await passwordStep();
    assert.equal(first.status, 202);
    assert.equal(first.setCookie(COOKIE), undefined, 'no cookie before the second factor');
    assert.equal(first.headers['cache-control'], 'no-store');
    const body = json(first.json);
    assert.equal(body.status, 'two-factor');
    assert.equal(body.expiresIn, 300);
    assert.deepEqual(body.methods, ['totp', 'recovery_code']);
    assert.equal((await server.core.sessions.listSessions({ userId })).length, sessionsBefore);

    now += 30_000; // the enrolment used this step's code: the next step's code is new
    const wrong = await secondStep(String(body.challenge), '123456' === (await codeAt(now)) ? '654321' : '123456');
    assert.equal(wrong.status, 401);
    assert.equal(json(wrong.json).code, 'ERR_INVALID_CREDENTIALS');
    const right = await secondStep(String(body.challenge), await codeAt(now));
    assert.equal(right.status, 200, right.text);
    assert.ok(right.setCookie(COOKIE));
    assert.equal((json(right.json).user as { username: string }).username, 'tess');
    // RFC 8176: the session remembers how it was signed in, for ID tokens and step-up later.
    assert.deepEqual((json(right.json).session as { authMethods: string[] }).authMethods, ['mfa', 'otp', 'pwd']);
    assert.equal((await server.core.sessions.listSessions({ userId })).length, sessionsBefore + 1);
    const events = await server.core.audit.list({ userId, type: 'login.success', limit: 1 });
    assert.equal(events[0]!.detail.secondFactor, 'totp');

    // The challenge is used up, and the same code is not accepted twice (replay).
    assert.equal(
      json((await secondStep(String(body.challenge), await codeAt(now))).json).code,
      'ERR_TWO_FACTOR_CHALLENGE',
    );
    const replay = await secondStep(String(json((await passwordStep()).json).challenge), await codeAt(now));
    assert.equal(replay.status, 401);
    assert.equal(json(replay.json).code, 'ERR_INVALID_CREDENTIALS');
  });

  test('a code from the step before or after is accepted (clock drift), two steps away is not', async () => {
    now += 120_000;
    for (const [offset, expected] of [
      [-60_000, 401],
      [60_000, 401],
      [-30_000, 200],
      [30_000, 200],
    ] as const) {
      if (expected === 200) now += 90_000; // each accepted code must belong to a later step than the last
      const challenge = String(json((await passwordStep()).json).challenge);
      const response = await secondStep(challenge, await codeAt(now + offset));
      assert.equal(response.status, expected, `offset ${offset}`);
    }
  });

  test('after the clock went back (or another instance ran ahead), a code is refused with 401, never a 500', async () => {
    now += 600_000;
    const ahead = String(json((await passwordStep()).json).challenge);
    assert.equal((await secondStep(ahead, await codeAt(now))).status, 200);
    // The last used step is now five minutes ahead of this clock: no step valid here can come after it.
    now -= 300_000;
    const behind = String(json((await passwordStep()).json).challenge);
    const refused = await secondStep(behind, await codeAt(now));
    assert.equal(refused.status, 401);
    assert.equal(json(refused.json).code, 'ERR_INVALID_CREDENTIALS');
    now += 330_000;
  });

  test('a challenge expires after five minutes', async () => {
    const challenge = String(json((await passwordStep()).json).challenge);
    now += 301_000;
    const late = await secondStep(challenge, await codeAt(now));
    assert.equal(late.status, 401);
    assert.equal(json(late.json).code, 'ERR_TWO_FACTOR_CHALLENGE');
  });

  test('a recovery code works once, in any case and with or without its dash', async () => {
    now += 60_000;
    const code = recoveryCodes[0]!;
    const first = await secondStep(
      String(json((await passwordStep()).json).challenge),
      code.toUpperCase().replace('-', ' '),
    );
    assert.equal(first.status, 200);
    assert.equal(
      (await server.core.audit.list({ userId, type: 'login.success', limit: 1 }))[0]!.detail.secondFactor,
      'recovery_code',
    );
    const again = await secondStep(String(json((await passwordStep()).json).challenge), code);
    assert.equal(again.status, 401);
    assert.equal(json((await server.request('/two-factor', { cookie })).json).recoveryCodesLeft, 9);
  });

  test('wrong codes are throttled on their own count, and a right password does not reset it (#22)', async () => {
    // Its own user: a locked account stays locked (the throttle keeps real time, not the pinned clock).
    const uma = await server.core.users.createUser({ username: 'uma', password: PASSWORD });
    const { secret: umaSecret } = await server.core.twoFactor!.beginEnrollment(uma);
    now += 30_000;
    await server.core.twoFactor!.confirmEnrollment(
      uma.id,
      await generate({ secret: umaSecret, epoch: Math.floor(now / 1000) }),
    );
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const step = await passwordStep('uma');
      assert.equal(step.status, 202, 'the password is right each time');
      statuses.push((await secondStep(String(json(step.json).challenge), 'zzzzz-zzzzz')).status);
      if (statuses.at(-1) === 429) break;
    }
    // The limit is 5 (--throttle-account-failures): the fifth wrong code locks the account's codes.
    assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
    // The codes have a count of their own (#22): the password still passes, and the codes stay locked.
    const again = await passwordStep('uma');
    assert.equal(again.status, 202);
    const locked = await secondStep(String(json(again.json).challenge), 'zzzzz-zzzzz');
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers['retry-after']) > 0);
  });
});

describe('turning it off', () => {
  test('needs the password again; then the password alone signs in', async () => {
    // The session from the start has idled out on the pinned clock: sign in again, with a code.
    now += 30_000;
    const step = await passwordStep();
    const signedIn = await secondStep(String(json(step.json).challenge), await codeAt(now));
    assert.equal(signedIn.status, 200);
    cookie = `${COOKIE}=${signedIn.setCookie(COOKIE)}`;
    const wrong = await server.request('/two-factor/disable', {
      json: { password: 'not my password at all' },
      cookie,
      headers: { origin: server.url },
    });
    assert.equal(wrong.status, 403);
    assert.equal(json(wrong.json).code, 'ERR_CURRENT_PASSWORD');
    const off = await server.request('/two-factor/disable', {
      json: { password: PASSWORD },
      cookie,
      headers: { origin: server.url },
    });
    assert.equal(off.status, 204);
    assert.equal(await server.core.store.findTwoFactor(userId), null);
    assert.equal(await server.core.store.countUnusedRecoveryCodes(userId), 0);
    assert.equal((await passwordStep()).status, 200);
    assert.equal(
      (await server.core.audit.list({ userId, type: 'two_factor.disable', limit: 1 }))[0]!.detail.by,
      'self',
    );
  });

  test('an admin can reset it for a user; nobody else can', async () => {
    await server.core.twoFactor!.beginEnrollment({ id: userId, username: 'tess' });
    now += 60_000;
    await server.core.twoFactor!.confirmEnrollment(
      userId,
      await generate({
        secret: (await server.core.twoFactor!.pendingEnrollment({ id: userId, username: 'tess' }))!.secret,
        epoch: Math.floor(now / 1000),
      }),
    );
    assert.equal((await passwordStep()).status, 202);
    const notAdmin = await server.request(`/admin/users/${userId}/two-factor`, {
      method: 'DELETE',
      cookie,
      headers: { origin: server.url },
    });
    assert.equal(notAdmin.status, 403);
    const root = await passwordStep('root');
    const adminCookie = `${COOKIE}=${root.setCookie(COOKIE)}`;
    const reset = await server.request(`/admin/users/${userId}/two-factor`, {
      method: 'DELETE',
      cookie: adminCookie,
      headers: { origin: server.url },
    });
    assert.equal(reset.status, 204);
    assert.equal((await passwordStep()).status, 200);
    assert.equal(
      (
        await server.request('/admin/users/no-such-user/two-factor', {
          method: 'DELETE',
          cookie: adminCookie,
          headers: { origin: server.url },
        })
      ).status,
      404,
    );
    assert.equal(
      (await server.core.audit.list({ userId, type: 'two_factor.disable', limit: 1 }))[0]!.detail.by,
      'admin',
    );
  });
});
