import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PASSWORD_MIN_LENGTH } from '../../src/core/passwords/passwords.js';
import { createCLIFixture, fails, HAS_SCRIPT, ok, runInTerminal } from './helpers.js';

const fixture = createCLIFixture();
const { cli, withCore } = fixture;
const PASSWORD = 'Quartz-lantern 58 ribbon';
const NEW_PASSWORD = 'vivid Otter 93 under glass';
const TERMINAL_PASSWORD = 'Kettle_mosaic 417 drift';
const NEWLINE_PASSWORD = 'Crimson walrus 7 spins\n';
const NO_SUCH_USER = 'No such user.';
const TOO_SHORT = `A password has at least ${PASSWORD_MIN_LENGTH} characters.`;

const signsIn = (username: string, password: string) =>
  withCore(async (core) => (await core.login({ username, password })).status === 'signed-in');

before(async () => {
  // CRLF, as a Windows-made file would end: dropped like LF.
  const added = ok(
    await cli(['user', 'add', 'Alice', '--role', 'ops', '--role', 'admin', '--password-stdin'], `${PASSWORD}\r\n`),
  );
  assert.equal(added, 'created user Alice (roles: admin, ops)\n');
});
after(() => fixture.remove());

test('add: stores an Argon2id hash of the stdin password, dropping exactly one trailing newline', async () => {
  ok(await cli(['user', 'add', 'dave', '--password-stdin'], `${NEWLINE_PASSWORD}\n`));
  await withCore(async (core) => {
    const result = await core.login({ username: 'alice', password: PASSWORD });
    assert.equal(result.status, 'signed-in');
    const { user } = result as Extract<typeof result, { status: 'signed-in' }>;
    assert.deepEqual(user.roles, ['admin', 'ops']);
    assert.match((await core.store.findUserById(user.id))!.passwordHash, /^\$argon2id\$/);
  });
  assert.equal(await signsIn('dave', NEWLINE_PASSWORD), true, 'the second newline is part of the password');
  assert.equal(await signsIn('dave', NEWLINE_PASSWORD.trimEnd()), false);
});

test('list: a table, or a JSON array of users with ISO 8601 times and nothing secret', async () => {
  const [table, json] = await Promise.all([cli(['user', 'list']), cli(['user', 'list', '--json'])]);
  assert.match(ok(table), /^USERNAME\s+ROLES\s+STATUS\s+CREATED\n/);
  assert.match(table.stdout, /\nAlice\s+admin,ops\s+enabled\s+\d{4}-\d\d-\d\dT[\d:.]+Z\n/);
  const users = JSON.parse(ok(json)) as Record<string, unknown>[];
  const alice = users.find((user) => user.username === 'Alice')!;
  assert.deepEqual(Object.keys(alice).sort(), ['createdAt', 'disabled', 'id', 'roles', 'updatedAt', 'username']);
  assert.deepEqual(alice.roles, ['admin', 'ops']);
  assert.equal(alice.disabled, false);
  for (const time of [alice.createdAt, alice.updatedAt] as string[]) assert.equal(new Date(time).toISOString(), time);
  assert.doesNotMatch(json.stdout, /argon2|hash|password/i);
});

test('add refuses a taken name in any case or width, a weak password, a bad name or role, and no terminal', async () => {
  // `input: null` leaves out --password-stdin.
  const add = (name: string, extra: string[] = [], input: string | null = `${PASSWORD}\n`) =>
    cli(['user', 'add', name, ...extra, ...(input === null ? [] : ['--password-stdin'])], input ?? undefined);
  const results = await Promise.all([
    add('alice'),
    add('ALICE'),
    add('ａｌｉｃｅ'),
    add('bob', [], 'seven!!\n'),
    add('bad:name'),
    add('bob', ['--role', 'Root!']),
    add('bob', [], null),
  ]);
  const [lower, upper, fullWidth, weak, badName, badRole, noTerminal] = results;
  for (const duplicate of [lower!, upper!, fullWidth!]) fails(duplicate, 'A user with this name already exists.');
  fails(weak!, TOO_SHORT);
  fails(badName!, 'A username has no surrounding spaces, colons, or control characters.');
  fails(badRole!, 'Role "Root!" is not valid: use lower-case letters, digits and _ : . - (at most 64).');
  fails(noTerminal!, 'no terminal to prompt for a password: use --password-stdin');
  await withCore(async (core) => assert.equal(await core.users.findUserByName('bob'), null));
});

