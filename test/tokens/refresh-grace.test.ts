import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createManualClock } from '../../src/core/shared/clock.js';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

const clock = createManualClock(Date.now());
let server: TestServer;
let cookie: string;
before(async () => {
  server = await startTestServer({ clock, config: { refreshTokenReuseGraceSeconds: 5 } });
  await server.core.users.createUser({ username: 'racer', password: 'racer password 1' });
  cookie = `${COOKIE}=${(await server.request('/login', { form: { username: 'racer', password: 'racer password 1' } })).setCookie(COOKIE)}`;
});
after(() => server.stop());

const refresh = (token: string) =>
  server.request('/oauth/token', { form: { grant_type: 'refresh_token', refresh_token: token } });

test('with a 5 s grace window, racing clients both succeed; a reuse after the window still ends the family', async () => {
  const { refresh_token } = (await server.request('/token', { method: 'POST', cookie })).json;
  const racing = await Promise.all([refresh(refresh_token), refresh(refresh_token)]);
  assert.deepEqual(
    racing.map((response) => response.status),
    [200, 200],
  );
  clock.advance(3000);
  const retry = await refresh(refresh_token);
  assert.equal(retry.status, 200, 'a retry within the window');
  clock.advance(3000);
  const late = await refresh(refresh_token);
  assert.equal(late.status, 400, 'past the window it is reuse');
  assert.equal(late.json.error, 'invalid_grant');
  for (const response of [...racing, retry]) {
    assert.equal((await refresh(response.json.refresh_token)).status, 400, 'the whole family ended');
  }
});

test('the grace window is off by default and bounded to 60 s', async () => {
  const { loadConfig } = await import('../../src/server/config.js');
  assert.equal(loadConfig({ env: {} }).refreshTokenReuseGraceSeconds, 0);
  assert.throws(
    () => loadConfig({ flags: { refreshTokenReuseGraceSeconds: '61' }, env: {} }),
    /refreshTokenReuseGraceSeconds: must be a whole number from 0 to 60/,
  );
});
