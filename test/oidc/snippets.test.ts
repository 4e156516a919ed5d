import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { FormBrowser, hiddenField } from '../helpers/form-browser.js';
import { ROOT } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// docs/oidc.md's Grafana and oauth2-proxy snippets, read from the page and checked against a running Gatehouse:
// neither program is packaged for Debian or npm, so every endpoint, scope, claim and setting they use is tried here.
const DOC = readFileSync(join(ROOT, 'docs/oidc.md'), 'utf8');
const DOC_ISSUER = 'https://auth.example.com';
const PASSWORD = 'ada password 123';
let server: TestServer;
let metadata: Record<string, any>;

/** The first fenced block of `language` after the heading `heading`. */
function snippet(heading: string, language: string): string {
  const section = DOC.slice(DOC.indexOf(`## ${heading}`));
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(section);
  assert.ok(match, `a ${language} block under ${heading}`);
  return match[1]!;
}

/** The redirect URI the section registers with `gatehouse client add … --redirect-uri`. */
function registeredRedirect(heading: string): string {
  const section = DOC.slice(DOC.indexOf(`## ${heading}`));
  return /gatehouse client add \S+ --redirect-uri\s+(\S+?)`/.exec(section.replace(/\n/g, ' '))![1]!;
}

before(async () => {
  server = await startTestServer();
  await server.core.users.createUser({ username: 'ada', password: PASSWORD, roles: ['admin'] });
  metadata = (await server.request('/.well-known/openid-configuration')).json;
});
after(() => server.stop());

/** Signs `ada` in and consents, as a browser does, for `clientId`; returns the code and PKCE verifier. */
async function codeFor(clientId: string, redirectUri: string, scope: string) {
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope,
    state: 'st',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const browser = new FormBrowser(server.url, readFileSync(join(server.data, 'tls', 'cert.pem'), 'utf8'));
  try {
    const signIn = await browser.get(`${metadata.authorization_endpoint}?${query.toString()}`);
    const consent = await browser.post('/ui/sign-in', {
      username: 'ada',
      password: PASSWORD,
      return_to: hiddenField(signIn.text, 'return_to')!,
    });
    const back = await browser.post('/oauth/authorize/consent', {
      interaction: hiddenField(consent.text, 'interaction')!,
      decision: 'allow',
    });
    const url = new URL(back.url);
    assert.equal(`${url.origin}${url.pathname}`, redirectUri);
    return { code: url.searchParams.get('code')!, verifier };
  } finally {
    await browser.close();
  }
}

async function redeem(client: { id: string; secret: string }, redirectUri: string, code: string, verifier: string) {
  const answer = await server.request(metadata.token_endpoint.slice(server.url.length), {
    headers: { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
    form: { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
  });
  assert.equal(answer.status, 200, answer.text);
  return answer.json;
}

test('Grafana generic OAuth: its URLs, scopes, PKCE and attribute paths work as the snippet sets them', async () => {
  const ini = Object.fromEntries(
    snippet('Grafana', 'ini')
      .split('\n')
      .filter((line) => line.includes(' = '))
      .map((line) => line.split(' = ').map((part) => part.trim().replaceAll(DOC_ISSUER, server.url))),
  ) as Record<string, string>;
  assert.equal(ini.auth_url, metadata.authorization_endpoint);
  assert.equal(ini.token_url, metadata.token_endpoint);
  assert.equal(ini.api_url, metadata.userinfo_endpoint);
  assert.equal(ini.use_pkce, 'true');
  for (const scope of ini.scopes!.split(' ')) assert.ok(metadata.scopes_supported.includes(scope), scope);

  const redirect = registeredRedirect('Grafana');
  assert.equal(redirect, 'https://grafana.example.com/login/generic_oauth');
  const { client, secret } = await server.core.clients.createClient({
    name: 'grafana',
    scopes: '',
    redirectUris: [redirect],
  });
  const { code, verifier } = await codeFor(client.id, redirect, ini.scopes!);
  const tokens = await redeem({ id: client.id, secret: secret! }, redirect, code, verifier);
  const userinfo = await server.request(ini.api_url!.slice(server.url.length), {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  assert.equal(userinfo.status, 200);
  // login_, name_ and email_attribute_path read preferred_username; role_attribute_path reads the roles array.
  for (const path of ['login_attribute_path', 'name_attribute_path', 'email_attribute_path']) {
    assert.equal(userinfo.json[ini[path]!], 'ada', path);
  }
  assert.match(ini.role_attribute_path!, /^contains\(roles\[\*\], 'admin'\)/);
  assert.deepEqual(userinfo.json.roles, ['admin']);
});

test('oauth2-proxy: issuer discovery, S256, scopes, and the claims it reads from the ID token', async () => {
  const flags = Object.fromEntries(
    [...snippet('oauth2-proxy', 'sh').matchAll(/--([a-z-]+)=("[^"]*"|'[^']*'|\S+)/g)].map(([, name, value]) => [
      name,
      value!.replace(/^["']|["']$/g, '').replaceAll(DOC_ISSUER, server.url),
    ]),
  ) as Record<string, string>;
  assert.equal(flags.provider, 'oidc');
  assert.equal(flags['oidc-issuer-url'], metadata.issuer);
  const discovered = await server.request(
    new URL('/.well-known/openid-configuration', flags['oidc-issuer-url']).pathname,
  );
  assert.equal(discovered.json.issuer, flags['oidc-issuer-url']);
  assert.ok(metadata.code_challenge_methods_supported.includes(flags['code-challenge-method']));
  for (const scope of flags.scope!.split(' ')) assert.ok(metadata.scopes_supported.includes(scope), scope);
  const redirect = flags['redirect-url']!;
  assert.equal(registeredRedirect('oauth2-proxy'), redirect);

  const { client, secret } = await server.core.clients.createClient({
    name: 'proxy',
    scopes: '',
    redirectUris: [redirect],
  });
  const { code, verifier } = await codeFor(client.id, redirect, flags.scope!);
  const tokens = await redeem({ id: client.id, secret: secret! }, redirect, code, verifier);
  // go-oidc, which oauth2-proxy uses, accepts RS256 ID tokens unless told otherwise.
  assert.equal(decodeProtectedHeader(tokens.id_token).alg, 'RS256');
  const claims = decodeJwt(tokens.id_token);
  assert.equal(claims.iss, flags['oidc-issuer-url']);
  assert.equal(claims.aud, client.id);
  assert.equal(claims[flags['oidc-email-claim']!], 'ada');
  assert.deepEqual(claims[flags['oidc-groups-claim']!], ['admin']);
});
