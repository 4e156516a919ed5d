import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import { FormBrowser, hiddenField } from '../helpers/form-browser.js';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';
import { SoftAuthenticator } from './soft-authenticator.js';

/**
 * A passkey sign-in in the middle of an OpenID Connect authorization
 * request (#13): the app sends the browser to Gatehouse, the person signs in
 * with a passkey on the sign-in page, and the browser goes back to the
 * request; the ID token says how (`amr`).
 */
const PASSWORD = 'passkey authorize password';
const REDIRECT = 'https://app.example/cb';
let server: TestServer;
let app: { id: string; secret: string };
const authenticator: { key?: SoftAuthenticator } = {};

before(async () => {
  server = await startTestServer({ config: { host: 'localhost' } });
  await server.core.users.createUser({ username: 'nina', password: PASSWORD });
  const created = await server.core.clients.createClient({ name: 'web', scopes: '', redirectUris: [REDIRECT] });
  app = { id: created.client.id, secret: created.secret! };
  const login = await server.request('/login', { json: { username: 'nina', password: PASSWORD } });
  const cookie = `${COOKIE}=${login.setCookie(COOKIE)}`;
  const options = await server.request('/passkeys/registration/options', {
    json: {},
    cookie,
    headers: { origin: server.url },
  });
  authenticator.key = new SoftAuthenticator(server.url);
  const added = await server.request('/passkeys/registration', {
    json: { name: 'Phone', response: authenticator.key.register(options.json) },
    cookie,
    headers: { origin: server.url },
  });
  assert.equal(added.status, 201, added.text);
});
after(() => server.stop());

test('an authorization request: sign in with a passkey on the sign-in page, consent, code, ID token amr hwk user', async () => {
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    client_id: app.id,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid',
    state: 'st-1',
    nonce: 'n-1',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const browser = new FormBrowser(server.url, server.ca);
  try {
    const signIn = await browser.get(`/oauth/authorize?${query}`);
    assert.equal(signIn.status, 200);
    assert.match(signIn.text, /id="passkey-form"/);
    const returnTo = hiddenField(signIn.text, 'return_to')!;
    assert.ok(returnTo, 'the sign-in page carries the way back');
    const options = await server.request('/login/passkey/options', { json: {}, headers: { origin: server.url } });
    const consent = await browser.post('/ui/sign-in/passkey', {
      response: JSON.stringify(authenticator.key!.assert(options.json)),
      return_to: returnTo,
    });
    assert.equal(consent.status, 200, consent.text);
    const back = await browser.post('/oauth/authorize/consent', {
      interaction: hiddenField(consent.text, 'interaction')!,
      decision: 'allow',
    });
    assert.equal(back.status, 303);
    const code = new URL(back.url).searchParams.get('code')!;
    const basic = `Basic ${Buffer.from(`${app.id}:${app.secret}`).toString('base64')}`;
    const tokens = await server.request('/oauth/token', {
      form: { grant_type: 'authorization_code', redirect_uri: REDIRECT, code, code_verifier: verifier },
      headers: { authorization: basic },
    });
    assert.equal(tokens.status, 200, tokens.text);
    assert.deepEqual(decodeJwt(tokens.json.id_token).amr, ['hwk', 'user']);
  } finally {
    await browser.close();
  }
});