test('every user command answers an unknown user with "No such user."; roles and passwd check their input', async () => {
  const results = await Promise.all([
    cli(['user', 'passwd', 'nobody', '--password-stdin'], `${PASSWORD}\n`),
    cli(['user', 'disable', 'nobody']),
    cli(['user', 'enable', 'nobody']),
    cli(['user', 'delete', 'nobody']),
    cli(['user', 'roles', 'nobody', 'admin']),
    cli(['user', 'roles', 'alice', 'Admin']),
    cli(['user', 'passwd', 'alice', '--password-stdin'], 'short\n'),
  ]);
  for (const result of results.slice(0, 5)) fails(result, NO_SUCH_USER);
  fails(results[5]!, 'Role "Admin" is not valid: use lower-case letters, digits and _ : . - (at most 64).');
  fails(results[6]!, TOO_SHORT);
  await withCore(async (core) => assert.deepEqual((await core.users.findUserByName('alice'))!.roles, ['admin', 'ops']));
  assert.equal(await signsIn('alice', PASSWORD), true, 'the weak password was not set');
});

test('passwd, disable, enable, roles, delete: each changes the database and ends sessions where it should', async () => {
  const ids = await withCore(async (core) => ({
    carol: (await core.users.createUser({ username: 'Carol', password: PASSWORD })).id,
    dora: (await core.users.createUser({ username: 'Dora', password: PASSWORD })).id,
  }));
  const startSessions = (userId: string, count: number) =>
    withCore(async (core) => {
      for (let index = 0; index < count; index++) await core.sessions.createSession(userId, { ip: '192.0.2.7' });
    });
  const sessionsOf = (userId: string) => withCore((core) => core.sessions.listSessions({ userId }));
  const rolesOf = async (userId: string) => (await withCore((core) => core.users.findUserById(userId)))!.roles;

  // Two users, two independent chains, run side by side to keep the suite fast.
  const passwordAndDelete = async () => {
    await startSessions(ids.carol, 2);
    await withCore((core) => core.apiKeys.createApiKey({ id: ids.carol, roles: [] }, { name: 'laptop' }));
    assert.equal(
      ok(await cli(['user', 'passwd', 'CAROL', '--password-stdin'], `${NEW_PASSWORD}\n`)),
      'password of Carol changed; all sessions, tokens, API keys and app grants ended\n',
    );
    assert.deepEqual(await sessionsOf(ids.carol), []);
    // The account-recovery path: whoever held the old credentials may be why the password was reset (#14).
    assert.deepEqual(await withCore((core) => core.apiKeys.listApiKeys(ids.carol)), [], 'API keys end too');
    assert.equal(await signsIn('carol', PASSWORD), false);
    assert.equal(await signsIn('carol', NEW_PASSWORD), true);

    await startSessions(ids.carol, 2);
    assert.equal(ok(await cli(['user', 'delete', 'carol'])), 'deleted user Carol\n');
    await withCore(async (core) => {
      assert.equal(await core.users.findUserById(ids.carol), null);
      assert.deepEqual(await core.store.listSessions({ userId: ids.carol }), [], 'no session row is left behind');
    });
  };
  const statusAndRoles = async () => {
    await startSessions(ids.dora, 1);
    assert.equal(ok(await cli(['user', 'disable', 'dora'])), 'Dora disabled\n');
    assert.deepEqual(await sessionsOf(ids.dora), []);
    assert.equal(await signsIn('dora', PASSWORD), false);
    assert.match(ok(await cli(['user', 'list'])), /\nDora\s+-\s+disabled\s/);

    assert.equal(ok(await cli(['user', 'enable', 'Dora'])), 'Dora enabled\n');
    assert.equal(await signsIn('dora', PASSWORD), true);

    assert.equal(ok(await cli(['user', 'roles', 'dora', 'ops', 'billing', 'ops'])), 'roles of Dora: billing, ops\n');
    assert.deepEqual(await rolesOf(ids.dora), ['billing', 'ops']);
    assert.equal(ok(await cli(['user', 'roles', 'dora'])), 'roles of Dora: none\n');
    assert.deepEqual(await rolesOf(ids.dora), []);
  };
  await Promise.all([passwordAndDelete(), statusAndRoles()]);
});

