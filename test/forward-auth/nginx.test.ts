import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Agent, request } from 'undici';
import { freePort, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { addScopes, COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

// The upstream knows nothing of Gatehouse: it echoes the identity headers nginx gives it.
let upstream: Server;
let upstreamHits = 0;
let gatehouse: TestServer;
let nginx: RunningNginx | string;
let front = '';
const PASSWORD = 'forward auth password 1';

before(async () => {
  upstream = createServer((req, res) => {
    upstreamHits += 1;
    const pick = (name: string) => req.headers[name] ?? null;
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        path: req.url,
        method: req.method,
        user: pick('x-auth-user'),
        subject: pick('x-auth-subject'),
        roles: pick('x-auth-roles'),
        scopes: pick('x-auth-scopes'),
        kind: pick('x-auth-kind'),
        cookie: pick('cookie'),
      }),
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamPort = (upstream.address() as { port: number }).port;
  // The front origin is known only once nginx has a port: Gatehouse's allowed origins are set then.
  const port = await freePort();
  front = `https://127.0.0.1:${port}`;
  gatehouse = await startTestServer({ config: { origins: [front] } });
  await addScopes(gatehouse.core, 'orders:read', 'orders:write');
  await gatehouse.core.users.createUser({ username: 'alice', password: PASSWORD, roles: ['ops', 'admin'] });
  const gatehousePort = new URL(gatehouse.url).port;
  // The configuration docs/forward-auth.md shows, with this test's ports and paths.
  nginx = await startNginx(
    `
    location = /_gatehouse {
      internal;
      proxy_pass https://127.0.0.1:${gatehousePort}/auth/verify;
      proxy_ssl_trusted_certificate ${join(gatehouse.data, 'tls', 'cert.pem')};
      proxy_ssl_verify on;
      proxy_ssl_name localhost;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URI $request_uri;
    }
    location / {
      auth_request /_gatehouse;
      auth_request_set $auth_user $upstream_http_x_auth_user;
      auth_request_set $auth_subject $upstream_http_x_auth_subject;
      auth_request_set $auth_roles $upstream_http_x_auth_roles;
      auth_request_set $auth_scopes $upstream_http_x_auth_scopes;
      auth_request_set $auth_kind $upstream_http_x_auth_kind;
      proxy_set_header X-Auth-User $auth_user;
      proxy_set_header X-Auth-Subject $auth_subject;
      proxy_set_header X-Auth-Roles $auth_roles;
      proxy_set_header X-Auth-Scopes $auth_scopes;
      proxy_set_header X-Auth-Kind $auth_kind;
      proxy_pass http://127.0.0.1:${upstreamPort};
    }`,
    { port, tls: { cert: join(gatehouse.data, 'tls', 'cert.pem'), key: join(gatehouse.data, 'tls', 'key.pem') } },
  );
});
after(async () => {
  if (typeof nginx !== 'string') await nginx?.stop();
  await gatehouse?.stop();
  upstream?.close();
});

async function viaNginx(path: string, options: { method?: string; headers?: Record<string, string> } = {}) {
  const response = await request(`${front}${path}`, {
    method: (options.method ?? 'GET') as 'GET',
    headers: options.headers,
    dispatcher: new Agent({ connect: { ca: gatehouse.ca } }),
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    json: response.headers['content-type'] === 'application/json' ? JSON.parse(text) : undefined,
  };
}

test('nginx auth_request in front of a service that knows nothing of Gatehouse', async (t) => {
  if (typeof nginx === 'string') return t.skip(nginx);

  // No credential, a forged one, a wrong scheme: 401 from nginx, and the service never sees the request.
  const before = upstreamHits;
  assert.equal((await viaNginx('/orders')).status, 401);
  assert.equal((await viaNginx('/orders', { headers: { cookie: `${COOKIE}=forged-${'a'.repeat(40)}` } })).status, 401);
  assert.equal((await viaNginx('/orders', { headers: { authorization: 'Bearer not-a-token' } })).status, 401);
  assert.equal(
    (await viaNginx('/orders', { headers: { 'x-auth-user': 'root' } })).status,
    401,
    'an identity header from the client is no credential',
  );
  assert.equal(upstreamHits, before);

  // A session cookie: the service learns who, by headers nginx sets (a client's own X-Auth-User is replaced).
  const login = await gatehouse.request('/login', { form: { username: 'alice', password: PASSWORD } });
  const cookie = `${COOKIE}=${login.setCookie(COOKIE)}`;
  const userId = login.json.user.id as string;
  const seen = await viaNginx('/orders?page=2', { headers: { cookie, 'x-auth-user': 'root' } });
  assert.equal(seen.status, 200);
  assert.deepEqual(
    {
      path: seen.json.path,
      user: seen.json.user,
      subject: seen.json.subject,
      roles: seen.json.roles,
      kind: seen.json.kind,
      scopes: seen.json.scopes,
    },
    // A person holds every scope they may hold: one header for the upstream to check, whatever the credential.
    {
      path: '/orders?page=2',
      user: 'alice',
      subject: userId,
      roles: 'admin,ops',
      kind: 'session',
      scopes: 'admin orders:read orders:write',
    },
  );

  // An API key and an access token, with their scopes.
  const key = (await gatehouse.request('/api-keys', { cookie, json: { name: 'nginx', scopes: 'orders:read' } })).json
    .key as string;
  const byKey = await viaNginx('/orders', { headers: { authorization: `Bearer ${key}` } });
  assert.deepEqual(
    [byKey.status, byKey.json.user, byKey.json.kind, byKey.json.scopes],
    [200, 'alice', 'api_key', 'orders:read'],
  );
  const token = (await gatehouse.request('/token', { method: 'POST', cookie, json: { scope: 'orders:write' } })).json
    .access_token as string;
  const byToken = await viaNginx('/orders', { headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual([byToken.status, byToken.json.kind, byToken.json.scopes], [200, 'user_token', 'orders:write']);

  // CSRF through the proxy: a cookie-authenticated POST from another site is refused; from the site itself it passes.
  assert.equal(
    (await viaNginx('/orders', { method: 'POST', headers: { cookie, origin: 'https://evil.example' } })).status,
    403,
  );
  const same = await viaNginx('/orders', { method: 'POST', headers: { cookie, origin: front } });
  assert.deepEqual([same.status, same.json.method], [200, 'POST']);

  // Revocation is seen at once: after logout the cookie no longer passes.
  assert.equal((await gatehouse.request('/logout', { method: 'POST', cookie })).status, 204);
  assert.equal((await viaNginx('/orders', { headers: { cookie } })).status, 401);
});

test('/auth/verify answers any method; user names are percent-encoded, unambiguously', async () => {
  await gatehouse.core.users.createUser({ username: 'zoë', password: PASSWORD });
  // #14, finding 7: the name `zo%C3%AB` gave the same header as `zoë`. Every byte outside RFC 3986's unreserved set is encoded, `%` too.
  await gatehouse.core.users.createUser({ username: 'zo%C3%AB', password: PASSWORD });
  const lookalike = `${COOKIE}=${(await gatehouse.request('/login', { form: { username: 'zo%C3%AB', password: PASSWORD } })).setCookie(COOKIE)}`;
  assert.equal((await gatehouse.request('/auth/verify', { cookie: lookalike })).headers['x-auth-user'], 'zo%25C3%25AB');
  const cookie = `${COOKIE}=${(await gatehouse.request('/login', { form: { username: 'zoë', password: PASSWORD } })).setCookie(COOKIE)}`;
  for (const method of ['GET', 'HEAD', 'POST', 'DELETE']) {
    const response = await gatehouse.request('/auth/verify', { method, cookie });
    assert.equal(response.status, 200, method);
    assert.equal(response.headers['x-auth-user'], 'zo%C3%AB');
  }
  const refused = await gatehouse.request('/auth/verify');
  assert.equal(refused.status, 401);
  assert.equal(
    refused.headers['www-authenticate'],
    'Bearer realm="gatehouse", Basic realm="gatehouse", charset="UTF-8"',
  );
  assert.equal(refused.headers['x-auth-user'], undefined);
});

test('a browser without a session is sent to sign in and back, only to the deployment’s own origins; header prefix configurable', async () => {
  const server = await startTestServer({
    config: {
      origins: ['https://app.example.com', 'https://auth.example.com'],
      publicUrl: 'https://auth.example.com',
      forwardAuthHeaderPrefix: 'Remote-',
    },
  });
  try {
    await server.core.users.createUser({ username: 'rita', password: PASSWORD });
    const html = { accept: 'text/html,application/xhtml+xml' };
    const target = 'https://app.example.com/orders?page=2';
    const sent = await server.request(`/auth/verify?rd=${encodeURIComponent(target)}`, { headers: html });
    assert.equal(sent.status, 302);
    assert.equal(sent.headers.location, `https://auth.example.com/?return_to=${encodeURIComponent(target)}`);
    // Not a browser, not a safe URL: 401 as usual, never a redirect elsewhere.
    for (const [rd, headers] of [
      [target, {}],
      ['https://evil.example/phish', html],
      ['http://app.example.com/', html],
      ['https://user:pw@app.example.com/', html],
      ['javascript:alert(1)', html],
    ] as const) {
      const response = await server.request(`/auth/verify?rd=${encodeURIComponent(rd)}`, { headers });
      assert.equal(response.status, 401, rd);
      assert.equal(response.headers.location, undefined);
    }

    // The sign-in form carries the return URL and goes there after signing in; a foreign one is dropped.
    const form = await server.request(`/?return_to=${encodeURIComponent(target)}`);
    assert.match(form.text, new RegExp(`name="return_to" value="${target.replace(/[?.]/g, '\\$&')}"`));
    const signedIn = await server.request('/ui/sign-in', {
      form: { username: 'rita', password: PASSWORD, return_to: target },
    });
    assert.deepEqual([signedIn.status, signedIn.headers.location], [303, target]);
    const foreign = await server.request('/ui/sign-in', {
      form: { username: 'rita', password: PASSWORD, return_to: 'https://evil.example/' },
    });
    assert.deepEqual([foreign.status, foreign.headers.location], [303, '/']);

    const cookie = `${COOKIE}=${signedIn.setCookie(COOKIE)}`;
    const verified = await server.request('/auth/verify', { cookie });
    assert.equal(verified.headers['remote-user'], 'rita');
    assert.equal(verified.headers['remote-kind'], 'session');
    assert.equal(verified.headers['x-auth-user'], undefined);
  } finally {
    await server.stop();
  }
});
