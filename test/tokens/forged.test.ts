import assert from 'node:assert/strict';
import { createHmac, KeyObject, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createManualClock } from '../../src/core/shared/clock.js';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

const clock = createManualClock(Date.now());
let server: TestServer;
let es256: TestServer;
let genuine: string;
let refreshToken: string;
let sessionCookie: string;
let kid: string;

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const parts = (token: string) => token.split('.') as [string, string, string];
const header = (token: string) => JSON.parse(Buffer.from(parts(token)[0], 'base64url').toString());
const payload = (token: string) => JSON.parse(Buffer.from(parts(token)[1], 'base64url').toString());

async function accessWith(target: TestServer, token: string) {
  return target.request('/get-info', { headers: { authorization: `Bearer ${token}` } });
}

async function assertRefused(token: string, target = server) {
  const response = await accessWith(target, token);
  assert.equal(response.status, 401, `accepted: ${token.slice(0, 60)}…`);
  assert.equal(
    response.headers['www-authenticate'],
    'Bearer realm="gatehouse", error="invalid_token", Basic realm="gatehouse", charset="UTF-8"',
  );
  assert.equal(response.json.code, 'ERR_INVALID_TOKEN');
  assert.ok(!response.text.includes(token), 'the token is never echoed');
}

async function userTokens(target: TestServer) {
  const login = await target.request('/login', { form: { username: 'mallory-target', password: 'target password 1' } });
  const cookie = `${COOKIE}=${login.setCookie(COOKIE)}`;
  const tokens = (await target.request('/token', { method: 'POST', cookie })).json;
  return { cookie, access: tokens.access_token as string, refresh: tokens.refresh_token as string };
}

/** Signs any claims with the server's real active key: for claim checks, not a forgery. */
async function signWithRealKey(
  target: TestServer,
  claims: Record<string, unknown>,
  protectedHeader: Record<string, unknown> = {},
) {
  const key = await target.core.tokens!.keys.activeKey();
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...protectedHeader })
    .sign(key.privateKey);
}

before(async () => {
  server = await startTestServer({ clock });
  es256 = await startTestServer({ clock, config: { signingAlgorithm: 'ES256' } });
  for (const target of [server, es256])
    await target.core.users.createUser({ username: 'mallory-target', password: 'target password 1' });
  const tokens = await userTokens(server);
  genuine = tokens.access;
  refreshToken = tokens.refresh;
  sessionCookie = tokens.cookie;
  kid = header(genuine).kid;
});
after(async () => {
  await server.stop();
  await es256.stop();
});

