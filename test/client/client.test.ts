import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import { GatehouseClient, GatehouseClientError, TwoFactorRequiredError } from '../../src/client/index.js';
import { OPERATOR } from '../../src/core/audit/audit.js';
import { addScopes, COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'alice password 1';
let server: TestServer;
const clients: GatehouseClient[] = [];
function client(): GatehouseClient {
  const created = new GatehouseClient({ baseUrl: server.url, ca: server.ca });
  clients.push(created);
  return created;
}
async function cookieValue(target: GatehouseClient): Promise<string | undefined> {
  return (await target.cookies.getCookies(server.url)).find((cookie) => cookie.key === COOKIE)?.value;
}

before(async () => {
  server = await startTestServer();
  await addScopes(server.core, 'deploy');
  await server.core.users.createUser({ username: 'alice', password: PASSWORD, roles: ['admin'] });
  await server.core.users.createUser({ username: 'bob', password: 'bob password 12' });
});
after(async () => {
  await Promise.all(clients.map((item) => item.close()));
  await server.stop();
});

describe('GatehouseClient', () => {
  test('basic: a service client calls with its id and secret on every request, no sign-in', async () => {
    const { client: probe, secret } = await server.core.clients.createClient({ name: 'probe-client', scopes: '' });
    const withBasic = new GatehouseClient({
      baseUrl: server.url,
      ca: server.ca,
      basic: { username: probe.id, password: secret! },
    });
    clients.push(withBasic);
    assert.deepEqual(await withBasic.getInfo(), { 'Secret-number': 42 });
    const wrong = new GatehouseClient({
      baseUrl: server.url,
      ca: server.ca,
      basic: { username: probe.id, password: 'wrong' },
    });
    clients.push(wrong);
    await assert.rejects(
      wrong.getInfo(),
      (error: GatehouseClientError) => error.status === 401 && error.code === 'ERR_INVALID_CREDENTIALS',
    );
  });

  test('login with two-factor sign-in: without a code, a typed error with the challenge; with one, signed in', async () => {
    const dora = await server.core.users.createUser({ username: 'dora', password: 'dora password 12' });
    const { secret } = await server.core.twoFactor!.beginEnrollment(dora);
    // Confirm with the code of the step before now, so that the current step's code is still unused.
    await server.core.twoFactor!.confirmEnrollment(
      dora.id,
      await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 }),
    );
    const first = client();
    await assert.rejects(first.login('dora', 'dora password 12'), (error: TwoFactorRequiredError) => {
      assert.ok(error instanceof TwoFactorRequiredError);
      assert.equal(error.expiresIn, 300);
      assert.ok(error.challenge.length >= 43);
      return true;
    });
    assert.equal(await first.session(), null, 'no session before the code');
    const second = client();
    const { user } = await second.login('dora', 'dora password 12', { code: () => generate({ secret }) });
    assert.equal(user.username, 'dora');
    assert.equal((await second.session())?.user.username, 'dora');
  });

  test('login: a wrong password throws a typed error; the right one fills the jar', async () => {
    const alice = client();
    await assert.rejects(alice.login('alice', 'wrong password'), (error: GatehouseClientError) => {
      assert.ok(error instanceof GatehouseClientError);
      assert.equal(error.status, 401);
      assert.equal(error.code, 'ERR_INVALID_CREDENTIALS');
      assert.ok(!error.message.includes('wrong password'));
      return true;
    });
    assert.equal(await alice.session(), null);
    const { user, session } = await alice.login('alice', PASSWORD);
    assert.equal(user.username, 'alice');
    assert.equal(session.current, true);
    assert.match((await cookieValue(alice))!, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(await alice.getInfo(), { 'Secret-number': 42 });
    assert.equal((await alice.session())!.user.username, 'alice');
  });

  test('sessions, revoking another session makes that client lose access', async () => {
    const laptop = client();
    const phone = client();
    await laptop.login('bob', 'bob password 12');
    await phone.login('bob', 'bob password 12');
    const sessions = await laptop.sessions();
    assert.equal(sessions.filter((item) => item.current).length, 1);
    const other = sessions.find((item) => !item.current)!;
    await laptop.revokeSession(other.id);
    await assert.rejects(phone.getInfo(), (error: GatehouseClientError) => error.status === 401);
    assert.deepEqual(await laptop.getInfo(), { 'Secret-number': 42 });
    await assert.rejects(
      laptop.revokeSession(other.id),
      (error: GatehouseClientError) => error.code === 'ERR_SESSION_NOT_FOUND',
    );
  });

  test('changePassword: old password refused after, other sessions ended, this one kept', async () => {
    await server.core.users.createUser({ username: 'carol', password: 'carol password 1' });
    const here = client();
    const there = client();
    await here.login('carol', 'carol password 1');
    await there.login('carol', 'carol password 1');
    await assert.rejects(
      here.changePassword('not it', 'carol password 2'),
      (error: GatehouseClientError) => error.code === 'ERR_CURRENT_PASSWORD',
    );
    await here.changePassword('carol password 1', 'carol password 2');
    assert.ok(await here.session());
    assert.equal(await there.session(), null);
    await assert.rejects(client().login('carol', 'carol password 1'));
    await client().login('carol', 'carol password 2');
  });

  test('logout makes the old cookie useless, even replayed by hand', async () => {
    const alice = client();
    await alice.login('alice', PASSWORD);
    const value = await cookieValue(alice);
    await alice.logout();
    assert.equal(await cookieValue(alice), undefined, 'the jar dropped the cookie');
    assert.equal((await server.request('/get-info', { cookie: `${COOKIE}=${value}` })).status, 401);
  });

  test('tokens, refresh and API keys through the client', async () => {
    const alice = client();
    await alice.login('alice', PASSWORD);
    const tokens = await alice.token();
    const refreshed = await alice.refresh(tokens.refresh_token!);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    const created = await alice.createApiKey({ name: 'ci', scopes: 'deploy' });
    assert.match(created.key, /^gh_/);
    assert.deepEqual(
      (await alice.apiKeys()).map((key) => key.name),
      ['ci'],
    );
    const viaKey = await client().fetch('/get-info', { headers: { authorization: `Bearer ${created.key}` } });
    assert.equal(viaKey.status, 200);
    await alice.revokeApiKey(created.id);
    assert.deepEqual(await alice.apiKeys(), []);
  });

  test('admin methods for an admin; 403 ERR_FORBIDDEN for anyone else', async () => {
    const alice = client();
    await alice.login('alice', PASSWORD);
    const dave = await alice.admin.createUser({ username: 'dave', password: 'dave password 1', roles: ['ops'] });
    assert.deepEqual(dave.roles, ['ops']);
    assert.ok((await alice.admin.listUsers()).some((user) => user.username === 'dave'));
    assert.equal((await alice.admin.updateUser(dave.id, { disabled: true })).disabled, true);
    assert.deepEqual(await alice.admin.listUserSessions(dave.id), []);
    assert.equal(await alice.admin.revokeUserSessions(dave.id), 0);
    // Dave's consents to apps (issue #22): listed, revoked, then a second revocation is 404.
    const notes = await server.core.clients.createClient({
      name: 'notes-client-test',
      scopes: '',
      type: 'public',
      redirectUris: ['http://127.0.0.1/cb'],
    });
    await server.core.consents.grant(dave.id, notes.client.id, ['openid'], { actor: OPERATOR });
    assert.deepEqual(
      (await alice.admin.listUserConsents(dave.id)).map((item) => [item.clientId, item.name, item.scopes]),
      [[notes.client.id, 'notes-client-test', ['openid']]],
    );
    await alice.admin.revokeUserConsent(dave.id, notes.client.id);
    assert.deepEqual(await alice.admin.listUserConsents(dave.id), []);
    await assert.rejects(
      alice.admin.revokeUserConsent(dave.id, notes.client.id),
      (error: GatehouseClientError) => error.status === 404 && error.code === 'ERR_NOT_FOUND',
    );
    await alice.admin.deleteUser(dave.id);
    const bob = client();
    await bob.login('bob', 'bob password 12');
    await assert.rejects(
      bob.admin.listUsers(),
      (error: GatehouseClientError) => error.status === 403 && error.code === 'ERR_FORBIDDEN',
    );
  });

  test('caFile works like requests’ verify=; without the CA the TLS handshake fails', async () => {
    const byFile = new GatehouseClient({ baseUrl: server.url, caFile: join(server.data, 'tls', 'cert.pem') });
    clients.push(byFile);
    assert.equal(((await (await byFile.fetch('/healthz')).json()) as { status: string }).status, 'ok');
    const untrusting = new GatehouseClient({ baseUrl: server.url });
    clients.push(untrusting);
    await assert.rejects(untrusting.fetch('/healthz'));
  });
});
