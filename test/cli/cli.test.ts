import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createAuthCore } from '../../src/core/index.js';
import { loadMasterKey } from '../../src/server/master-key.js';
import { openStore } from '../../src/store/index.js';
import { runCLI, type CLIResult } from '../helpers/process.js';

const data = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
const PASSWORD = 'operator password 1';
const cli = (args: string[], input?: string) => runCLI([...args, '--data', data], { input });

function ok(result: CLIResult): string {
  assert.equal(result.code, 0, `stderr: ${result.stderr}`);
  return result.stdout;
}
function fails(result: CLIResult, message: string): void {
  assert.equal(result.code, 1, `stdout: ${result.stdout}`);
  assert.equal(result.stderr, `gatehouse: ${message}\n`);
}
async function withCore<T>(work: (core: ReturnType<typeof createAuthCore>) => Promise<T>): Promise<T> {
  const store = await openStore({ url: `sqlite:${join(data, 'gatehouse.db')}` });
  try {
    return await work(createAuthCore({ store }));
  } finally {
    await store.close();
  }
}

before(async () => {
  // What the server's first start does; the CLI never makes a master key of its own.
  loadMasterKey(data);
  ok(await cli(['user', 'add', 'Alice', '--role', 'admin', '--role', 'ops', '--password-stdin'], `${PASSWORD}\n`));
});
after(() => rmSync(data, { recursive: true, force: true }));