describe('forged and misused access tokens are refused', () => {
  test('the genuine token is accepted (the control)', async () => {
    assert.equal((await accessWith(server, genuine)).status, 200);
  });

  test('alg none, with and without a signature segment', async () => {
    const [, body] = parts(genuine);
    const none = b64({ alg: 'none', typ: 'at+jwt', kid });
    await assertRefused(`${none}.${body}.`);
    await assertRefused(`${none}.${body}.AAAA`);
    await assertRefused(`${b64({ alg: 'None', typ: 'at+jwt', kid })}.${body}.AAAA`);
  });

  test('HS256 keyed with the public key (algorithm confusion)', async () => {
    const [, body] = parts(genuine);
    const jwks = (await server.request('/.well-known/jwks.json')).json;
    const publicJwk = jwks.keys[0];
    for (const secret of [JSON.stringify(publicJwk), Buffer.from(publicJwk.x, 'base64url'), publicJwk.x]) {
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        const head = b64({ alg, typ: 'at+jwt', kid });
        const hash = `sha${alg.slice(2)}`;
        const signature = createHmac(hash, secret).update(`${head}.${body}`).digest('base64url');
        await assertRefused(`${head}.${body}.${signature}`);
      }
    }
  });

  test('stripped signature, changed claims with the old signature', async () => {
    const [head, body, signature] = parts(genuine);
    await assertRefused(`${head}.${body}`);
    await assertRefused(`${head}.${body}.`);
    for (const change of [
      { sub: 'someone-else' },
      { roles: ['admin', 'root'] },
      { exp: payload(genuine).exp + 3600 },
      { scope: 'everything' },
    ]) {
      await assertRefused(`${head}.${b64({ ...payload(genuine), ...change })}.${signature}`);
    }
  });

  test('an attacker key embedded as jwk, or named by jku / x5u, is never used or fetched', async () => {
    let fetched = 0;
    const bait = createServer((_request, response) => {
      fetched += 1;
      response.end('{}');
    });
    await new Promise<void>((resolve) => bait.listen(0, '127.0.0.1', resolve));
    const baitUrl = `http://127.0.0.1:${(bait.address() as { port: number }).port}/jwks.json`;
    try {
      const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      const jwk = await exportJWK(publicKey);
      const attackerKid = await calculateJwkThumbprint(jwk);
      const claims = payload(genuine);
      for (const extra of [
        { jwk, kid: attackerKid },
        { jwk, kid },
        { jku: baitUrl, kid: attackerKid },
        { x5u: baitUrl, kid: attackerKid },
        { jku: baitUrl, kid },
      ]) {
        const token = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', ...extra })
          .sign(privateKey);
        await assertRefused(token);
      }
      assert.equal(fetched, 0, 'no URL from a token header was fetched');
    } finally {
      bait.close();
    }
  });

  test('unknown kid, missing kid, wrong typ, unknown crit', async () => {
    const claims = payload(genuine);
    await assertRefused(await signWithRealKey(server, claims, { kid: 'not-our-key' }));
    await assertRefused(await signWithRealKey(server, claims, { kid: undefined }));
    await assertRefused(await signWithRealKey(server, claims, { typ: 'JWT' }));
    await assertRefused(await signWithRealKey(server, claims, { typ: undefined }));
    // jose will not even sign with an unknown crit, so sign by hand with the real key.
    const key = await server.core.tokens!.keys.activeKey();
    const handSigned = (head: string) => {
      const input = `${head}.${b64(claims)}`;
      return `${input}.${sign(null, Buffer.from(input), KeyObject.from(key.privateKey)).toString('base64url')}`;
    };
    assert.equal(
      (await accessWith(server, handSigned(b64({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid })))).status,
      200,
      'hand signing works',
    );
    const head = b64({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid, crit: ['exp-extension'], 'exp-extension': true });
    await assertRefused(handSigned(head));
  });

  test('another deployment’s token (other keys) is refused', async () => {
    const { access } = await userTokens(es256);
    assert.equal((await accessWith(es256, access)).status, 200);
    await assertRefused(access, server);
    await assertRefused(genuine, es256);
  });

  test('wrong issuer or audience, even with a valid signature', async () => {
    const claims = payload(genuine);
    await assertRefused(await signWithRealKey(server, { ...claims, iss: 'https://evil.example' }));
    await assertRefused(await signWithRealKey(server, { ...claims, aud: 'https://other-service.example' }));
  });

  test('non-canonical encodings: padding, white space, other characters', async () => {
    const [head, body, signature] = parts(genuine);
    await assertRefused(`${head}.${body}.${signature}==`);
    await assertRefused(`${head}==.${body}.${signature}`);
    await assertRefused(`${head}.${body}.${signature.slice(0, 20)} ${signature.slice(20)}`);
    // Standard base64's + and / are not base64url: refused by shape, whatever the rest.
    await assertRefused(`${head}.${body}.+${signature.slice(1)}`);
    await assertRefused(`${head}.${body}.${signature.slice(0, -1)}/`);
    await assertRefused(`${head}.${body}.${signature}.${signature}`);
  });

  test('ECDSA r = s = 0, and a high-S twin of a valid ES256 signature', async () => {
    const { access } = await userTokens(es256);
    const [head, body, signature] = parts(access);
    await assertRefused(`${head}.${body}.${Buffer.alloc(64).toString('base64url')}`, es256);
    const raw = Buffer.from(signature, 'base64url');
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
    const highS = Buffer.concat([raw.subarray(0, 32), Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex')]);
    await assertRefused(`${head}.${body}.${highS.toString('base64url')}`, es256);
  });

  test('lifetimes: expired, not yet valid, exp = 1e308, longer than allowed', async () => {
    const claims = payload(genuine);
    const now = Math.floor(clock.now() / 1000);
    await assertRefused(await signWithRealKey(server, { ...claims, iat: now - 700, exp: now - 100 }));
    await assertRefused(await signWithRealKey(server, { ...claims, iat: now, nbf: now + 300, exp: now + 600 }));
    await assertRefused(await signWithRealKey(server, { ...claims, exp: 1e308 }));
    await assertRefused(await signWithRealKey(server, { ...claims, iat: now, exp: now + 7200 }));
    await assertRefused(await signWithRealKey(server, { ...claims, iat: undefined }));
  });

  test('the verified-token cache is keyed by the exact string: any altered byte of a cached token is checked afresh and refused', async () => {
    assert.equal((await accessWith(server, genuine)).status, 200);
    assert.equal((await accessWith(server, genuine)).status, 200, 'served again, from the cache');
    const flip = (text: string, at: number) =>
      `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
    const [head, body, signature] = parts(genuine);
    for (const at of [0, 5, signature.length - 1]) await assertRefused(`${head}.${body}.${flip(signature, at)}`);
    await assertRefused(`${flip(head, 3)}.${body}.${signature}`);
    await assertRefused(`${head}.${flip(body, 7)}.${signature}`);
    await assertRefused(`${genuine}A`);
  });

  test('a cached token stops working at once when its session is revoked', async () => {
    const { cookie, access } = await userTokens(server);
    assert.equal((await accessWith(server, access)).status, 200);
    assert.equal((await server.request('/logout', { method: 'POST', cookie })).status, 204);
    await assertRefused(access);
  });

  test('a token expires with the clock (past the 30 s skew)', async () => {
    const { access } = await userTokens(server);
    assert.equal((await accessWith(server, access)).status, 200);
    clock.advance(600_000 + 31_000);
    try {
      await assertRefused(access);
    } finally {
      clock.advance(-(600_000 + 31_000));
    }
  });

  test('credentials of another kind are never accepted in place of an access token, nor the reverse', async () => {
    await assertRefused(refreshToken);
    await assertRefused(sessionCookie.slice(`${COOKIE}=`.length));
    const asRefresh = await server.request('/oauth/token', {
      form: { grant_type: 'refresh_token', refresh_token: genuine },
    });
    assert.equal(asRefresh.status, 400);
    assert.equal(asRefresh.json.error, 'invalid_grant');
    const cookieAsRefresh = await server.request('/oauth/token', {
      form: { grant_type: 'refresh_token', refresh_token: sessionCookie.slice(`${COOKIE}=`.length) },
    });
    assert.equal(cookieAsRefresh.json.error, 'invalid_grant');
    const tokenAsCookie = await server.request('/get-info', { cookie: `${COOKIE}=${genuine}` });
    assert.equal(tokenAsCookie.status, 401);
  });

  test('malformed Authorization headers', async () => {
    for (const value of [
      'Bearer',
      'Bearer ',
      `Bearer  ${genuine} extra`,
      `Token ${genuine}`,
      'Basic !!!',
      'Basic Zm9vYmFy',
      `Bearer ${'a'.repeat(9000)}`,
    ]) {
      const response = await server.request('/get-info', { headers: { authorization: value } });
      assert.equal(response.status, 401, value.slice(0, 30));
      assert.equal(
        response.headers['www-authenticate'],
        'Bearer realm="gatehouse", error="invalid_token", Basic realm="gatehouse", charset="UTF-8"',
      );
    }
    // Well-formed Basic credentials that name no client: refused as credentials, not as a token.
    const unknown = await server.request('/get-info', { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    assert.equal(unknown.status, 401);
    assert.equal((unknown.json as { code: string }).code, 'ERR_INVALID_CREDENTIALS');
    assert.equal(
      unknown.headers['www-authenticate'],
      'Bearer realm="gatehouse", Basic realm="gatehouse", charset="UTF-8"',
    );
  });
});
