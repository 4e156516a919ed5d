import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { loadMasterKey } from '../../src/server/master-key.js';
import { createSelfSignedClientCertificate } from '../helpers/certificates.js';
import { runCLI } from '../helpers/process.js';
import { redisSkipReason, TEST_REDIS_URL } from '../helpers/services.js';
import { createCLIFixture, fails, ok } from './helpers.js';

// gatehouse client, keys and the program itself; user and sessions have files of their own.
const fixture = createCLIFixture();
const { cli, data, withCore } = fixture;

before(async () => {
  // What the server's first start does; the CLI never makes a master key of its own.
  loadMasterKey(data);
  for (const [name, description] of [
    ['orders:read', 'Read orders'],
    ['orders:write', 'Change orders'],
    ['a', 'A scope of the tests'],
  ])
    ok(await cli(['scope', 'add', name!, '--description', description!]));
});
after(() => fixture.remove());

describe('gatehouse scope', () => {
  test('add, list and remove scopes; reserved and malformed names and unknown scopes are clear errors', async () => {
    assert.equal(
      ok(await cli(['scope', 'add', 'payroll:read', '--description', 'Read pay slips', '--role', 'payroll'])),
      'added scope payroll:read (roles: payroll)\n',
    );
    const listed = JSON.parse(ok(await cli(['scope', 'list', '--json'])));
    assert.deepEqual(
      listed.map((scope: { name: string }) => scope.name),
      [
        'a',
        'admin',
        'email',
        'introspect',
        'metrics',
        'offline_access',
        'openid',
        'orders:read',
        'orders:write',
        'payroll:read',
        'profile',
      ],
    );
    assert.deepEqual(listed.find((scope: { name: string }) => scope.name === 'payroll:read').roles, ['payroll']);
    assert.match(ok(await cli(['scope', 'list'])), /^SCOPE +HELD BY +DESCRIPTION\n/);
    fails(await cli(['scope', 'add', 'admin', '--description', 'mine']), 'The scope "admin" is reserved.');
    fails(
      await cli(['scope', 'add', 'payroll:read', '--description', 'again']),
      'A scope with this name already exists.',
    );
    fails(
      await cli(['scope', 'add', 'bad"scope', '--description', 'x']),
      'A scope is 1 to 128 printable ASCII characters without space, " or \\.',
    );
    // A role-restricted scope is for users only: no service client may be registered with it.
    fails(
      await cli(['client', 'add', 'payroll-job', '--scope', 'payroll:read']),
      'The scope "payroll:read" is not available to this client.',
    );
    fails(
      await cli(['client', 'add', 'typo-job', '--scope', 'ordres:read']),
      'The scope "ordres:read" does not exist; add it with: gatehouse scope add ordres:read --description "…"',
    );
    ok(await cli(['scope', 'remove', 'payroll:read']));
    fails(await cli(['scope', 'remove', 'payroll:read']), 'No such scope.');
    fails(await cli(['scope', 'remove', 'metrics']), 'The scope "metrics" is reserved.');
  });
});

describe('gatehouse scope remove', () => {
  test('defect 5: a scope removed and added again is not given back to a client or an API key', async () => {
    ok(await cli(['scope', 'add', 'temp:read', '--description', 'For a while']));
    const created = JSON.parse(ok(await cli(['client', 'add', 'temp-job', '--scope', 'temp:read a', '--json'])));
    const keyId = await withCore(async (core) => {
      const user = await core.users.createUser({ username: 'temp-user', password: 'temp user password 1' });
      return (await core.apiKeys.createApiKey(user, { name: 'ci', scopes: 'temp:read a' })).apiKey.id;
    });
    ok(await cli(['scope', 'remove', 'temp:read']));
    ok(await cli(['scope', 'add', 'temp:read', '--description', 'Again']));
    const listed = JSON.parse(ok(await cli(['client', 'list', '--json'])));
    assert.equal(listed.find((item: { client_id: string }) => item.client_id === created.client_id).scope, 'a');
    await withCore(async (core) => {
      assert.deepEqual((await core.store.findClientById(created.client_id))?.scopes, ['a']);
      const user = await core.users.findUserByName('temp-user');
      const [key] = await core.store.listApiKeys(user!.id);
      assert.equal(key?.id, keyId);
      assert.deepEqual(key?.scopes, ['a']);
    });
    ok(await cli(['client', 'remove', 'temp-job']));
    ok(await cli(['scope', 'remove', 'temp:read']));
  });
});

describe('gatehouse client add and OpenID Connect scopes', () => {
  test('defect 9: client add --scope openid registers an app; an unknown scope says how to add it', async () => {
    const created = JSON.parse(
      ok(
        await cli([
          'client',
          'add',
          'oidc-app',
          '--redirect-uri',
          'https://app.example/cb',
          '--scope',
          'openid profile email offline_access orders:read',
          '--json',
        ]),
      ),
    );
    assert.equal(created.scope, 'email offline_access openid orders:read profile');
    await withCore(async (core) => {
      const stored = await core.store.findClientById(created.client_id);
      assert.deepEqual(stored?.scopes, ['email', 'offline_access', 'openid', 'orders:read', 'profile']);
    });
    // A service acting as itself gets no OpenID Connect scope: that is for apps users sign in to.
    fails(
      await cli(['client', 'add', 'oidc-job', '--scope', 'openid']),
      'The scope "openid" is not available to this client.',
    );
    fails(
      await cli([
        'client',
        'add',
        'oidc-typo',
        '--grant',
        'authorization_code',
        '--redirect-uri',
        'https://app.example/cb',
        '--scope',
        'openid emial',
      ]),
      'The scope "emial" does not exist; add it with: gatehouse scope add emial --description "…"',
    );
    ok(await cli(['client', 'remove', 'oidc-app']));
  });
});