test('--db names the database; --help says that roles with none given removes them all', async () => {
  const db = `sqlite:${join(fixture.data, 'other.db')}`;
  const [added, help] = await Promise.all([
    cli(['user', 'add', 'hank', '--password-stdin', '--db', db], `${PASSWORD}\n`),
    cli(['user', 'roles', '--help']),
  ]);
  ok(added);
  assert.match(ok(help), /with none given, remove all of them/);
  const names = (users: { username: string }[]) => users.map((user) => user.username);
  assert.deepEqual(names(JSON.parse(ok(await cli(['user', 'list', '--json', '--db', db])))), ['hank']);
  assert.equal(await withCore((core) => core.users.findUserByName('hank')), null, 'not in <data>/gatehouse.db');
});

const TERMINAL_NAME =
  'at a terminal: prompts twice without echo (backspace edits, arrows ignored, typing ahead kept), refuses a mismatch, Ctrl-C exits 130';
test(TERMINAL_NAME, { skip: !HAS_SCRIPT && 'needs util-linux script' }, async () => {
  const args = (name: string, ...extra: string[]) => ['user', 'add', name, '--data', fixture.data, ...extra];
  const [typed, pasted, mismatch, interrupted, stdinAtTerminal] = await Promise.all([
    runInTerminal(args('erin'), [
      { after: 'Password: ', keys: `${TERMINAL_PASSWORD}xy\u007f\u007f\u001b[D\r` },
      { after: 'Repeat password: ', keys: `${TERMINAL_PASSWORD}\r` },
    ]),
    runInTerminal(args('jack'), [{ after: 'Password: ', keys: `${TERMINAL_PASSWORD}\r${TERMINAL_PASSWORD}\r` }]),
    runInTerminal(args('frank'), [
      { after: 'Password: ', keys: `${TERMINAL_PASSWORD}\r` },
      { after: 'Repeat password: ', keys: `${PASSWORD}\r` },
    ]),
    runInTerminal(args('gina'), [{ after: 'Password: ', keys: 'half typed\u0003' }]),
    runInTerminal(args('ivan', '--password-stdin'), []),
  ]);
  assert.equal(typed.code, 0, typed.output);
  assert.match(typed.output, /^Password: \r\nRepeat password: \r\ncreated user erin \(roles: none\)\r\n$/);
  assert.equal(await signsIn('erin', TERMINAL_PASSWORD), true);
  assert.equal(pasted.code, 0, pasted.output);
  assert.equal(await signsIn('jack', TERMINAL_PASSWORD), true);

  assert.equal(mismatch.code, 1);
  assert.match(mismatch.output, /\r\ngatehouse: the two passwords differ\r\n$/);
  assert.equal(interrupted.code, 130);
  assert.equal(stdinAtTerminal.code, 1);
  assert.match(stdinAtTerminal.output, /gatehouse: --password-stdin reads a pipe or a file/);
  for (const { output } of [typed, pasted, mismatch, interrupted]) {
    assert.ok(
      !output.includes(TERMINAL_PASSWORD) && !output.includes(PASSWORD) && !output.includes('half typed'),
      'no echo',
    );
  }
  await withCore(async (core) => {
    assert.equal(await core.users.findUserByName('frank'), null);
    assert.equal(await core.users.findUserByName('gina'), null);
  });
});

test('no password appears in any output', () => {
  const seen = fixture.outputs();
  assert.ok(seen.length > 0);
  for (const password of [PASSWORD, NEW_PASSWORD, NEWLINE_PASSWORD.trimEnd(), 'seven!!']) {
    assert.ok(!seen.includes(password), `found ${JSON.stringify(password)}`);
  }
});