describe('gatehouse user', () => {
  test('add stores an Argon2id hash of the password read from stdin (one trailing newline dropped)', async () => {
    await withCore(async (core) => {
      const { user } = await core.login({ username: 'alice', password: PASSWORD });
      assert.deepEqual(user.roles, ['admin', 'ops']);
      const stored = await core.store.findUserById(user.id);
      assert.match(stored!.passwordHash, /^\$argon2id\$/);
    });
  });

  test('list: a table, or JSON with ISO times and no password hash', async () => {
    const table = ok(await cli(['user', 'list']));
    assert.match(table, /^USERNAME\s+ROLES\s+STATUS\s+CREATED\n/);
    assert.match(table, /\nAlice\s+admin,ops\s+enabled\s+\d{4}-/);
    const users = JSON.parse(ok(await cli(['user', 'list', '--json'])));
    assert.equal(users[0].username, 'Alice');
    assert.match(users[0].createdAt, /^\d{4}-\d\d-\d\dT/);
    assert.ok(!JSON.stringify(users).includes('argon2'));
  });

  test('errors: duplicate (any case), weak password, bad name, bad role, unknown user, no terminal', async () => {
    fails(await cli(['user', 'add', 'ALICE', '--password-stdin'], `${PASSWORD}\n`), 'A user with this name already exists.');
    fails(await cli(['user', 'add', 'bob', '--password-stdin'], 'short\n'), 'A password has at least 8 characters.');
    fails(await cli(['user', 'add', 'bad:name', '--password-stdin'], `${PASSWORD}\n`), 'A username has no surrounding spaces, colons, or control characters.');
    const badRole = await cli(['user', 'add', 'bob', '--role', 'Root!', '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(badRole.code, 1);
    assert.match(badRole.stderr, /^gatehouse: Role "Root!" is not valid/);
    fails(await cli(['user', 'passwd', 'nobody', '--password-stdin'], `${PASSWORD}\n`), 'No such user.');
    fails(await cli(['user', 'disable', 'nobody']), 'No such user.');
    fails(await cli(['user', 'add', 'bob']), 'no terminal to prompt for a password: use --password-stdin');
  });

  test('passwd, disable, enable, roles, delete: and each one ends sessions where it should', async () => {
    ok(await cli(['user', 'add', 'carol', '--password-stdin'], `${PASSWORD}\n`));
    const sessionId = await withCore(async (core) => (await core.login({ username: 'carol', password: PASSWORD })).session.id);
    assert.match(ok(await cli(['user', 'passwd', 'carol', '--password-stdin'], 'a brand new password\n')), /password of carol changed/);
    await withCore(async (core) => {
      assert.equal(await core.sessions.findSession(sessionId), null, 'passwd ended the session');
      await core.login({ username: 'carol', password: 'a brand new password' });
    });
    ok(await cli(['user', 'disable', 'carol']));
    await withCore(async (core) => {
      assert.deepEqual(await core.sessions.listSessions({ userId: (await core.users.findUserByName('carol'))!.id }), []);
      await assert.rejects(core.login({ username: 'carol', password: 'a brand new password' }));
    });
    ok(await cli(['user', 'enable', 'carol']));
    assert.match(ok(await cli(['user', 'roles', 'carol', 'billing', 'ops'])), /roles of carol: billing, ops/);
    assert.match(ok(await cli(['user', 'roles', 'carol'])), /roles of carol: none/);
    ok(await cli(['user', 'delete', 'carol']));
    await withCore(async (core) => assert.equal(await core.users.findUserByName('carol'), null));
  });
});

describe('gatehouse sessions', () => {
  test('list (table and JSON, never a token) and revoke by id or by user', async () => {
    const [first, second] = await withCore(async (core) => {
      await core.sessions.revokeUserSessions((await core.users.findUserByName('alice'))!.id);
      return [
        (await core.login({ username: 'alice', password: PASSWORD }, { ip: '10.0.0.1', userAgent: 'test' })).session.id,
        (await core.login({ username: 'alice', password: PASSWORD })).session.id,
      ];
    });
    const json = JSON.parse(ok(await cli(['sessions', 'list', '--user', 'Alice', '--json'])));
    assert.deepEqual(json.map((row: { id: string }) => row.id).sort(), [first, second].sort());
    assert.equal(json.find((row: { id: string }) => row.id === first).ip, '10.0.0.1');
    assert.ok(!JSON.stringify(json).toLowerCase().includes('token'));
    assert.match(ok(await cli(['sessions', 'list'])), /^ID\s+USER\s+CREATED/);
    assert.equal(ok(await cli(['sessions', 'revoke', first!])), '1 session ended\n');
    fails(await cli(['sessions', 'revoke', first!]), 'No such session.');
    assert.equal(ok(await cli(['sessions', 'revoke', '--user', 'alice'])), '1 session ended\n');
    fails(await cli(['sessions', 'revoke']), 'give either a session ID or --user NAME');
    fails(await cli(['sessions', 'revoke', '--user', 'nobody']), 'No such user.');
  });
});

describe('gatehouse client and keys', () => {
  test('client add --json prints the secret once; it is stored hashed and works', async () => {
    const { client_id, client_secret, scope } = JSON.parse(ok(await cli(['client', 'add', 'billing', '--scope', 'orders:read orders:write', '--json'])));
    assert.equal(scope, 'orders:read orders:write');
    await withCore(async (core) => {
      const client = await core.clients.authenticateWithSecret(client_id, client_secret);
      assert.equal(client?.name, 'billing');
      assert.notEqual((await core.store.findClientById(client_id))!.secretHash, client_secret);
    });
    const listed = JSON.parse(ok(await cli(['client', 'list', '--json'])));
    assert.ok(!JSON.stringify(listed).includes(client_secret));
    const rotated = JSON.parse(ok(await cli(['client', 'rotate-secret', 'billing', '--json'])));
    await withCore(async (core) => {
      assert.equal(await core.clients.authenticateWithSecret(client_id, client_secret), null);
      assert.ok(await core.clients.authenticateWithSecret(client_id, rotated.client_secret));
    });
    fails(await cli(['client', 'add', 'billing']), 'A client with this name already exists.');
    fails(await cli(['client', 'add', 'bad', '--scope', 'no"quotes']), 'A scope is 1 to 128 printable ASCII characters without space, " or \\.');
    ok(await cli(['client', 'remove', 'billing']));
    fails(await cli(['client', 'remove', 'billing']), 'No such client.');
  });

  test('client add --public-key registers a private_key_jwt client with no secret; a private key is refused', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const publicFile = join(data, 'svc.pub.pem');
    const privateFile = join(data, 'svc.key.pem');
    writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const created = JSON.parse(ok(await cli(['client', 'add', 'keyed', '--scope', 'a', '--public-key', publicFile, '--json'])));
    assert.equal(created.client_secret, null);
    const refused = await cli(['client', 'add', 'leaky', '--public-key', privateFile]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is not a public key/);
  });

  test('keys rotate and list: the new key is active, the old one retired but published', async () => {
    const first = JSON.parse(ok(await cli(['keys', 'rotate', '--json'])));
    const second = JSON.parse(ok(await cli(['keys', 'rotate', '--json'])));
    const keys = JSON.parse(ok(await cli(['keys', 'list', '--json'])));
    assert.deepEqual(keys.map((key: { kid: string; status: string }) => [key.kid, key.status]), [[second.kid, 'active'], [first.kid, 'retired']]);
    assert.ok(keys[1].expiresAt);
    assert.match(ok(await cli(['keys', 'list'])), /^KID\s+ALG\s+STATUS/);
  });
});

test('usage errors exit 2; --help and --version exit 0', async () => {
  const unknown = await runCLI(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  assert.equal((await runCLI(['--help'])).code, 0);
  assert.match((await runCLI(['--version'])).stdout, /^\d+\.\d+\.\d+\n$/);
});
