import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COOKIE, startTestServer } from '../helpers/server.js';

test('no password, cookie, token, API key, refresh token or client secret ever reaches the log, even at trace level', async () => {
  const server = await startTestServer({ config: { logLevel: 'trace' } });
  try {
    const password = 'log scanning password 1';
    await server.core.users.createUser({ username: 'logged', password, roles: ['admin'] });
    const secrets: string[] = [password];
    await server.request('/login', { form: { username: 'logged', password: 'a wrong password 9' } });
    secrets.push('a wrong password 9');
    const login = await server.request('/login', { json: { username: 'logged', password } });
    const token = login.setCookie(COOKIE)!;
    secrets.push(token);
    const cookie = `${COOKIE}=${token}`;
    const tokens = (await server.request('/token', { method: 'POST', cookie })).json;
    secrets.push(tokens.access_token, tokens.refresh_token);
    const refreshed = (
      await server.request('/oauth/token', {
        form: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
      })
    ).json;
    secrets.push(refreshed.access_token, refreshed.refresh_token);
    const apiKey = (await server.request('/api-keys', { cookie, json: { name: 'k' } })).json.key;
    secrets.push(apiKey);
    await server.request('/get-info', { headers: { authorization: `Bearer ${apiKey}` } });
    const { client, secret } = await server.core.clients.createClient({ name: 'logged-client', scopes: 'metrics' });
    secrets.push(secret!);
    const basic = Buffer.from(`${client.id}:${secret}`).toString('base64');
    secrets.push(basic);
    await server.request('/oauth/token', {
      form: { grant_type: 'client_credentials' },
      headers: { authorization: `Basic ${basic}` },
    });
    await server.request('/password', {
      cookie,
      json: { currentPassword: password, newPassword: 'the next password 2' },
    });
    secrets.push('the next password 2');
    await server.request('/admin/users', { cookie, json: { username: 'another', password: 'admin made password 3' } });
    secrets.push('admin made password 3');
    await server.request('/login', { body: '{"username":', headers: { 'content-type': 'application/json' } });

    const logs = server.logs.join('');
    assert.ok(logs.split('\n').length > 10, 'the log was written');
    assert.match(logs, /"authorization":"\[redacted\]"|"reqId"/);
    for (const value of secrets)
      assert.ok(!logs.includes(value), `a secret leaked into the log: ${value.slice(0, 6)}…`);
    // Nor their hashes: nothing argon2-shaped or stored-digest-shaped either.
    assert.doesNotMatch(logs, /\$argon2id\$/);
  } finally {
    await server.stop();
  }
});

test('one access-log line per request: request id, method, URL, status and time, and no header', async () => {
  const server = await startTestServer();
  try {
    await server.request('/get-info', {
      cookie: `${COOKIE}=not-a-session`,
      headers: { authorization: 'Bearer not-a-token' },
    });
    await server.request('/healthz');
    const lines = server.logs
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'request');
    assert.deepEqual(
      lines.map(({ method, url, status }) => ({ method, url, status })),
      [
        { method: 'GET', url: '/get-info', status: 401 },
        { method: 'GET', url: '/healthz', status: 200 },
      ],
    );
    for (const line of lines) {
      assert.equal(typeof line.reqId, 'string');
      assert.equal(typeof line.ms, 'number');
      assert.deepEqual(
        Object.keys(line).filter(
          (key) => !['level', 'time', 'pid', 'hostname', 'reqId', 'method', 'url', 'status', 'ms', 'msg'].includes(key),
        ),
        [],
      );
    }
    assert.ok(
      !server.logs.join('').includes('incoming request'),
      "Fastify's two lines per request are replaced by one",
    );
    assert.ok(!server.logs.join('').includes('not-a-token'));
  } finally {
    await server.stop();
  }
});
