import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generate } from 'otplib';
import { createArgon2Hasher, type PasswordHasher } from '../../src/core/passwords/passwords.js';
import { COOKIE, startTestServer, type TestResponse, type TestServer } from '../helpers/server.js';

/**
 * Bursts of 100 concurrent guesses over real HTTPS (#14, findings 2 and 4):
 * every door that checks a password or a code counts an attempt before it
 * checks it, so a burst checks at most the policy's number (10 here), and
 * advances the account's block once. Password checks are counted by a
 * counting hasher; TOTP checks by the audit log.
 */
const PASSWORD = 'concurrency password 1';
const BURST = 100;
const LIMIT = 10;
let server: TestServer;
let verifications = 0;

before(async () => {
  const argon2 = createArgon2Hasher();
  const hasher: PasswordHasher = {
    ...argon2,
    verify: (phc, password) => ((verifications += 1), argon2.verify(phc, password)),
  };
  server = await startTestServer({
    hasher,
    // Room for the whole burst in the hash queue: the throttle, not the queue, must be what stops it.
    hashQueue: { concurrency: 4, maxWaiting: 400 },
    config: { basicAuth: 'both', throttleBlockSeconds: 5, throttleIpFailures: 100_000 },
  });
  for (const name of ['burst', 'basic-burst', 'reauth', 'disabler', 'totp'])
    await server.core.users.createUser({ username: name, password: PASSWORD });
});
after(() => server.stop());

/**
 * Sends `count` requests at once and returns their answers. The connections
 * are opened first (a TLS handshake each), so that the burst itself arrives
 * within milliseconds, as an attacker's would, not spread over seconds.
 */
async function burst(count: number, send: (index: number) => Promise<TestResponse>): Promise<TestResponse[]> {
  await Promise.all(Array.from({ length: count }, () => server.request('/healthz')));
  return Promise.all(Array.from({ length: count }, (_, index) => send(index)));
}
const statuses = (answers: TestResponse[]) =>
  answers.reduce<Record<number, number>>(
    (counts, { status }) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }),
    {},
  );
const basic = (name: string, password: string) => `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;

async function signIn(username: string): Promise<string> {
  const response = await server.request('/login', { form: { username, password: PASSWORD } });
  assert.equal(response.status, 200);
  return `${COOKIE}=${response.setCookie(COOKIE)}`;
}

describe('a burst of 100 concurrent guesses checks at most the policy’s number', () => {
  test('finding 2 and 4: wrong passwords on /login; the burst starts one first block, and the right password waits only that', async () => {
    const start = verifications;
    const answers = await burst(BURST, (index) =>
      server.request('/login', { form: { username: 'burst', password: `wrong guess ${index}` } }),
    );
    assert.equal(verifications - start, LIMIT, `password checks: ${verifications - start}`);
    assert.deepEqual(statuses(answers), { 401: LIMIT - 1, 429: BURST - LIMIT + 1 });
    const waits = answers
      .filter((answer) => answer.status === 429)
      .map((answer) => Number(answer.headers['retry-after']));
    assert.ok(Math.max(...waits) <= 5, `one first block (5 s here), not more: ${Math.max(...waits)} s`);
    const right = await server.request('/login', { form: { username: 'burst', password: PASSWORD } });
    assert.equal(right.status, 429, 'even the right password waits for the block');
    assert.ok(Number(right.headers['retry-after']) <= 5);
    await sleep(Number(right.headers['retry-after']) * 1000 + 100);
    assert.equal((await server.request('/login', { form: { username: 'burst', password: PASSWORD } })).status, 200);
    // The next burst after a success: a fresh count, and the next block doubles once (10 s), not per rejected guess.
    await burst(BURST, (index) =>
      server.request('/login', { form: { username: 'burst', password: `again ${index}` } }),
    );
    const second = await server.request('/login', { form: { username: 'burst', password: PASSWORD } });
    assert.equal(second.status, 429);
    assert.ok(
      Number(second.headers['retry-after']) <= 10 && Number(second.headers['retry-after']) > 5,
      `second block: ${second.headers['retry-after']} s`,
    );
  });

  test('wrong passwords in HTTP Basic on a protected route', async () => {
    const start = verifications;
    const answers = await burst(BURST, (index) =>
      server.request('/get-info', { headers: { authorization: basic('basic-burst', `wrong guess ${index}`) } }),
    );
    assert.equal(verifications - start, LIMIT);
    assert.deepEqual(statuses(answers), { 401: LIMIT - 1, 429: BURST - LIMIT + 1 });
  });

  test('finding 5: wrong current passwords on /password and /two-factor/disable, with a stolen session', async () => {
    const cookie = await signIn('reauth');
    const start = verifications;
    const answers = await burst(BURST, (index) =>
      server.request('/password', {
        cookie,
        json: { currentPassword: `wrong guess ${index}`, newPassword: 'an attacker’s new passphrase 9' },
      }),
    );
    assert.equal(verifications - start, LIMIT);
    const answered = statuses(answers);
    assert.equal(answered[403], LIMIT - 1, JSON.stringify(answered));
    // The wrong password that fills the session's allowance ends the session (#22): the rest find it blocked or gone.
    assert.equal((answered[429] ?? 0) + (answered[401] ?? 0), BURST - LIMIT + 1, JSON.stringify(answered));
    const right = await server.request('/password', {
      cookie,
      json: { currentPassword: PASSWORD, newPassword: 'the owner’s new passphrase 8' },
    });
    assert.equal(right.status, 401, 'the guessing session has ended: not even the right password goes through it');

    const disabler = await signIn('disabler');
    const before = verifications;
    const disables = await burst(BURST, (index) =>
      server.request('/two-factor/disable', { cookie: disabler, json: { password: `wrong guess ${index}` } }),
    );
    assert.equal(verifications - before, LIMIT);
    const disabled = statuses(disables);
    assert.equal(disabled[403], LIMIT - 1, JSON.stringify(disabled));
    assert.equal((disabled[429] ?? 0) + (disabled[401] ?? 0), BURST - LIMIT + 1, JSON.stringify(disabled));
    assert.equal((await server.request('/session', { cookie: disabler })).status, 401, 'that session ended too');
  });

  test('finding 2: TOTP codes against one sign-in challenge', async () => {
    const user = (await server.core.users.findUserByName('totp'))!;
    const { secret } = await server.core.twoFactor!.beginEnrollment(user);
    await server.core.twoFactor!.confirmEnrollment(user.id, await generate({ secret }));
    const step = await server.request('/login', { form: { username: 'totp', password: PASSWORD } });
    assert.equal(step.status, 202);
    const { challenge } = step.json as { challenge: string };
    // The next time step's code (accepted: one step of clock drift), since enrolment used this step's.
    const right = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const wrong = (index: number) => String((Number(right) + 1 + index) % 1_000_000).padStart(6, '0');
    // The right code is the last of the burst: a check-then-act throttle used to let it through.
    const answers = await burst(BURST, (index) =>
      server.request('/login/two-factor', { json: { challenge, code: index === BURST - 1 ? right : wrong(index) } }),
    );
    const failures = await server.core.audit.list({ userId: user.id, type: 'login.failure', limit: 1000 });
    const checked = failures.filter((event) => event.detail.reason === 'wrong_code').length;
    const signedIn = answers.filter((answer) => answer.status === 200).length;
    assert.ok(checked + signedIn <= LIMIT, `codes checked: ${checked + signedIn}`);
    assert.equal(answers.filter((answer) => answer.status === 429).length >= BURST - LIMIT, true);
  });
});
