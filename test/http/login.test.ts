import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { COOKIE, startTestServer, type TestResponse, type TestServer } from '../helpers/server.js';

const PASSWORD = 'alice password 1';
let server: TestServer;

before(async () => {
  server = await startTestServer();
  await server.core.users.createUser({ username: 'Alice', password: PASSWORD });
  const disabled = await server.core.users.createUser({ username: 'Dora', password: PASSWORD });
  await server.core.users.setDisabled(disabled.id, true);
});
after(() => server.stop());

async function login(username: string, password: string): Promise<TestResponse> {
  return server.request('/login', { form: { username, password } });
}

function comparable(response: TestResponse) {
  const { date: _date, ...headers } = response.headers;
  return { status: response.status, headers, text: response.text };
}

describe('POST /login', () => {
  test('right password, form-encoded as the lesson sends it: 200, user, session and one secure cookie', async () => {
    const response = await login('Alice', PASSWORD);
    assert.equal(response.status, 200);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.json.user.username, 'Alice');
    assert.equal(response.json.user.password_hash, undefined);
    assert.equal(response.json.session.current, true);
    assert.deepEqual(response.json.session.authMethods, ['pwd'], 'RFC 8176 amr: a password');
    const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    assert.equal(setCookie.length, 2, 'the device cookie (#22), then the session cookie');
    assert.match(
      setCookie[1]!,
      new RegExp(`^${COOKIE}=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=/; HttpOnly; Secure; SameSite=Lax$`),
    );
    assert.match(
      setCookie[0]!,
      new RegExp(`^${COOKIE}-device=[A-Za-z0-9_.-]+; Max-Age=31536000; Path=/; HttpOnly; Secure; SameSite=Lax$`),
    );
  });

  test('JSON body works the same, and the username is case- and width-insensitive', async () => {
    for (const username of ['alice', 'ALICE', 'ａｌｉｃｅ']) {
      const response = await server.request('/login', { json: { username, password: PASSWORD } });
      assert.equal(response.status, 200, username);
      assert.equal(response.json.user.username, 'Alice');
    }
  });

  test('unknown user, wrong password, disabled user and impossible name answer alike, byte for byte', async () => {
    const wrong = comparable(await login('Alice', 'wrong password!'));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="gatehouse"');
    assert.equal(wrong.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(wrong.headers['set-cookie'], undefined);
    assert.deepEqual(JSON.parse(wrong.text), {
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      code: 'ERR_INVALID_CREDENTIALS',
      detail: 'Invalid username or password.',
    });
    for (const [username, password] of [
      ['nobody', 'wrong password!'],
      ['Dora', PASSWORD],
      ['bad:name', 'wrong password!'],
      ['Alice', PASSWORD.toUpperCase()],
    ] as const) {
      assert.deepEqual(comparable(await login(username, password)), wrong, `${username}`);
    }
  });

  test('an unknown user costs the same Argon2id verification as a wrong password', async () => {
    const time = async (username: string) => {
      const start = process.hrtime.bigint();
      await login(username, 'wrong password!');
      return Number(process.hrtime.bigint() - start);
    };
    // One attempt per account, so that no throttling slow-down enters the figures.
    for (let i = 0; i < 15; i += 1) await server.core.users.createUser({ username: `timing-${i}`, password: PASSWORD });
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 15; i += 1) {
      known.push(await time(`timing-${i}`));
      unknown.push(await time(`nobody-${i}`));
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const ratio = median(unknown) / median(known);
    assert.ok(ratio > 0.67 && ratio < 1.5, `unknown/known median time ratio ${ratio.toFixed(2)}`);
  });

  test('every login makes a new token; the token the browser already had stops working (no fixation)', async () => {
    const first = await login('Alice', PASSWORD);
    const firstToken = first.setCookie(COOKIE)!;
    const second = await server.request('/login', {
      form: { username: 'Alice', password: PASSWORD },
      cookie: `${COOKIE}=${firstToken}`,
    });
    const secondToken = second.setCookie(COOKIE)!;
    assert.notEqual(secondToken, firstToken);
    // The same user (#22): the session goes on under the new token; another user's would have ended.
    assert.equal(second.json.session.id, first.json.session.id);
    assert.equal((await server.request('/get-info', { cookie: `${COOKIE}=${firstToken}` })).status, 401);
    assert.equal((await server.request('/get-info', { cookie: `${COOKIE}=${secondToken}` })).status, 200);
  });

  test('malformed input is a 400 problem, never a 500', async () => {
    const cases: { name: string; options: Parameters<TestServer['request']>[1]; status: number; code: string }[] = [
      { name: 'missing password', options: { form: { username: 'Alice' } }, status: 400, code: 'ERR_VALIDATION' },
      { name: 'empty body', options: { method: 'POST' }, status: 400, code: 'ERR_VALIDATION' },
      {
        name: 'number username',
        options: { json: { username: 1, password: 'x' } },
        status: 400,
        code: 'ERR_VALIDATION',
      },
      {
        name: 'repeated form field',
        options: {
          body: 'username=a&username=b&password=x',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
        status: 400,
        code: 'ERR_VALIDATION',
      },
      {
        name: 'unknown field',
        options: { json: { username: 'Alice', password: PASSWORD, admin: true } },
        status: 400,
        code: 'ERR_VALIDATION',
      },
      {
        name: 'broken JSON',
        options: { body: '{"username":', headers: { 'content-type': 'application/json' } },
        status: 400,
        code: 'ERR_VALIDATION',
      },
      { name: 'JSON array', options: { json: ['Alice', PASSWORD] }, status: 400, code: 'ERR_VALIDATION' },
      {
        name: 'prototype pollution',
        options: {
          body: '{"__proto__":{"x":1},"username":"a","password":"b"}',
          headers: { 'content-type': 'application/json' },
        },
        status: 400,
        code: 'ERR_VALIDATION',
      },
      {
        name: 'text/plain',
        options: { body: 'username=Alice', headers: { 'content-type': 'text/plain' } },
        status: 415,
        code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'body over 16 KiB',
        options: { form: { username: 'Alice', password: 'x'.repeat(17 * 1024) } },
        status: 413,
        code: 'ERR_PAYLOAD_TOO_LARGE',
      },
      {
        name: 'password over 1024 bytes',
        options: { form: { username: 'Alice', password: 'é'.repeat(513) } },
        status: 400,
        code: 'ERR_VALIDATION',
      },
    ];
    for (const item of cases) {
      const response = await server.request('/login', { method: 'POST', ...item.options });
      assert.equal(response.status, item.status, item.name);
      assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8', item.name);
      assert.equal(response.json.code, item.code, item.name);
    }
  });

  test('the log never carries the password or the token', async () => {
    const response = await login('Alice', PASSWORD);
    const token = response.setCookie(COOKIE)!;
    await server.request('/get-info', { cookie: `${COOKIE}=${token}` });
    const logs = server.logs.join('');
    assert.ok(logs.length > 0);
    assert.ok(!logs.includes(PASSWORD));
    assert.ok(!logs.includes(token));
  });
});

describe('POST /logout', () => {
  test('ends the session server-side and clears the cookie; the old cookie is then useless', async () => {
    const token = (await login('Alice', PASSWORD)).setCookie(COOKIE)!;
    const cookie = `${COOKIE}=${token}`;
    assert.equal((await server.request('/get-info', { cookie })).status, 200);
    const response = await server.request('/logout', { method: 'POST', cookie });
    assert.equal(response.status, 204);
    assert.equal(response.setCookie(COOKIE), '');
    const replay = await server.request('/get-info', { cookie });
    assert.equal(replay.status, 401);
    assert.equal(replay.json.code, 'ERR_UNAUTHENTICATED');
    assert.equal((await server.request('/session', { cookie })).status, 401);
  });

  test('without a session it is a harmless 204', async () => {
    assert.equal((await server.request('/logout', { method: 'POST' })).status, 204);
  });
});

describe('GET /get-info (the lesson route)', () => {
  test('no cookie, an empty cookie, a forged cookie: 401 with WWW-Authenticate, never the secret', async () => {
    for (const cookie of [
      undefined,
      `${COOKIE}=`,
      `${COOKIE}=${'A'.repeat(43)}`,
      `${COOKIE}=not a token`,
      'app1-username=Alice',
    ]) {
      const response = await server.request('/get-info', cookie === undefined ? {} : { cookie });
      assert.equal(response.status, 401, String(cookie));
      assert.equal(
        response.headers['www-authenticate'],
        'Bearer realm="gatehouse", Basic realm="gatehouse", charset="UTF-8"',
      );
      assert.ok(!response.text.includes('42'));
    }
  });
});

describe('unknown routes', () => {
  test('404 problem+json', async () => {
    const response = await server.request('/nope');
    assert.equal(response.status, 404);
    assert.equal(response.json.code, 'ERR_NOT_FOUND');
  });
});
