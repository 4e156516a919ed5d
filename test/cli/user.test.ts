import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createCLIFixture, fails, HAS_SCRIPT, ok, runInTerminal } from './helpers.js';

const fixture = createCLIFixture();
const { cli, withCore } = fixture;
const PASSWORD = 'operator password 1';
const NEW_PASSWORD = 'a brand new password';
const TERMINAL_PASSWORD = 'typed at a terminal';
const NEWLINE_PASSWORD = 'ends in a newline\n';
const NO_SUCH_USER = 'No such user.';

const signsIn = (username: string, password: string) =>
  withCore((core) => core.login({ username, password }).then(() => true, () => false));

before(async () => {
  // CRLF, as a Windows-made file would end: dropped like LF.
  const added = ok(await cli(['user', 'add', 'Alice', '--role', 'ops', '--role', 'admin', '--password-stdin'], `${PASSWORD}\r\n`));
  assert.equal(added, 'created user Alice (roles: admin, ops)\n');
});
after(() => fixture.remove());

test('add: stores an Argon2id hash of the stdin password, dropping exactly one trailing newline', async () => {
  ok(await cli(['user', 'add', 'dave', '--password-stdin'], `${NEWLINE_PASSWORD}\n`));
  await withCore(async (core) => {
    const { user } = await core.login({ username: 'alice', password: PASSWORD });
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
  const add = (name: string, extra: string[] = [], input: string | undefined = `${PASSWORD}\n`) =>
    cli(['user', 'add', name, ...extra, ...(input === undefined ? [] : ['--password-stdin'])], input);
  const results = await Promise.all([
    add('alice'),
    add('ALICE'),
    add('ａｌｉｃｅ'),
    add('bob', [], 'seven!!\n'),
    add('bad:name'),
    add('bob', ['--role', 'Root!']),
    add('bob', [], undefined),
  ]);
  const [lower, upper, fullWidth, weak, badName, badRole, noTerminal] = results;
  for (const duplicate of [lower!, upper!, fullWidth!]) fails(duplicate, 'A user with this name already exists.');
  fails(weak!, 'A password has at least 8 characters.');
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
  fails(results[6]!, 'A password has at least 8 characters.');
  await withCore(async (core) => assert.deepEqual((await core.users.findUserByName('alice'))!.roles, ['admin', 'ops']));
  assert.equal(await signsIn('alice', PASSWORD), true, 'the weak password was not set');
});

test('passwd, disable, enable, roles, delete: each changes the database and ends sessions where it should', async () => {
  ok(await cli(['user', 'add', 'Carol', '--password-stdin'], `${PASSWORD}\n`));
  const startSessions = (count: number) =>
    withCore(async (core) => {
      const user = (await core.users.findUserByName('carol'))!;
      for (let index = 0; index < count; index++) await core.sessions.createSession(user.id, { ip: '192.0.2.7' });
      return user.id;
    });
  const sessionsOf = (userId: string) => withCore((core) => core.sessions.listSessions({ userId }));

  const carolId = await startSessions(2);
  assert.equal(ok(await cli(['user', 'passwd', 'CAROL', '--password-stdin'], `${NEW_PASSWORD}\n`)), 'password of Carol changed; all sessions ended\n');
  assert.deepEqual(await sessionsOf(carolId), []);
  assert.equal(await signsIn('carol', PASSWORD), false);
  assert.equal(await signsIn('carol', NEW_PASSWORD), true);

  await startSessions(1);
  assert.equal(ok(await cli(['user', 'disable', 'carol'])), 'Carol disabled\n');
  assert.deepEqual(await sessionsOf(carolId), []);
  assert.equal(await signsIn('carol', NEW_PASSWORD), false);
  assert.match(ok(await cli(['user', 'list'])), /\nCarol\s+-\s+disabled\s/);

  assert.equal(ok(await cli(['user', 'enable', 'carol'])), 'Carol enabled\n');
  assert.equal(await signsIn('carol', NEW_PASSWORD), true);

  assert.equal(ok(await cli(['user', 'roles', 'carol', 'ops', 'billing', 'ops'])), 'roles of Carol: billing, ops\n');
  assert.deepEqual((await withCore((core) => core.users.findUserByName('carol')))!.roles, ['billing', 'ops']);
  assert.equal(ok(await cli(['user', 'roles', 'carol'])), 'roles of Carol: none\n');
  assert.deepEqual((await withCore((core) => core.users.findUserByName('carol')))!.roles, []);

  await startSessions(2);
  assert.equal(ok(await cli(['user', 'delete', 'carol'])), 'deleted user Carol\n');
  await withCore(async (core) => {
    assert.equal(await core.users.findUserById(carolId), null);
    assert.deepEqual(await core.store.listSessions({ userId: carolId }), [], 'no session row is left behind');
  });
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

test('at a terminal: prompts twice without echo (backspace edits), refuses a mismatch, Ctrl-C exits 130', { skip: !HAS_SCRIPT && 'needs util-linux script' }, async () => {
  const args = (name: string, ...extra: string[]) => ['user', 'add', name, '--data', fixture.data, ...extra];
  const [typed, mismatch, interrupted, stdinAtTerminal] = await Promise.all([
    runInTerminal(args('erin'), [
      { after: 'Password: ', keys: `${TERMINAL_PASSWORD}xy\u007f\u007f\r` },
      { after: 'Repeat password: ', keys: `${TERMINAL_PASSWORD}\r` },
    ]),
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

  assert.equal(mismatch.code, 1);
  assert.match(mismatch.output, /\r\ngatehouse: the two passwords differ\r\n$/);
  assert.equal(interrupted.code, 130);
  assert.equal(stdinAtTerminal.code, 1);
  assert.match(stdinAtTerminal.output, /gatehouse: --password-stdin reads a pipe or a file/);
  for (const { output } of [typed, mismatch, interrupted]) {
    assert.ok(!output.includes(TERMINAL_PASSWORD) && !output.includes(PASSWORD) && !output.includes('half typed'), 'no echo');
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
