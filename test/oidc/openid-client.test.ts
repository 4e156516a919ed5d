import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { FormBrowser, hiddenField } from '../helpers/form-browser.js';
import { runCLI, startServe, type ServeProcess } from '../helpers/process.js';

// panva's openid-client, the relying party most Node apps use, against a real `gatehouse serve`:
// discovery, code + PKCE, ID-token validation, userinfo, refresh, RP-initiated logout.
const data = mkdtempSync(join(tmpdir(), 'gatehouse-oidc-'));
const REDIRECT = 'https://app.example/callback';
const AFTER_LOGOUT = 'https://app.example/signed-out';
let server: ServeProcess;
let ca: string;
let agent: Agent;
let confidential: { id: string; secret: string };
let publicApp: string;

async function cli(args: string[], input?: string): Promise<string> {
  const result = await runCLI([...args, '--data', data], { input });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

before(async () => {
  server = await startServe(['--data', data, '--host', '127.0.0.1', '--port', '0']);
  ca = readFileSync(join(data, 'tls', 'cert.pem'), 'utf8');
  agent = new Agent({ connect: { ca } });
  await cli(['user', 'add', 'olga', '--password-stdin', '--role', 'staff'], 'olga password 123\n');
  const web = JSON.parse(
    await cli([
      'client',
      'add',
      'web',
      '--redirect-uri',
      REDIRECT,
      '--post-logout-redirect-uri',
      AFTER_LOGOUT,
      '--json',
    ]),
  );
  confidential = { id: web.client_id, secret: web.client_secret };
  const spa = JSON.parse(
    await cli([
      'client',
      'add',
      'spa',
      '--type',
      'public',
      '--redirect-uri',
      REDIRECT,
      '--id-token-alg',
      'ES256',
      '--json',
    ]),
  );
  publicApp = spa.client_id;
});
after(async () => {
  await agent?.close();
  await server?.stop();
  rmSync(data, { recursive: true, force: true });
});

async function configure(clientId: string, auth: client.ClientAuth, metadata: Partial<client.ClientMetadata> = {}) {
  const config = await client.discovery(new URL(server.url), clientId, metadata, auth, {
    [client.customFetch]: (url, options) =>
      undiciFetch(url, { ...(options as object), dispatcher: agent }) as unknown as Promise<Response>,
  });
  return config;
}

/** Signs in at Gatehouse in a cookie-keeping browser and answers the consent page; returns where the browser lands. */
async function signInAndConsent(browser: FormBrowser, authorizationUrl: URL, decision: 'allow' | 'deny' = 'allow') {
  const signInPage = await browser.get(authorizationUrl.href);
  assert.equal(signInPage.status, 200);
  assert.match(signInPage.text, /<h1>Sign in<\/h1>/);
  const returnTo = hiddenField(signInPage.text, 'return_to');
  assert.match(returnTo!, /^\/oauth\/authorize\/resume\?interaction=[A-Za-z0-9_-]{43}$/);
  // The sign-in page's forms may lead to the app: its origin is in form-action (browsers check redirects after a post).
  assert.match(String(signInPage.headers['content-security-policy']), /form-action 'self' https:\/\/app\.example;/);
  const consent = await browser.post('/ui/sign-in', {
    username: 'olga',
    password: 'olga password 123',
    return_to: returnTo!,
  });
  return answerConsent(browser, consent, decision);
}

async function answerConsent(
  browser: FormBrowser,
  consent: { status: number; text: string; headers: Record<string, unknown> },
  decision: 'allow' | 'deny',
) {
  assert.equal(consent.status, 200);
  assert.match(consent.text, /asks to use your account/);
  assert.equal(consent.headers['x-frame-options'] ?? 'DENY', 'DENY');
  assert.match(String(consent.headers['content-security-policy']), /frame-ancestors 'none'/);
  return browser.post('/oauth/authorize/consent', { interaction: hiddenField(consent.text, 'interaction')!, decision });
}

test('discovery: the OpenID Provider metadata agrees with RFC 8414’s', async () => {
  const config = await configure(confidential.id, client.ClientSecretBasic(confidential.secret));
  const metadata = config.serverMetadata();
  assert.equal(metadata.issuer, server.url);
  assert.equal(metadata.authorization_endpoint, `${server.url}/oauth/authorize`);
  assert.equal(metadata.userinfo_endpoint, `${server.url}/oauth/userinfo`);
  assert.equal(metadata.end_session_endpoint, `${server.url}/oauth/logout`);
  assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
  assert.ok(metadata.id_token_signing_alg_values_supported!.includes('RS256'));
  const rfc8414 = (await (
    await undiciFetch(`${server.url}/.well-known/oauth-authorization-server`, { dispatcher: agent })
  ).json()) as Record<string, unknown>;
  for (const [name, value] of Object.entries(rfc8414)) {
    assert.deepEqual((metadata as Record<string, unknown>)[name], value, `${name} is the same in both documents`);
  }
});

test('a confidential app: code + PKCE, ID token (RS256), userinfo, refresh, RP-initiated logout', async () => {
  const config = await configure(confidential.id, client.ClientSecretBasic(confidential.secret));
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const browser = new FormBrowser(server.url, ca);
  try {
    const back = await signInAndConsent(browser, authorizationUrl);
    assert.equal(back.status, 303);
    assert.ok(back.url.startsWith(`${REDIRECT}?code=`), back.url);

    const tokens = await client.authorizationCodeGrant(config, new URL(back.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    assert.equal(claims.iss, server.url);
    assert.equal(claims.aud, confidential.id);
    assert.equal(claims.nonce, nonce, 'nonce is echoed');
    assert.equal(claims.preferred_username, 'olga');
    assert.deepEqual(claims.roles, ['staff']);
    assert.deepEqual(claims.amr, ['pwd']);
    assert.equal(claims.acr, '1');
    assert.equal(typeof claims.auth_time, 'number');
    assert.equal(typeof claims.sid, 'string');
    assert.equal(JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()).alg, 'RS256');
    assert.equal(tokens.scope, 'openid profile');
    assert.ok(tokens.refresh_token?.startsWith('ghr_'));

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.deepEqual(userinfo, { sub: claims.sub, preferred_username: 'olga', roles: ['staff'] });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'rotated');
    assert.equal(refreshed.scope, 'openid profile');
    assert.equal((await client.fetchUserInfo(config, refreshed.access_token, claims.sub)).sub, claims.sub);
    // The spent refresh token again: reuse, and the whole family ends.
    await assert.rejects(
      client.refreshTokenGrant(config, tokens.refresh_token!),
      (error: { error?: string }) => error.error === 'invalid_grant',
    );
    await assert.rejects(
      client.refreshTokenGrant(config, refreshed.refresh_token!),
      (error: { error?: string }) => error.error === 'invalid_grant',
    );

    // A second visit: the consent is remembered, the code comes straight back.
    const again = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const direct = await browser.get(again.href);
    assert.equal(direct.status, 303);
    assert.match(direct.url, /[?&]code=/);
    const second = await client.authorizationCodeGrant(config, new URL(direct.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });

    // RP-initiated logout with the ID token: signed out at once, back to the registered URI with state.
    const logout = client.buildEndSessionUrl(config, {
      id_token_hint: second.id_token!,
      post_logout_redirect_uri: AFTER_LOGOUT,
      state: 'bye',
    });
    const out = await browser.get(logout.href);
    assert.equal(out.status, 303);
    assert.equal(out.url, `${AFTER_LOGOUT}?state=bye`);
    const session = await browser.get('/session');
    assert.equal(session.status, 401, 'the Gatehouse session has ended');
    await assert.rejects(
      client.fetchUserInfo(config, second.access_token, claims.sub),
      (error: { status?: number; response?: Response }) => (error.response?.status ?? error.status) === 401,
    );
  } finally {
    await browser.close();
  }
});

test('a public app: none at the token endpoint, ID token with its own ES256, consent refused is access_denied', async () => {
  const config = await configure(publicApp, client.None(), { id_token_signed_response_alg: 'ES256' });
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = (scope: string) =>
    client.calculatePKCECodeChallenge(verifier).then((challenge) =>
      client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state,
      }),
    );
  const browser = new FormBrowser(server.url, ca);
  try {
    const denied = await signInAndConsent(browser, await url('openid'), 'deny');
    const deniedUrl = new URL(denied.url);
    assert.equal(deniedUrl.searchParams.get('error'), 'access_denied');
    assert.equal(deniedUrl.searchParams.get('state'), state);
    assert.equal(deniedUrl.searchParams.get('iss'), server.url, 'RFC 9207 iss on errors too');

    const consent = await browser.get((await url('openid offline_access')).href);
    const back = await answerConsent(browser, consent, 'allow');
    const tokens = await client.authorizationCodeGrant(config, new URL(back.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    assert.equal(JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()).alg, 'ES256');
    assert.equal(tokens.scope, 'offline_access openid');
    // offline_access: the refresh token outlives the browser session.
    const signOut = await browser.post('/ui/sign-out', {});
    assert.equal(signOut.status, 200);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    assert.equal(
      (await client.fetchUserInfo(config, refreshed.access_token, tokens.claims()!.sub)).sub,
      tokens.claims()!.sub,
    );
  } finally {
    await browser.close();
  }
});
