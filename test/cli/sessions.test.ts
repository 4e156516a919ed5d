import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createAuthCore } from '../../src/core/index.js';
import { hashSecret } from '../../src/core/shared/secrets.js';
import { openStore } from '../../src/store/index.js';
import { createCLIFixture, fails, ok } from './helpers.js';

const fixture = createCLIFixture();
const { cli, withCore } = fixture;
const PASSWORD = 'Quartz-lantern 58 ribbon';
// An escape sequence a client could send as its User-Agent, to colour or rewrite the operator's terminal.
const HOSTILE_AGENT = 'curl/8.5\u001b[2J\u009b31m';

const ids: Record<'alice1' | 'alice2' | 'bob1', string> = { alice1: '', alice2: '', bob1: '' };
const tokens: string[] = [];

before(async () => {
  await withCore(async (core) => {
    const alice = await core.users.createUser({ username: 'Alice', password: PASSWORD });
    const bob = await core.users.createUser({ username: 'bob', password: PASSWORD });
    const start = async (userId: string, origin: { ip?: string; userAgent?: string } = {}) => {
      const { token, session } = await core.sessions.createSession(userId, origin);
      tokens.push(token);
      return session.id;
    };
    ids.alice1 = await start(alice.id, { ip: '10.0.0.1', userAgent: 'test-agent/1.0' });
    ids.alice2 = await start(alice.id, { userAgent: HOSTILE_AGENT });
    ids.bob1 = await start(bob.id, { ip: '10.0.0.2' });
  });
});
after(() => fixture.remove());

test('list: JSON of live sessions with ISO times and user names, table with every column, never a token', async () => {
  const [all, alices, table] = await Promise.all([
    cli(['sessions', 'list', '--json']),
    cli(['sessions', 'list', '--user', 'ALICE', '--json']),
    cli(['sessions', 'list']),
  ]);
  const rows = JSON.parse(ok(all)) as Record<string, unknown>[];
  assert.deepEqual(rows.map((row) => row.id).sort(), Object.values(ids).sort());
  const first = rows.find((row) => row.id === ids.alice1)!;
  assert.deepEqual(Object.keys(first).sort(), [
    'absoluteExpiresAt',
    'createdAt',
    'expiresAt',
    'id',
    'ip',
    'lastSeenAt',
    'userAgent',
    'userId',
    'username',
  ]);
  assert.equal(first.username, 'Alice');
  assert.equal(first.ip, '10.0.0.1');
  assert.equal(first.userAgent, 'test-agent/1.0');
  for (const key of ['createdAt', 'lastSeenAt', 'expiresAt', 'absoluteExpiresAt']) {
    assert.equal(new Date(first[key] as string).toISOString(), first[key]);
  }
  assert.equal(rows.find((row) => row.id === ids.alice2)!.userAgent, HOSTILE_AGENT, 'JSON keeps the value, escaped');
  assert.deepEqual(
    (JSON.parse(ok(alices)) as { id: string }[]).map((row) => row.id).sort(),
    [ids.alice1, ids.alice2].sort(),
  );

  assert.match(ok(table), /^ID\s+USER\s+CREATED\s+LAST SEEN\s+EXPIRES\s+IP\s+USER AGENT\n/);
  assert.match(
    table.stdout,
    new RegExp(`\\n${ids.alice1}\\s+Alice\\s+\\S+Z\\s+\\S+Z\\s+\\S+Z\\s+10\\.0\\.0\\.1\\s+test-agent/1\\.0\\n`),
  );
  assert.match(table.stdout, new RegExp(`\\n${ids.bob1}\\s+bob\\s.*10\\.0\\.0\\.2\\s+-\\n`));
  assert.ok(table.stdout.includes('curl/8.5\\u001b[2J\\u009b31m'), 'control characters shown escaped');
  for (const output of [all.stdout, table.stdout]) {
    assert.doesNotMatch(output, /[\u001b\u009b]/, 'no raw escape reaches the terminal');
    for (const token of tokens)
      assert.ok(!output.includes(token) && !output.includes(hashSecret(token)), 'no token or token hash');
  }
});

test('revoke ID ends one session; an unknown or already ended ID is "No such session."', async () => {
  assert.equal(ok(await cli(['sessions', 'revoke', ids.alice1])), '1 session ended\n');
  const [again, unknown] = await Promise.all([
    cli(['sessions', 'revoke', ids.alice1]),
    cli(['sessions', 'revoke', 'not-a-session']),
  ]);
  fails(again, 'No such session.');
  fails(unknown, 'No such session.');
  await withCore(async (core) => {
    assert.equal(await core.sessions.findSession(ids.alice1), null);
    assert.ok(await core.sessions.findSession(ids.alice2), 'the other session lives on');
  });
});

test('revoke --user ends every session of that user only, and says how many', async () => {
  await withCore(async (core) => core.sessions.createSession((await core.users.findUserByName('alice'))!.id));
  assert.equal(ok(await cli(['sessions', 'revoke', '--user', 'alice'])), '2 sessions ended\n');
  const [none, remaining] = await Promise.all([
    cli(['sessions', 'revoke', '--user', 'Alice']),
    cli(['sessions', 'list', '--json']),
  ]);
  assert.equal(ok(none), '0 sessions ended\n');
  assert.deepEqual(
    (JSON.parse(ok(remaining)) as { id: string }[]).map((row) => row.id),
    [ids.bob1],
  );
});

test('usage and lookup errors: neither or both of ID and --user, unknown user', async () => {
  const [neither, both, revokeNobody, listNobody] = await Promise.all([
    cli(['sessions', 'revoke']),
    cli(['sessions', 'revoke', ids.bob1, '--user', 'bob']),
    cli(['sessions', 'revoke', '--user', 'nobody']),
    cli(['sessions', 'list', '--user', 'nobody']),
  ]);
  fails(neither, 'give either a session ID or --user NAME');
  fails(both, 'give either a session ID or --user NAME');
  fails(revokeNobody, 'No such user.');
  fails(listNobody, 'No such user.');
  await withCore(async (core) => assert.ok(await core.sessions.findSession(ids.bob1), 'nothing was revoked'));
});

test('works while a server holds the same SQLite database open: a revocation is seen at once', async () => {
  // Like `serve`: one long-lived store, validating a token before and after the CLI runs.
  const store = await openStore({ url: `sqlite:${join(fixture.data, 'gatehouse.db')}` });
  try {
    const core = createAuthCore({ store });
    const bob = (await core.users.findUserByName('bob'))!;
    const { token } = await core.sessions.createSession(bob.id);
    assert.ok(await core.sessions.validateSessionToken(token));
    assert.equal(ok(await cli(['sessions', 'revoke', '--user', 'bob'])), '2 sessions ended\n');
    assert.equal(await core.sessions.validateSessionToken(token), null);
  } finally {
    await store.close();
  }
});

test('no password appears in any output', () => {
  assert.ok(!fixture.outputs().includes(PASSWORD));
});
