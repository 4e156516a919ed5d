import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import { SoftAuthenticator } from '../passkeys/soft-authenticator.js';
import { COOKIE, startTestServer, type TestResponse, type TestServer } from '../helpers/server.js';
import { redisSkipReason, TEST_REDIS_URL } from '../helpers/services.js';

/**
 * Issue #22, defect 6: a burst of wrong passwords locks the account for
 * unknown browsers only. Passkeys, a second step after a right password,
 * and a browser that signed in before (its device cookie) keep working;
 * the known browser has its own allowance and cannot guess without end.
 * Over real HTTPS on `localhost` (the passkeys' RP ID).
 */
const PASSWORD = 'lockout password 1';
const DEVICE = '__Host-gatehouse-device';
const BURST = 100;
const LIMIT = 10;
let server: TestServer;

before(async () => {
  server = await startTestServer({
    // Room for the whole burst in the hash queue: the throttle, not the queue, must be what stops it.
    hashQueue: { concurrency: 2, maxWaiting: 400 },
    // Every request of the test comes from 127.0.0.1: the per-address limits must not be what answers.
    config: { host: 'localhost', throttleBlockSeconds: 60, throttleIpFailures: 100_000, rateLimitPerMinute: 100_000 },
  });
  for (const name of ['owner', 'other', 'pia', 'tia'])
    await server.core.users.createUser({ username: name, password: PASSWORD });
});
after(() => server.stop());

const login = (username: string, password: string, cookie?: string) =>
  server.request('/login', { form: { username, password }, cookie });
const post = (path: string, json: unknown, cookie?: string) =>
  server.request(path, { json, cookie, headers: { origin: server.url } });
const statuses = (answers: TestResponse[]) =>
  answers.reduce<Record<number, number>>(
    (counts, { status }) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }),
    {},
  );
const setCookieLine = (response: TestResponse, name: string) =>
  ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((line) => line.startsWith(`${name}=`));

/** An attacker's burst of 100 concurrent wrong passwords, without any cookie; the account is locked after it. */
async function lockOut(username: string): Promise<void> {
  // Connections first (a TLS handshake each), so that the burst arrives within milliseconds.
  await Promise.all(Array.from({ length: BURST }, () => server.request('/healthz')));
  const answers = await Promise.all(
    Array.from({ length: BURST }, (_, index) => login(username, `attacker guess ${index}`)),
  );
  assert.deepEqual(statuses(answers), { 401: LIMIT - 1, 429: BURST - LIMIT + 1 }, 'the guess limit holds');
  assert.equal((await login(username, PASSWORD)).status, 429, 'locked for unknown browsers');
}

