import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseFormStrict } from '../../src/http/body-parsers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
  await server.core.users.createUser({ username: 'ünï', password: 'unicode password 1' });
});
after(() => server.stop());

describe('strict request decoding', () => {
  test('invalid UTF-8, raw or percent-encoded, is a 400, never replaced by U+FFFD', async () => {
    const cases: [string, Buffer][] = [
      [
        'application/json',
        Buffer.concat([Buffer.from('{"username":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","password":"x"}')]),
      ],
      [
        'application/x-www-form-urlencoded',
        Buffer.concat([Buffer.from('username='), Buffer.from([0xc3]), Buffer.from('&password=x')]),
      ],
      ['application/x-www-form-urlencoded', Buffer.from('username=%FF%FE&password=x')],
      ['application/x-www-form-urlencoded', Buffer.from('username=%E0%80%80&password=x')],
      ['application/x-www-form-urlencoded', Buffer.from('username=%&password=x')],
    ];
    for (const [type, body] of cases) {
      const response = await server.request('/login', { body, headers: { 'content-type': type } });
      assert.equal(response.status, 400, body.toString('latin1'));
      assert.equal(response.json.code, 'ERR_VALIDATION');
    }
  });

  test('valid UTF-8 names work, raw or percent-encoded', async () => {
    const body = `username=${encodeURIComponent('ÜNÏ')}&password=${encodeURIComponent('unicode password 1')}`;
    assert.equal(
      (await server.request('/login', { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }))
        .status,
      200,
    );
    assert.equal(
      (await server.request('/login', { json: { username: 'ünï', password: 'unicode password 1' } })).status,
      200,
    );
  });

  test('the form parser keeps repeated fields as arrays and has no prototype', () => {
    const parsed = parseFormStrict('a=1&a=2&__proto__=x&b=c+d&e');
    assert.deepEqual(Object.entries(parsed), [
      ['a', ['1', '2']],
      ['__proto__', 'x'],
      ['b', 'c d'],
      ['e', ''],
    ]);
    assert.equal(Object.getPrototypeOf(parsed), null);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  test('JSON with __proto__ or constructor.prototype is refused', async () => {
    for (const body of [
      '{"__proto__":{"admin":true},"username":"a","password":"b"}',
      '{"constructor":{"prototype":{"admin":true}},"username":"a","password":"b"}',
    ]) {
      const response = await server.request('/login', { body, headers: { 'content-type': 'application/json' } });
      assert.equal(response.status, 400);
    }
  });

  test('only JSON and forms are accepted: other types are 415', async () => {
    for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
      const response = await server.request('/login', {
        body: 'username=a&password=b',
        headers: { 'content-type': type },
      });
      assert.equal(response.status, 415, type);
    }
  });
});
