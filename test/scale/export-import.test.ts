import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generate } from 'otplib';
import { MIGRATION_NAMES } from '../../src/store/migrations.js';
import { runCLI } from '../helpers/process.js';
import { addScopes, COOKIE, startTestServer } from '../helpers/server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/services.js';

const database = await createTestDatabase();
const data = mkdtempSync(join(tmpdir(), 'gatehouse-move-'));
// The deployment keeps its public URL (the tokens' issuer) when it moves.
const PUBLIC_URL = 'https://auth.example.test';
after(() => rmSync(data, { recursive: true, force: true }));
const PASSKEY = (userId: string) => ({
  id: 'passkey-1',
  userId,
  credentialId: 'Y3JlZGVudGlhbC0x',
  publicKey: 'pQECAyYgASFYIA',
  counter: 3,
  transports: ['internal'],
  deviceType: 'multiDevice',
  backedUp: true,
  aaguid: 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4',
  name: 'Phone',
  createdAt: 1_000,
  lastUsedAt: 2_000,
});

if (typeof database === 'string') {
  test('moving from SQLite to PostgreSQL', { skip: database }, () => undefined);
} else {
  const pg: TestDatabase = database;
  after(() => pg.drop());
  const state: {
    recoveryCode?: string;
    cookie?: string;
    apiKey?: string;
    refresh?: string;
    clientId?: string;
    secret?: string;
    access?: string;
    dump?: string;
  } = {};

  before(async () => {
    // A deployment that started on the embedded default.
    const server = await startTestServer({ data, config: { publicUrl: PUBLIC_URL } });
    try {
      // The scope registry moves with the dump: the key's and the client's scopes still count there.
      await addScopes(server.core, 'deploy', 'a');
      await server.core.users.createUser({ username: 'grower', password: 'grower password 1', roles: ['admin'] });
      const login = await server.request('/login', { form: { username: 'grower', password: 'grower password 1' } });
      state.cookie = `${COOKIE}=${login.setCookie(COOKIE)}`;
      state.apiKey = (
        await server.request('/api-keys', { cookie: state.cookie, json: { name: 'ci', scopes: 'deploy' } })
      ).json.key;
      const tokens = (await server.request('/token', { method: 'POST', cookie: state.cookie })).json;
      state.refresh = tokens.refresh_token;
      state.access = tokens.access_token;
      const client = await server.core.clients.createClient({ name: 'svc', scopes: 'a' });
      state.clientId = client.client.id;
      state.secret = client.secret!;
      // A user with two-factor sign-in: the enrolment and recovery codes must move too.
      const keeper = await server.core.users.createUser({ username: 'keeper', password: 'keeper password 1' });
      const { secret } = await server.core.twoFactor!.beginEnrollment(keeper);
      state.recoveryCode = (
        await server.core.twoFactor!.confirmEnrollment(keeper.id, await generate({ secret }))
      ).recoveryCodes[0];
      // A passkey (its public key and counter) moves too; the ceremonies themselves are tested in test/passkeys.
      await server.core.store.createPasskey(PASSKEY(keeper.id));
    } finally {
      await server.stop();
    }
  });

  test('export from SQLite, migrate and import into PostgreSQL: every credential still works there', async () => {
    const exported = await runCLI(['export', '--data', data]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stderr, /keep it as safe as the database/);
    state.dump = exported.stdout;
    const lines = state.dump
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(lines[0].type, 'gatehouse-dump');
    assert.deepEqual([...new Set(lines.slice(1).map((line) => line.table))].sort(), [
      'api_keys',
      'audit_events',
      'clients',
      'passkeys',
      'recovery_codes',
      'refresh_tokens',
      'scopes',
      'sessions',
      'signing_keys',
      'two_factor',
      'users',
    ]);
    assert.ok(!state.dump.includes('grower password 1'));

    const status = await runCLI(['migrate', 'status', '--db', pg.url, '--json']);
    assert.deepEqual(JSON.parse(status.stdout).pending, [...MIGRATION_NAMES]);
    const imported = await runCLI(['import', '--db', pg.url], { input: state.dump });
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(
      imported.stdout,
      /^imported 2 users, 1 sessions, 1 clients, 1 signing_keys, 1 refresh_tokens, 1 api_keys, 0 revoked_tokens, \d+ audit_events, 1 two_factor, 10 recovery_codes, 0 login_challenges, 2 scopes, 0 consents, 0 authorization_codes, 0 authorization_requests, 1 passkeys, 0 passkey_challenges\n$/,
    );

    // Same data folder: same master key, so the signing keys decrypt.
    const server = await startTestServer({ data, config: { db: pg.url, publicUrl: PUBLIC_URL } });
    try {
      assert.equal((await server.request('/get-info', { cookie: state.cookie })).status, 200, 'the session moved');
      assert.equal(
        (await server.request('/get-info', { headers: { authorization: `Bearer ${state.apiKey}` } })).status,
        200,
        'the API key moved',
      );
      assert.equal(
        (await server.request('/get-info', { headers: { authorization: `Bearer ${state.access}` } })).status,
        200,
        'tokens signed before the move verify',
      );
      const refreshed = await server.request('/oauth/token', {
        form: { grant_type: 'refresh_token', refresh_token: state.refresh! },
      });
      assert.equal(refreshed.status, 200, 'the refresh token moved');
      const clientToken = await server.request('/oauth/token', {
        form: { grant_type: 'client_credentials', client_id: state.clientId!, client_secret: state.secret! },
      });
      assert.equal(clientToken.status, 200, 'the client secret moved');
      assert.equal(
        (await server.request('/login', { form: { username: 'GROWER', password: 'grower password 1' } })).status,
        200,
      );
      const keeper = await server.request('/login', { form: { username: 'keeper', password: 'keeper password 1' } });
      assert.equal(keeper.status, 202, 'two-factor sign-in moved: the password alone is not enough');
      const second = await server.request('/login/two-factor', {
        json: { challenge: keeper.json.challenge, code: state.recoveryCode! },
      });
      assert.equal(second.status, 200, 'the recovery codes moved');
      assert.deepEqual(
        await server.core.store.findPasskeyByCredentialId(PASSKEY('').credentialId),
        PASSKEY((await server.core.users.findUserByName('keeper'))!.id),
        'the passkey moved, with its counter',
      );
    } finally {
      await server.stop();
    }
  });

  test('and back: a PostgreSQL export loads into a fresh SQLite file with the same rows', async () => {
    const fromPg = await runCLI(['export', '--db', pg.url]);
    assert.equal(fromPg.code, 0, fromPg.stderr);
    const back = join(data, 'back.db');
    const imported = await runCLI(['import', '--db', `sqlite:${back}`], { input: fromPg.stdout });
    assert.equal(imported.code, 0, imported.stderr);
    const again = await runCLI(['export', '--db', `sqlite:${back}`]);
    const rows = (dump: string) => dump.trim().split('\n').slice(1).sort();
    assert.deepEqual(rows(again.stdout), rows(fromPg.stdout), 'nothing lost or changed on the way');
  });

  test('import refuses a non-empty database and malformed dumps, changing nothing', async () => {
    const twice = await runCLI(['import', '--db', pg.url], { input: state.dump! });
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /^gatehouse: import needs an empty database; table users has rows\n$/);
    const target = `sqlite:${join(data, 'bad.db')}`;
    for (const [input, message] of [
      ['not json\n', 'dump line 1: not JSON'],
      ['{"type":"something-else"}\n', 'dump line 1: not a Gatehouse dump header'],
      [
        `${state.dump!.split('\n')[0]}\n{"table":"users","row":{"id":"x","evil":1}}\n`,
        'dump line 2: unknown column "evil" in users',
      ],
      [`${state.dump!.split('\n')[0]}\n{"table":"secrets","row":{}}\n`, 'dump line 2: unknown table'],
    ]) {
      const result = await runCLI(['import', '--db', target], { input });
      assert.equal(result.code, 1, input);
      assert.equal(result.stderr, `gatehouse: ${message}\n`);
    }
    const empty = await runCLI(['export', '--db', target]);
    assert.equal(empty.stdout.trim().split('\n').length, 1, 'only the header: nothing was imported');
  });
}