describe('gatehouse client and keys', () => {
  test('client add --json prints the secret once; it is stored hashed and works', async () => {
    const { client_id, client_secret, scope } = JSON.parse(
      ok(await cli(['client', 'add', 'billing', '--scope', 'orders:read orders:write', '--json'])),
    );
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
    fails(
      await cli(['client', 'add', 'bad', '--scope', 'no"quotes']),
      'A scope is 1 to 128 printable ASCII characters without space, " or \\.',
    );
    ok(await cli(['client', 'remove', 'billing']));
    fails(await cli(['client', 'remove', 'billing']), 'No such client.');
  });

  test('client add --public-key registers a private_key_jwt client with no secret; a private key is refused', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const publicFile = join(data, 'svc.pub.pem');
    const privateFile = join(data, 'svc.key.pem');
    writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const created = JSON.parse(
      ok(await cli(['client', 'add', 'keyed', '--scope', 'a', '--public-key', publicFile, '--json'])),
    );
    assert.equal(created.client_secret, null);
    const refused = await cli(['client', 'add', 'leaky', '--public-key', privateFile]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is not a public key/);
  });

  test('client add --tls-subject / --tls-cert registers certificate clients with no secret; bad input is a clear error', async () => {
    const subject = JSON.parse(
      ok(await cli(['client', 'add', 'orders', '--scope', 'a', '--tls-subject', 'cn=orders, o=Example', '--json'])),
    );
    assert.equal(subject.client_secret, null);
    const { cert } = await createSelfSignedClientCertificate('CN=reporting');
    const certFile = join(data, 'reporting.pem');
    writeFileSync(certFile, cert);
    const pinned = JSON.parse(ok(await cli(['client', 'add', 'reporting', '--tls-cert', certFile, '--json'])));
    assert.equal(pinned.client_secret, null);
    const listed = JSON.parse(ok(await cli(['client', 'list', '--json'])));
    assert.deepEqual(listed.find((row: { name: string }) => row.name === 'orders').auth_methods, ['tls_client_auth']);
    assert.deepEqual(listed.find((row: { name: string }) => row.name === 'reporting').auth_methods, [
      'self_signed_tls_client_auth',
    ]);
    const notACert = await cli(['client', 'add', 'broken', '--tls-cert', join(data, 'svc.pub.pem')]);
    assert.equal(notACert.code, 1);
    assert.match(notACert.stderr, /not a PEM X\.509 certificate/);
    const badSubject = await cli(['client', 'add', 'broken', '--tls-subject', 'orders']);
    assert.equal(badSubject.code, 1);
    assert.match(badSubject.stderr, /NAME=value pairs/);
  });

  test('keys rotate and list: the new key is active, the old one retired but published', async () => {
    const first = JSON.parse(ok(await cli(['keys', 'rotate', '--json'])));
    const second = JSON.parse(ok(await cli(['keys', 'rotate', '--json'])));
    const keys = JSON.parse(ok(await cli(['keys', 'list', '--json'])));
    assert.deepEqual(
      keys.map((key: { kid: string; status: string }) => [key.kid, key.status]),
      [
        [second.kid, 'active'],
        [first.kid, 'retired'],
      ],
    );
    assert.ok(keys[1].expiresAt);
    assert.match(ok(await cli(['keys', 'list'])), /^KID\s+ALG\s+STATUS/);
  });
});

test('migrate status shows the deployment id, the namespace of Redis keys and channels (#15)', async () => {
  const deployment = await withCore((core) => core.store.readDeploymentId());
  assert.match(ok(await cli(['migrate', 'status'])), new RegExp(`^deployment: ${deployment}$`, 'm'));
  assert.equal(JSON.parse(ok(await cli(['migrate', 'status', '--json']))).deploymentId, deployment);
});

test('usage errors exit 2; --help and --version exit 0', async () => {
  const unknown = await runCLI(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  assert.equal((await runCLI(['--help'])).code, 0);
  assert.match((await runCLI(['--version'])).stdout, /^\d+\.\d+\.\d+\n$/);
});

describe('gatehouse … --redis', () => {
  test('every change is announced to running instances, not only key rotation (#14)', async (t) => {
    const skip = await redisSkipReason();
    if (skip) return t.skip(skip);
    ok(await cli(['user', 'add', 'announced', '--password-stdin'], 'announced password 12\n'));
    const id = (await withCore((core) => core.users.findUserByName('announced')))!.id;
    const subscriber = new Redis(TEST_REDIS_URL);
    const messages: unknown[] = [];
    try {
      // On the deployment's own channel: the instances on this database listen there.
      const deployment = await withCore((core) => core.store.readDeploymentId());
      await subscriber.subscribe(`gatehouse:${deployment}:revocations`);
      subscriber.on('message', (_channel, message: string) => messages.push(JSON.parse(message)));
      ok(await cli(['user', 'disable', 'announced', '--redis', TEST_REDIS_URL]));
      for (let wait = 0; wait < 50 && messages.length < 2; wait += 1) await sleep(20);
      assert.deepEqual(messages, [
        { kind: 'user', id },
        { kind: 'user-sessions', userId: id },
      ]);
    } finally {
      subscriber.disconnect();
    }
  });
});
