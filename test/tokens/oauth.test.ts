import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { addScopes, COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let clientId: string;
let clientSecret: string;
/** A resource server allowed to introspect (the reserved introspect scope). */
let introspector: { id: string; secret: string };
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

before(async () => {
  server = await startTestServer();
  await addScopes(server.core, 'orders:read', 'orders:write', 'reports:read', 'a');
  const created = await server.core.clients.createClient({ name: 'billing', scopes: 'orders:read orders:write' });
  const resource = await server.core.clients.createClient({ name: 'orders-service', scopes: 'introspect' });
  introspector = { id: resource.client.id, secret: resource.secret! };
  clientId = created.client.id;
  clientSecret = created.secret!;
  await server.core.users.createUser({ username: 'alice', password: 'alice password 1', roles: ['admin'] });
});
after(() => server.stop());

describe('discovery', () => {
  test('JWKS publishes public keys only, with kid, alg and use; cacheable', async () => {
    const response = await server.request('/.well-known/jwks.json');
    assert.equal(response.status, 200);
    assert.equal(response.headers['cache-control'], 'public, max-age=300');
    assert.equal(response.json.keys.length, 1);
    const [key] = response.json.keys;
    assert.equal(key.kty, 'OKP');
    assert.equal(key.crv, 'Ed25519');
    assert.equal(key.alg, 'EdDSA');
    assert.equal(key.use, 'sig');
    assert.match(key.kid, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(key.d, undefined, 'no private member');
  });

  test('RFC 8414 metadata names the endpoints, grants, auth methods and algorithms', async () => {
    const response = await server.request('/.well-known/oauth-authorization-server');
    assert.equal(response.status, 200);
    const metadata = response.json;
    assert.equal(metadata.issuer, server.url);
    assert.equal(metadata.token_endpoint, `${server.url}/oauth/token`);
    assert.equal(metadata.jwks_uri, `${server.url}/.well-known/jwks.json`);
    assert.equal(metadata.revocation_endpoint, `${server.url}/oauth/revoke`);
    assert.equal(metadata.introspection_endpoint, `${server.url}/oauth/introspect`);
    assert.equal(metadata.authorization_endpoint, `${server.url}/oauth/authorize`);
    assert.deepEqual(metadata.response_types_supported, ['code']);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(metadata.grant_types_supported, ['authorization_code', 'client_credentials', 'refresh_token']);
    assert.deepEqual(metadata.token_endpoint_auth_methods_supported, [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'none',
    ]);
    assert.ok(
      !metadata.token_endpoint_auth_signing_alg_values_supported.some(
        (alg: string) => alg.startsWith('HS') || alg === 'none',
      ),
    );
  });
});

describe('client_credentials', () => {
  test('client_secret_basic: an RFC 9068 access token with the client’s scopes', async () => {
    const response = await server.request('/oauth/token', {
      form: { grant_type: 'client_credentials' },
      headers: { authorization: basic(clientId, clientSecret) },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers.pragma, 'no-cache');
    assert.equal(response.json.token_type, 'Bearer');
    assert.equal(response.json.expires_in, 600);
    assert.equal(response.json.scope, 'orders:read orders:write');
    const header = decodeProtectedHeader(response.json.access_token);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'EdDSA');
    const claims = decodeJwt(response.json.access_token);
    assert.equal(claims.iss, server.url);
    assert.equal(claims.aud, server.url);
    assert.equal(claims.sub, clientId);
    assert.equal(claims.client_id, clientId);
    assert.equal(claims.scope, 'orders:read orders:write');
    assert.equal(claims.exp! - claims.iat!, 600);
    assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
  });

  test('client_secret_post, and a narrower scope on request', async () => {
    const response = await server.request('/oauth/token', {
      form: {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        scope: 'orders:read',
      },
    });
    assert.equal(response.status, 200);
    assert.equal(response.json.scope, 'orders:read');
  });

  test('private_key_jwt: the client signs an assertion; no shared secret exists', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const created = await server.core.clients.createClient({
      name: 'keyed',
      scopes: 'reports:read',
      publicJwk: await exportJWK(publicKey),
    });
    assert.equal(created.secret, null);
    const id = created.client.id;
    // The audience is the issuer identifier itself, one string (RFC 7523bis): the token endpoint or a list is refused.
    const assertion = (jti: string, audience: string | string[] = server.url) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(id)
        .setSubject(id)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('2m')
        .setJti(jti)
        .sign(privateKey);
    const form = async (jti: string, audience?: string | string[]) => ({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await assertion(jti, audience),
    });
    const ok = await server.request('/oauth/token', { form: await form('a-1') });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(decodeJwt(ok.json.access_token).sub, id);
    const replay = await server.request('/oauth/token', { form: await form('a-1') });
    assert.equal(replay.status, 401, 'a jti is good once');
    assert.equal(replay.json.error, 'invalid_client');
    const wrongAudience = await server.request('/oauth/token', {
      form: await form('a-2', 'https://elsewhere.example'),
    });
    assert.equal(wrongAudience.status, 401);
    const audiences: [string, string | string[]][] = [
      ['a-4', `${server.url}/oauth/token`],
      ['a-5', [server.url, 'https://elsewhere.example']],
    ];
    for (const [jti, audience] of audiences) {
      const refused = await server.request('/oauth/token', { form: await form(jti, audience) });
      assert.equal(refused.status, 401, `aud ${JSON.stringify(audience)} is refused`);
    }
    const { privateKey: stranger } = await generateKeyPair('ES256');
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(id)
      .setSubject(id)
      .setAudience(server.url)
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti('a-3')
      .sign(stranger);
    const forgedResponse = await server.request('/oauth/token', {
      form: {
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: forged,
      },
    });
    assert.equal(forgedResponse.status, 401);
  });

  test('RFC 6749 §5.2 errors: invalid_client 401, invalid_scope, unsupported_grant_type, invalid_request', async () => {
    const cases: { form: Record<string, string>; headers: Record<string, string>; status: number; error: string }[] = [
      {
        form: { grant_type: 'client_credentials' },
        headers: { authorization: basic(clientId, 'wrong') },
        status: 401,
        error: 'invalid_client',
      },
      {
        form: { grant_type: 'client_credentials' },
        headers: { authorization: basic('nobody', clientSecret) },
        status: 401,
        error: 'invalid_client',
      },
      { form: { grant_type: 'client_credentials' }, headers: {}, status: 401, error: 'invalid_client' },
      {
        form: { grant_type: 'client_credentials', scope: 'admin' },
        headers: { authorization: basic(clientId, clientSecret) },
        status: 400,
        error: 'invalid_scope',
      },
      {
        form: { grant_type: 'password', username: 'alice', password: 'alice password 1' },
        headers: {},
        status: 400,
        error: 'unsupported_grant_type',
      },
      { form: { scope: 'x' }, headers: {}, status: 400, error: 'invalid_request' },
      {
        form: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
        headers: { authorization: basic(clientId, clientSecret) },
        status: 400,
        error: 'invalid_request',
      },
    ];
    for (const item of cases) {
      const response = await server.request('/oauth/token', { form: item.form, headers: item.headers });
      assert.equal(response.status, item.status, JSON.stringify(item.form));
      assert.equal(response.json.error, item.error, JSON.stringify(item.form));
      assert.equal(typeof response.json.error_description, 'string');
      if (item.status === 401) assert.equal(response.headers['www-authenticate'], 'Basic realm="gatehouse"');
      assert.ok(!response.text.includes(clientSecret));
    }
    const json = await server.request('/oauth/token', { json: { grant_type: 'client_credentials' } });
    assert.equal(json.status, 415, 'the token endpoint takes form bodies only');
  });

  test('a rotated secret works at once and the old one stops', async () => {
    const { client, secret } = await server.core.clients.createClient({ name: 'rotating', scopes: 'a' });
    const rotated = await server.core.clients.rotateClientSecret('rotating');
    const token = (s: string) =>
      server.request('/oauth/token', {
        form: { grant_type: 'client_credentials' },
        headers: { authorization: basic(client.id, s) },
      });
    assert.equal((await token(secret!)).status, 401);
    assert.equal((await token(rotated.secret)).status, 200);
  });
});

describe('user tokens and refresh rotation', () => {
  async function signIn(): Promise<string> {
    const response = await server.request('/login', { form: { username: 'alice', password: 'alice password 1' } });
    return `${COOKIE}=${response.setCookie(COOKIE)}`;
  }
  const refresh = (token: string) =>
    server.request('/oauth/token', { form: { grant_type: 'refresh_token', refresh_token: token } });

  test('POST /token gives a signed-in user an access token and a refresh token; the access token opens protected routes', async () => {
    const cookie = await signIn();
    const response = await server.request('/token', { method: 'POST', cookie });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.match(response.json.refresh_token, /^ghr_[A-Za-z0-9_-]{43}$/);
    const claims = decodeJwt(response.json.access_token);
    assert.equal(claims.client_id, 'gatehouse');
    assert.deepEqual(claims.roles, ['admin']);
    assert.equal(typeof claims.sid, 'string');
    assert.equal(claims.scope, undefined, 'none asked for, none granted');
    assert.equal(response.json.scope, '');
    const info = await server.request('/get-info', {
      headers: { authorization: `Bearer ${response.json.access_token}` },
    });
    assert.equal(info.status, 200);
    const admin = await server.request('/admin/users', {
      headers: { authorization: `Bearer ${response.json.access_token}` },
    });
    assert.equal(admin.status, 403, "an administrator's token without the admin scope is no admin");
    const scoped = (await server.request('/token', { cookie, json: { scope: 'admin' } })).json;
    const allowed = await server.request('/admin/users', {
      headers: { authorization: `Bearer ${scoped.access_token}` },
    });
    assert.equal(allowed.status, 200, 'with the admin scope, for a user with the admin role');
    const anonymous = await server.request('/token', { method: 'POST' });
    assert.equal(anonymous.status, 401);
  });

  test('every refresh returns a new refresh token; reusing a spent one ends that family only', async () => {
    const cookie = await signIn();
    const otherCookie = await signIn();
    const first = (await server.request('/token', { method: 'POST', cookie })).json;
    const other = (await server.request('/token', { method: 'POST', cookie: otherCookie })).json;
    const second = await refresh(first.refresh_token);
    assert.equal(second.status, 200);
    assert.notEqual(second.json.refresh_token, first.refresh_token);
    const third = await refresh(second.json.refresh_token);
    assert.equal(third.status, 200);
    const reuse = await refresh(first.refresh_token);
    assert.equal(reuse.status, 400);
    assert.equal(reuse.json.error, 'invalid_grant');
    assert.equal((await refresh(third.json.refresh_token)).status, 400, 'the whole family ended');
    assert.equal((await refresh(other.refresh_token)).status, 200, 'another family is untouched');
    assert.equal((await server.request('/get-info', { cookie })).status, 200, 'the session itself is untouched');
  });

  test('two concurrent refreshes with one token: exactly one wins', async () => {
    const cookie = await signIn();
    const { refresh_token } = (await server.request('/token', { method: 'POST', cookie })).json;
    const results = await Promise.all([refresh(refresh_token), refresh(refresh_token)]);
    assert.deepEqual(results.map((result) => result.status).sort(), [200, 400]);
  });

  test('logout ends the session’s refresh tokens and its access tokens in Gatehouse’s own guard', async () => {
    const cookie = await signIn();
    const tokens = (await server.request('/token', { method: 'POST', cookie })).json;
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    assert.equal((await server.request('/get-info', { headers: bearer })).status, 200);
    await server.request('/logout', { method: 'POST', cookie });
    assert.equal((await refresh(tokens.refresh_token)).status, 400);
    const revoked = await server.request('/get-info', { headers: bearer });
    assert.equal(revoked.status, 401);
    assert.equal(
      revoked.headers['www-authenticate'],
      'Bearer realm="gatehouse", error="invalid_token", Basic realm="gatehouse", charset="UTF-8"',
    );
  });

  test('a scoped user token is limited to its scopes', async () => {
    const cookie = await signIn();
    const response = await server.request('/token', { cookie, json: { scope: 'orders:read' } });
    assert.equal(response.json.scope, 'orders:read');
    assert.equal(decodeJwt(response.json.access_token).scope, 'orders:read');
    const refreshed = await refresh(response.json.refresh_token);
    assert.equal(refreshed.json.scope, 'orders:read');
  });
});

describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
  async function clientToken(): Promise<string> {
    const response = await server.request('/oauth/token', {
      form: { grant_type: 'client_credentials' },
      headers: { authorization: basic(clientId, clientSecret) },
    });
    return response.json.access_token;
  }
  const introspect = (token: string) =>
    server.request('/oauth/introspect', {
      form: { token },
      headers: { authorization: basic(introspector.id, introspector.secret) },
    });

  test('introspection needs client authentication and tells active tokens from the rest', async () => {
    const token = await clientToken();
    assert.equal((await server.request('/oauth/introspect', { form: { token } })).status, 401);
    // Not every client's business (#14): only a client granted the introspect scope learns who holds a token.
    const stranger = await server.request('/oauth/introspect', {
      form: { token },
      headers: { authorization: basic(clientId, clientSecret) },
    });
    assert.equal(stranger.status, 403);
    assert.equal(stranger.json.error, 'insufficient_scope');
    assert.ok(!stranger.text.includes('orders'));
    const active = await introspect(token);
    assert.equal(active.status, 200);
    assert.equal(active.json.active, true);
    assert.equal(active.json.client_id, clientId);
    assert.equal(active.json.scope, 'orders:read orders:write');
    assert.equal(active.json.iss, server.url);
    for (const junk of ['nonsense', `${token}x`, 'ghr_nope', 'gh_nope']) {
      assert.deepEqual((await introspect(junk)).json, { active: false });
    }
  });

  test('a revoked access token is refused by the guard and introspects inactive; unknown tokens revoke with 200', async () => {
    const token = await clientToken();
    const revoke = await server.request('/oauth/revoke', {
      form: { token },
      headers: { authorization: basic(clientId, clientSecret) },
    });
    assert.equal(revoke.status, 200);
    assert.deepEqual((await introspect(token)).json, { active: false });
    assert.equal((await server.request('/get-info', { headers: { authorization: `Bearer ${token}` } })).status, 401);
    assert.equal((await server.request('/oauth/revoke', { form: { token: 'whatever' } })).status, 200);
  });

  test("another client cannot revoke a client's token", async () => {
    const token = await clientToken();
    const other = await server.core.clients.createClient({ name: 'other', scopes: '' });
    const response = await server.request('/oauth/revoke', {
      form: { token },
      headers: { authorization: basic(other.client.id, other.secret!) },
    });
    assert.equal(response.status, 400);
    assert.equal(response.json.error, 'unauthorized_client');
    assert.equal((await introspect(token)).json.active, true);
  });

  test('a refresh token revoked by its holder stops working', async () => {
    const cookie = `${COOKIE}=${(await server.request('/login', { form: { username: 'alice', password: 'alice password 1' } })).setCookie(COOKIE)}`;
    const { refresh_token } = (await server.request('/token', { method: 'POST', cookie })).json;
    assert.equal(
      (await server.request('/oauth/revoke', { form: { token: refresh_token, token_type_hint: 'refresh_token' } }))
        .status,
      200,
    );
    assert.equal(
      (await server.request('/oauth/token', { form: { grant_type: 'refresh_token', refresh_token } })).status,
      400,
    );
  });
});
