import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createAuthCore } from '../../src/core/index.js';
import { createArgon2Hasher, OWASP_ARGON2_PARAMETERS } from '../../src/core/passwords/passwords.js';
import { isGatehouseError } from '../../src/core/errors/errors.js';
import { loadConfig } from '../../src/server/config.js';
import { openStore } from '../../src/store/index.js';

test('a hash made with older, cheaper parameters is upgraded at the next successful login', async () => {
  const store = await openStore({ url: 'sqlite::memory:' });
  const cheap = createAuthCore({
    store,
    hasher: createArgon2Hasher({ memoryCostKiB: 8192, timeCost: 1, parallelism: 1 }),
  });
  const user = await cheap.users.createUser({ username: 'Alice', password: 'correct horse 1' });
  assert.match((await store.findUserById(user.id))!.passwordHash, /^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);

  const current = createAuthCore({ store });
  assert.deepEqual(await current.login({ username: 'alice', password: 'wrong horse 1' }), { status: 'refused' });
  assert.match((await store.findUserById(user.id))!.passwordHash, /m=8192,t=1,p=1/, 'a failed login changes nothing');
  await current.login({ username: 'alice', password: 'correct horse 1' });
  const { memoryCostKiB, timeCost, parallelism } = OWASP_ARGON2_PARAMETERS;
  assert.match(
    (await store.findUserById(user.id))!.passwordHash,
    new RegExp(`^\\$argon2id\\$v=19\\$m=${memoryCostKiB},t=${timeCost},p=${parallelism}\\$`),
  );
  await current.login({ username: 'alice', password: 'correct horse 1' });
  await store.close();
});

test('passwords are hashed with Argon2id at OWASP parameters, NFKC-normalised, never stored as given', async () => {
  const store = await openStore({ url: 'sqlite::memory:' });
  const core = createAuthCore({ store });
  const password = 'ﬁne password 1'; // U+FB01, NFKC "fi"
  const user = await core.users.createUser({ username: 'Bob', password });
  const stored = (await store.findUserById(user.id))!.passwordHash;
  assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
  assert.ok(!stored.includes(password));
  const signedIn = await core.login({ username: 'bob', password: 'fine password 1' });
  assert.equal(signedIn.status, 'signed-in');
  assert.equal(signedIn.status === 'signed-in' && signedIn.user.id, user.id);
  await store.close();
});

test('usernames: NFKC + case-insensitive unique; control characters, colons and spaces at the ends refused', async () => {
  const store = await openStore({ url: 'sqlite::memory:' });
  const core = createAuthCore({ store });
  await core.users.createUser({ username: 'Ｍａｒｉａ', password: 'maria password 1' });
  assert.equal((await core.users.findUserByName('maria'))?.username, 'Maria');
  await assert.rejects(core.users.createUser({ username: 'MARIA', password: 'maria password 1' }), (error) =>
    isGatehouseError(error, 'ERR_USER_EXISTS'),
  );
  for (const username of ['', 'a'.repeat(65), 'tab\there', 'zero\u200bwidth', 'a:b', ' lead', 'trail ', 'bidi\u202e']) {
    await assert.rejects(core.users.createUser({ username, password: 'long password 1' }), (error) =>
      isGatehouseError(error, 'ERR_INVALID_USERNAME'),
    );
  }
  await store.close();
});

test('password policy (NIST SP 800-63B-4): 15 characters by default, up to 1024 bytes as given, no composition rules, nothing guessable', async () => {
  const store = await openStore({ url: 'sqlite::memory:' });
  const core = createAuthCore({ store });
  const weak = (username: string, password: string, message: RegExp) =>
    assert.rejects(
      core.users.createUser({ username, password }),
      (error) => isGatehouseError(error, 'ERR_WEAK_PASSWORD') && message.test(error.message),
    );
  await weak('short', 'Xq7#mP2$vL9@kR', /^A password has at least 15 characters\.$/);
  await weak('common', 'password12345678', /too easy to guess/);
  await weak('walker', 'qwertyuiopasdfgh', /too easy to guess/);
  await weak('maria', 'mariamariamaria1', /too easy to guess/);
  await weak('someone', 'gatehousegatehouse', /too easy to guess/);
  await assert.rejects(core.users.createUser({ username: 'huge', password: 'x'.repeat(1025) }), (error) =>
    isGatehouseError(error, 'ERR_VALIDATION'),
  );
  await core.users.createUser({ username: 'plain', password: 'an ordinary passphrase' });
  const long = randomBytes(768).toString('base64');
  assert.equal(Buffer.byteLength(long), 1024);
  const user = await core.users.createUser({ username: 'max', password: long });
  assert.equal((await core.login({ username: 'max', password: long })).status, 'signed-in');
  assert.equal(
    (await core.login({ username: 'max', password: long.slice(0, 1023) })).status,
    'refused',
    'no truncation: every byte counts',
  );
  assert.ok(user);
  await store.close();
});

test('the minimum length is configurable down to 8 (where a second factor is required)', async () => {
  const store = await openStore({ url: 'sqlite::memory:' });
  const core = createAuthCore({ store, passwordPolicy: { minLength: 8 } });
  await core.users.createUser({ username: 'mfa-user', password: 'Xq7#mP2$vL' });
  await assert.rejects(
    core.users.createUser({ username: 'mfa-seven', password: 'Xq7#mP2' }),
    (error) =>
      isGatehouseError(error, 'ERR_WEAK_PASSWORD') && error.message === 'A password has at least 8 characters.',
  );
  await store.close();
  // 8 is the floor: a deployment cannot configure 7.
  assert.equal(loadConfig({ env: { GATEHOUSE_PASSWORD_MIN_LENGTH: '8' } }).passwordMinLength, 8);
  assert.throws(
    () => loadConfig({ env: { GATEHOUSE_PASSWORD_MIN_LENGTH: '7' } }),
    (error) => isGatehouseError(error, 'ERR_CONFIG') && /GATEHOUSE_PASSWORD_MIN_LENGTH/.test(error.message),
  );
});
