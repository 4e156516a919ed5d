import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let own: string;
before(async () => {
  server = await startTestServer();
  own = server.url;
  await server.core.users.createUser({ username: 'victim', password: 'victim password 1' });
});
after(() => server.stop());

async function signIn(): Promise<string> {
  return `${COOKIE}=${(await server.request('/login', { form: { username: 'victim', password: 'victim password 1' } })).setCookie(COOKIE)}`;
}

describe('CSRF defence for cookie-authenticated requests', () => {
  test('unsafe methods from another origin, or marked cross-site, are refused with 403 and change nothing', async () => {
    const cookie = await signIn();
    const attacks: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: own, 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of attacks) {
      const response = await server.request('/password', {
        cookie,
        headers,
        json: { currentPassword: 'victim password 1', newPassword: 'attacker password 1' },
      });
      assert.equal(response.status, 403, JSON.stringify(headers));
      assert.equal(response.json.code, 'ERR_CROSS_SITE');
      assert.equal((await server.request('/api-keys', { cookie, headers, json: { name: 'stolen' } })).status, 403);
      assert.equal((await server.request('/logout', { method: 'POST', cookie, headers })).status, 403);
    }
    assert.equal(
      (await server.request('/get-info', { cookie })).status,
      200,
      'still signed in: the forged logout did nothing',
    );
    assert.deepEqual((await server.request('/api-keys', { cookie })).json.apiKeys, []);
    assert.equal(
      (await server.request('/login', { form: { username: 'victim', password: 'victim password 1' } })).status,
      200,
      'password unchanged',
    );
  });

  test('the same requests from the deployment’s own origin, same-site, or without either header pass', async () => {
    const cookie = await signIn();
    const friendly: Record<string, string>[] = [{ origin: own }, { 'sec-fetch-site': 'same-origin', origin: own }, {}];
    for (const headers of friendly) {
      const response = await server.request('/api-keys', {
        cookie,
        headers,
        json: { name: `ok-${Object.keys(headers).length}` },
      });
      assert.equal(response.status, 201, JSON.stringify(headers));
    }
  });

  test('login CSRF: a cross-site sign-in is refused; safe methods and bearer credentials are not affected', async () => {
    const cross = await server.request('/login', {
      form: { username: 'victim', password: 'victim password 1' },
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(cross.status, 403);
    assert.equal(cross.headers['set-cookie'], undefined);
    const cookie = await signIn();
    assert.equal(
      (
        await server.request('/get-info', {
          cookie,
          headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        })
      ).status,
      200,
      'GET is safe',
    );
    const token = (await server.request('/token', { method: 'POST', cookie })).json.access_token;
    const bearer = await server.request('/get-info', {
      method: 'GET',
      headers: { authorization: `Bearer ${token}`, origin: 'https://evil.example' },
    });
    assert.equal(bearer.status, 200, 'a bearer token is not sent by browsers on their own');
  });

  test('configured origins replace the default', async () => {
    const configured = await startTestServer({ config: { origins: ['https://app.example.com'] } });
    try {
      await configured.core.users.createUser({ username: 'victim', password: 'victim password 1' });
      const form = { username: 'victim', password: 'victim password 1' };
      assert.equal(
        (await configured.request('/login', { form, headers: { origin: 'https://app.example.com' } })).status,
        200,
      );
      assert.equal((await configured.request('/login', { form, headers: { origin: configured.url } })).status, 403);
    } finally {
      await configured.stop();
    }
  });
});
