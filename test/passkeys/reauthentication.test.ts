import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';
import { SoftAuthenticator } from './soft-authenticator.js';

// Issue #22, defect 1, through the passkey doors: a passkey sign-in in a
// browser signed in as the same user continues its session under a new
// token; as another user, it ends that session.
const PASSWORD = 'passkey reauth password 1';
let server: TestServer;
const ids: Record<string, string> = {};
const keys: Record<string, SoftAuthenticator> = {};

const post = (path: string, json: unknown, token?: string) =>
  server.request(path, {
    json,
    ...(token !== undefined && { cookie: `${COOKIE}=${token}` }),
    headers: { origin: server.url },
  });
const info = (token: string) => server.request('/get-info', { cookie: `${COOKIE}=${token}` });

async function loginOptions(challenge?: string) {
  const options = await post('/login/passkey/options', challenge === undefined ? {} : { challenge });
  assert.equal(options.status, 200, options.text);
  return options.json;
}

before(async () => {
  server = await startTestServer({ config: { host: 'localhost' } });
  for (const name of ['pia', 'quin']) {
    ids[name] = (await server.core.users.createUser({ username: name, password: PASSWORD })).id;
    const token = (await post('/login', { username: name, password: PASSWORD })).setCookie(COOKIE)!;
    keys[name] = new SoftAuthenticator(server.url);
    const options = await post('/passkeys/registration/options', {}, token);
    const added = await post(
      '/passkeys/registration',
      { name: 'Key', response: keys[name].register(options.json) },
      token,
    );
    assert.equal(added.status, 201, added.text);
  }
});
after(() => server.stop());

test(
  'defect 1: a passkey sign-in, alone or as the second step, continues the same user’s session',
  { timeout: 60_000 },
  async () => {
    const signedIn = await post('/login/passkey', { response: keys.pia!.assert(await loginOptions()) });
    assert.equal(signedIn.status, 200, signedIn.text);
    const first = signedIn.setCookie(COOKIE)!;
    const id = signedIn.json.session.id;

    // The password, then the passkey as its second step (step-up to mfa), with the cookie.
    const password = await post('/login', { username: 'pia', password: PASSWORD }, first);
    assert.equal(password.status, 202);
    const stepped = await post(
      '/login/passkey',
      { challenge: password.json.challenge, response: keys.pia!.assert(await loginOptions(password.json.challenge)) },
      first,
    );
    assert.equal(stepped.status, 200, stepped.text);
    const second = stepped.setCookie(COOKIE)!;
    assert.equal(stepped.json.session.id, id, 'the same session');
    assert.deepEqual(stepped.json.session.authMethods, ['hwk', 'mfa', 'pwd', 'user']);
    assert.equal((await info(first)).status, 401);

    // A passwordless passkey sign-in again: the same session, the latest sign-in's amr.
    const again = await post('/login/passkey', { response: keys.pia!.assert(await loginOptions()) }, second);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.session.id, id);
    assert.deepEqual(again.json.session.authMethods, ['hwk', 'user']);
    assert.equal((await info(second)).status, 401);
    assert.equal((await info(again.setCookie(COOKIE)!)).status, 200);
    const rotations = await server.core.audit.list({ userId: ids.pia, type: 'session.rotate' });
    assert.equal(rotations.filter((event) => event.detail.sessionId === id).length, 2);
  },
);

test(
  'defect 1: another user’s passkey sign-in on the browser ends the session there, audited',
  { timeout: 60_000 },
  async () => {
    const pia = (await post('/login/passkey', { response: keys.pia!.assert(await loginOptions()) })).setCookie(COOKIE)!;
    const piaSession = (await server.request('/session', { cookie: `${COOKIE}=${pia}` })).json.session.id;
    const quin = await post('/login/passkey', { response: keys.quin!.assert(await loginOptions()) }, pia);
    assert.equal(quin.status, 200, quin.text);
    assert.notEqual(quin.json.session.id, piaSession);
    assert.equal((await info(pia)).status, 401);
    assert.equal(await server.core.sessions.findSession(piaSession), null);
    const ended = (await server.core.audit.list({ userId: ids.pia, type: 'session.revoke' })).find(
      (event) => event.detail.sessionId === piaSession,
    );
    assert.equal(ended?.actor, ids.quin);
    assert.equal(ended?.detail.reason, 'other_user_signed_in');
  },
);