describe('defect 6: password failures lock the account for unknown browsers only', { timeout: 120_000 }, () => {
  test('defect 6: password failures never block a passkey sign-in', async () => {
    const signedIn = await login('pia', PASSWORD);
    assert.equal(signedIn.status, 200);
    const session = `${COOKIE}=${signedIn.setCookie(COOKIE)}`;
    const authenticator = new SoftAuthenticator(server.url);
    const creation = await post('/passkeys/registration/options', {}, session);
    const added = await post(
      '/passkeys/registration',
      { name: 'Laptop', response: authenticator.register(creation.json) },
      session,
    );
    assert.equal(added.status, 201, added.text);
    // A password sign-in now waits for the passkey; the owner is at that step when the burst comes.
    const waiting = await login('pia', PASSWORD);
    assert.equal(waiting.status, 202);
    assert.deepEqual(waiting.json.methods, ['passkey']);

    await lockOut('pia');

    // Passwordless: nothing to guess, so the password failures do not count.
    const options = await post('/login/passkey/options', {});
    const passwordless = await post('/login/passkey', { response: authenticator.assert(options.json) });
    assert.equal(passwordless.status, 200, passwordless.text);
    assert.equal(passwordless.json.user.username, 'pia');
    assert.ok(passwordless.setCookie(COOKIE), 'the session cookie is set');
    assert.ok(passwordless.setCookie(DEVICE), 'and the device cookie');
    // The passkey as the second step of the right password typed before the burst.
    const { challenge } = waiting.json as { challenge: string };
    const stepOptions = await post('/login/passkey/options', { challenge });
    assert.equal(stepOptions.status, 200);
    const second = await post('/login/passkey', { challenge, response: authenticator.assert(stepOptions.json) });
    assert.equal(second.status, 200, second.text);
    assert.deepEqual(second.json.session.authMethods, ['hwk', 'mfa', 'pwd', 'user']);
    // The password itself is still locked for unknown browsers.
    assert.equal((await login('pia', PASSWORD)).status, 429);
  });

  test('defect 6: a TOTP second step is not blocked by password failures from elsewhere', async () => {
    const user = (await server.core.users.findUserByName('tia'))!;
    const { secret } = await server.core.twoFactor!.beginEnrollment(user);
    await server.core.twoFactor!.confirmEnrollment(user.id, await generate({ secret }));
    const waiting = await login('tia', PASSWORD);
    assert.equal(waiting.status, 202);

    await lockOut('tia');

    // The next time step's code (one step of drift is accepted), since enrolment used this step's.
    const code = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const completed = await server.request('/login/two-factor', { json: { challenge: waiting.json.challenge, code } });
    assert.equal(completed.status, 200, completed.text);
    assert.ok(completed.setCookie(DEVICE));
  });

  test('defect 6: a signed-in owner re-authenticates while the account is locked; each session has its own limit', async () => {
    const sam = await server.core.users.createUser({ username: 'sam', password: PASSWORD });
    const sessionOf = async () => `${COOKIE}=${(await login('sam', PASSWORD)).setCookie(COOKIE)}`;
    const owner = await sessionOf();
    const thief = await sessionOf();

    await lockOut('sam');

    // A session that guesses the current password (a stolen one) has its own allowance, once: the wrong
    // password that uses it up ends the session, so no block ever renews it.
    const guesses = await Promise.all(
      Array.from({ length: BURST }, (_, index) => post('/two-factor', { password: `thief guess ${index}` }, thief)),
    );
    const answered = statuses(guesses);
    assert.equal(answered[403], LIMIT - 1, `checked at most the limit: ${JSON.stringify(answered)}`);
    assert.equal((answered[429] ?? 0) + (answered[401] ?? 0), BURST - LIMIT + 1, 'the rest refused');
    assert.equal((await server.request('/session', { cookie: thief })).status, 401, 'the guessing session ended');
    const [ended] = await server.core.audit.list({ type: 'session.revoke', userId: sam.id });
    assert.equal(ended?.detail.reason, 'reauthentication_failures');
    // The owner's session is the proof of a known browser: neither the lockout nor the thief's guesses stop it.
    const changed = await post('/password', { currentPassword: PASSWORD, newPassword: `${PASSWORD} changed` }, owner);
    assert.equal(changed.status, 204, changed.text);
  });

  test('codes keep their own limit: a right password resets the password count, not the codes’', async () => {
    await server.core.users.createUser({ username: 'cody', password: PASSWORD });
    const user = (await server.core.users.findUserByName('cody'))!;
    const { secret } = await server.core.twoFactor!.beginEnrollment(user);
    await server.core.twoFactor!.confirmEnrollment(user.id, await generate({ secret }));
    for (let attempt = 1; attempt < LIMIT; attempt += 1)
      assert.equal((await login('cody', `typo ${attempt} here`)).status, 401);
    const { challenge } = (await login('cody', PASSWORD)).json as { challenge: string };
    // Nine more typos after the right password: the password count started again.
    for (let attempt = 1; attempt < LIMIT; attempt += 1)
      assert.equal((await login('cody', `typo ${attempt} again`)).status, 401, `typo ${attempt}`);
    const codes: number[] = [];
    for (let attempt = 0; attempt < LIMIT; attempt += 1)
      codes.push(
        (await server.request('/login/two-factor', { json: { challenge, code: String(attempt).padStart(6, '7') } }))
          .status,
      );
    assert.deepEqual(codes, [...Array<number>(LIMIT - 1).fill(401), 429]);
    // The right password again: a new challenge, and the codes are still blocked.
    const again = await login('cody', PASSWORD);
    assert.equal(again.status, 202, 'code failures do not block the password');
    const code = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const blocked = await server.request('/login/two-factor', { json: { challenge: again.json.challenge, code } });
    assert.equal(blocked.status, 429, 'a right password does not reset the codes’ count');
  });

  test('defect 6: a password change or reset voids every device cookie of the account', async () => {
    const pam = await server.core.users.createUser({ username: 'pam', password: PASSWORD });
    // Someone who once had the password collects device cookies, one per sign-in.
    const collected = await Promise.all(
      [1, 2, 3].map(async () => `${DEVICE}=${(await login('pam', PASSWORD)).setCookie(DEVICE)}`),
    );
    const owner = await login('pam', PASSWORD);
    const ownerSession = `${COOKIE}=${owner.setCookie(COOKIE)}`;
    const newPassword = `${PASSWORD} renewed`;
    const changed = await post('/password', { currentPassword: PASSWORD, newPassword }, ownerSession);
    assert.equal(changed.status, 204, changed.text);
    const fresh = `${DEVICE}=${(await login('pam', newPassword)).setCookie(DEVICE)}`;

    await lockOut('pam');

    // None of the collected cookies gives an allowance against the new password.
    for (const [index, cookie] of collected.entries()) {
      const answer = await login('pam', `a guess at the new one ${index}`, cookie);
      assert.equal(answer.status, 429, 'locked like an unknown browser');
    }
    // A cookie of a sign-in since the change is honoured, until an administrator's reset voids it too.
    assert.equal((await login('pam', newPassword, fresh)).status, 200);
    const latest = `${DEVICE}=${(await login('pam', newPassword, fresh)).setCookie(DEVICE)}`;
    await server.core.users.resetPassword(pam.id, `${PASSWORD} reset`);
    assert.equal((await login('pam', `${PASSWORD} reset`, latest)).status, 429, 'void after the reset');
  });

  test('defect 6: a known browser keeps its allowance while the account is locked', async () => {
    const first = await login('owner', PASSWORD);
    assert.equal(first.status, 200);
    const line = setCookieLine(first, DEVICE);
    assert.ok(line, 'a successful sign-in sets the device cookie');
    assert.match(line, /; Max-Age=31536000; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    assert.ok(!server.logs.join('').includes(first.setCookie(DEVICE)!), 'the device cookie is never logged');
    const device = `${DEVICE}=${first.setCookie(DEVICE)}`;
    const session = `${COOKIE}=${first.setCookie(COOKIE)}`;
    // Signing out ends the session and keeps the device cookie.
    const out = await post('/logout', {}, `${session}; ${device}`);
    assert.equal(out.status, 204);
    assert.equal(setCookieLine(out, DEVICE), undefined, 'sign-out leaves the device cookie');
    const otherDevice = `${DEVICE}=${(await login('other', PASSWORD)).setCookie(DEVICE)}`;

    await lockOut('owner');

    // The owner's browser, with its device cookie and the right password.
    const known = await login('owner', PASSWORD, device);
    assert.equal(known.status, 200, known.text);
    assert.ok(known.setCookie(COOKIE));
    const renewed = `${DEVICE}=${known.setCookie(DEVICE)}`;
    assert.notEqual(renewed, device, 'a new device cookie at every sign-in');
    // Anyone else, still locked: no cookie, another user's, a tampered one, a forged one.
    const value = first.setCookie(DEVICE)!;
    const tampered = `${value.slice(0, -1)}${value.endsWith('A') ? 'B' : 'A'}`;
    const forged = `${randomBytes(16).toString('base64url')}.${Math.floor(Date.now() / 1000)}.${randomBytes(32).toString('base64url')}`;
    const movedTime = value.replace(/\.(\d+)\./, (_, seconds: string) => `.${Number(seconds) - 1}.`);
    for (const [label, cookie] of [
      ['no device cookie', undefined],
      ["another user's device cookie", otherDevice],
      ['a tampered device cookie', `${DEVICE}=${tampered}`],
      ['a device cookie with another time', `${DEVICE}=${movedTime}`],
      ['a forged device cookie', `${DEVICE}=${forged}`],
      ['garbage', `${DEVICE}=not-a-device-cookie`],
    ] as const) {
      const answer = await login('owner', PASSWORD, cookie);
      assert.equal(answer.status, 429, label);
      assert.equal(answer.json.code, 'ERR_THROTTLED', label);
      assert.equal(answer.setCookie(COOKIE), undefined, label);
    }
    // The known browser's own wrong guesses run out of its own allowance, and then it is locked too.
    const own: number[] = [];
    for (let attempt = 1; attempt <= LIMIT; attempt += 1)
      own.push((await login('owner', `owner typo ${attempt}`, renewed)).status);
    assert.deepEqual(own, [...Array<number>(LIMIT - 1).fill(401), 429]);
    const exhausted = await login('owner', PASSWORD, renewed);
    assert.equal(exhausted.status, 429, 'its cookie stops helping');
    assert.ok(Number(exhausted.headers['retry-after']) > 0);
    // Its lock is its own: the other user's known browser is untouched.
    assert.equal((await login('other', PASSWORD, otherDevice)).status, 200);
  });

  test('a burst from a known browser is checked at most its own allowance', async () => {
    const other = await login('other', PASSWORD);
    const device = `${DEVICE}=${other.setCookie(DEVICE)}`;
    await Promise.all(Array.from({ length: BURST }, () => server.request('/healthz')));
    const answers = await Promise.all(
      Array.from({ length: BURST }, (_, index) => login('other', `stolen-cookie guess ${index}`, device)),
    );
    assert.deepEqual(statuses(answers), { 401: LIMIT - 1, 429: BURST - LIMIT + 1 });
    const failures = await server.core.audit.list({ type: 'login.failure', limit: 1000 });
    const checked = failures.filter((event) => event.detail.username === 'other').length;
    assert.equal(checked, LIMIT, `checks of the known browser's burst: ${checked}`);
  });
});

const redisSkip = (await redisSkipReason()) ?? false;

describe('two instances on one Redis', { skip: redisSkip, timeout: 120_000 }, () => {
  // One deployment: one data folder (database and master key), one Redis namespace.
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-lockout-instances-'));
  let first: TestServer;
  let second: TestServer;
  before(async () => {
    const config = { redis: TEST_REDIS_URL, throttleBlockSeconds: 60, throttleIpFailures: 100_000, cacheTtlMs: 0 };
    first = await startTestServer({ data, config });
    second = await startTestServer({ data, config });
    await first.core.users.createUser({ username: 'roamer', password: PASSWORD });
  });
  after(async () => {
    await first?.stop();
    await second?.stop();
    rmSync(data, { recursive: true, force: true });
  });

  test('a device cookie from one instance counts on the other, against one allowance', async () => {
    const signedIn = await first.request('/login', { form: { username: 'roamer', password: PASSWORD } });
    const device = `${DEVICE}=${signedIn.setCookie(DEVICE)}`;
    // Locked on the first instance for unknown browsers, so on the second too.
    for (let attempt = 1; attempt <= LIMIT; attempt += 1)
      await first.request('/login', { form: { username: 'roamer', password: `unknown ${attempt}` } });
    const unknown = await second.request('/login', { form: { username: 'roamer', password: PASSWORD } });
    assert.equal(unknown.status, 429);
    // The first instance's device cookie, on the second: the known browser signs in.
    const known = await second.request('/login', { form: { username: 'roamer', password: PASSWORD }, cookie: device });
    assert.equal(known.status, 200, known.text);
    // The known browser's own guesses, half on each instance: one allowance, shared.
    const own: number[] = [];
    for (let attempt = 1; attempt <= LIMIT; attempt += 1) {
      const server = attempt % 2 === 0 ? first : second;
      own.push(
        (await server.request('/login', { form: { username: 'roamer', password: `typo ${attempt}` }, cookie: device }))
          .status,
      );
    }
    assert.deepEqual(own, [...Array<number>(LIMIT - 1).fill(401), 429]);
    const exhausted = await first.request('/login', {
      form: { username: 'roamer', password: PASSWORD },
      cookie: device,
    });
    assert.equal(exhausted.status, 429);
  });
});
