import { createHash, randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';
import type { AuthCore } from '../../src/core/index.js';
import { createExpressAuth } from '../../src/express/index.js';
import { buildServer } from '../../src/server/app.js';
import { loadConfig } from '../../src/server/config.js';
import { createDevelopmentCertificate } from '../../src/server/tls.js';
import { createFastifyVerifierHook, createVerifier, type Verifier } from '../../src/verify/index.js';
import { createSelfSignedClientCertificate, createTestCa, type IssuedCertificate } from '../helpers/certificates.js';
import { COOKIE } from '../helpers/server.js';
import {
  CREDENTIALS,
  CROSS_SITE_EXPECTED,
  CROSS_SITE_ROUTES,
  DECISION_TABLE_DOCS,
  EXPECTED,
  expectedAnswer,
  renderDecisionTable,
  ROUTE_CLASSES,
  type CredentialRow,
  type RouteClass,
} from './decision-table.js';

/**
 * Every credential kind against every route class, over HTTPS, on a real
 * Gatehouse server (SQLite file, `--basic-auth both`, client certificates
 * asked for) with two host routes and its admin page, an Express app on the
 * same core, and a Fastify service behind `gatehouse/verify`'s hook.
 * The expected answers are the data of decision-table.ts, which
 * docs/security.md shows.
 */
const PASSWORD = 'decision table password 1';
let data: string;
let app: FastifyInstance;
let core: AuthCore;
let gatehouseUrl: string;
let expressUrl: string;
let expressServer: Server;
let verifyUrl: string;
let verifyService: FastifyInstance;
let verifier: Verifier;
let serverCert: string;
let pinned: IssuedCertificate;
const agents: Agent[] = [];
/** The headers (and client certificate) each credential row is presented with. */
const presented: Record<string, { headers: Record<string, string>; certificate?: IssuedCertificate }> = {};

function agent(certificate?: IssuedCertificate): Agent {
  const made = new Agent({
    connect: { ca: serverCert, ...(certificate && { cert: certificate.cert, key: certificate.key }) },
  });
  agents.push(made);
  return made;
}

async function call(
  base: string,
  route: RouteClass,
  credential: { headers: Record<string, string>; certificate?: IssuedCertificate },
  extra: Record<string, string> = {},
) {
  const response = await request(`${base}${route.path}`, {
    method: route.method,
    headers: { ...route.headers, ...credential.headers, ...extra },
    dispatcher: credential.certificate ? agent(credential.certificate) : plain,
  });
  const text = await response.body.text();
  let json: { code?: string } | undefined;
  try {
    json = JSON.parse(text) as { code?: string };
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, headers: response.headers, json };
}

function baseOf(route: RouteClass): string {
  if (route.express) return expressUrl;
  return route.verify ? verifyUrl : gatehouseUrl;
}
let plain: Agent;

before(async () => {
  data = mkdtempSync(join(tmpdir(), 'gatehouse-decisions-'));
  const ca = await createTestCa();
  pinned = await createSelfSignedClientCertificate('CN=pinned-job');
  const clientCaFile = join(data, 'client-ca.pem');
  writeFileSync(clientCaFile, ca.cert);
  const tls = await createDevelopmentCertificate();
  serverCert = tls.cert;
  plain = agent();
  const config = loadConfig({
    flags: { data, host: '127.0.0.1', port: 0, logLevel: 'silent', basicAuth: 'both', tlsClientCa: clientCaFile },
    env: {},
  });
  const built = await buildServer(config, { tls: { ...tls, clientCa: ca.cert } });
  ({ app, core } = built);
  // The host application's own routes, guarded by Gatehouse.
  app.get('/orders', { onRequest: app.auth.requireScope('orders:read') }, async () => ({ orders: [] }));
  app.post('/any', { onRequest: app.auth.required() }, async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  gatehouseUrl = `https://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  built.setListeningUrl(gatehouseUrl);

  // The same rules through gatehouse/express, on the same core.
  const auth = createExpressAuth(core, { basicAuth: 'both' });
  const service = express();
  service.get('/orders', auth.requireScope('orders:read'), (_req, res) => void res.json({ orders: [] }));
  service.post('/any', auth.required(), (_req, res) => void res.json({ ok: true }));
  expressServer = createServer({ ...tls, requestCert: true, rejectUnauthorized: false }, service);
  await new Promise<void>((resolve) => expressServer.listen(0, '127.0.0.1', resolve));
  expressUrl = `https://127.0.0.1:${(expressServer.address() as { port: number }).port}`;

  // A resource service verifying Gatehouse's tokens offline, asking for the client certificate (RFC 8705).
  verifier = createVerifier({ issuer: gatehouseUrl, audience: gatehouseUrl, ca: serverCert });
  verifyService = Fastify({ https: { ...tls, requestCert: true, rejectUnauthorized: false } });
  verifyService.get(
    '/orders',
    { onRequest: createFastifyVerifierHook(verifier, { scopes: ['orders:read'] }) },
    async () => ({ orders: [] }),
  );
  await verifyService.listen({ host: '127.0.0.1', port: 0 });
  verifyUrl = `https://127.0.0.1:${(verifyService.server.address() as { port: number }).port}`;

  // Who holds what: an admin user, and three service clients.
  await core.scopes.create({ name: 'orders:read', description: 'Read orders.' });
  await core.users.createUser({ username: 'ada', password: PASSWORD, roles: ['admin'] });
  await core.users.createUser({ username: 'bob', password: PASSWORD });
  const svc = await core.clients.createClient({ name: 'svc', scopes: 'orders:read' });
  const prom = await core.clients.createClient({ name: 'prom', scopes: 'metrics' });
  const pinnedJob = await core.clients.createClient({
    name: 'pinned-job',
    scopes: 'orders:read',
    tls: { certificate: pinned.cert },
  });

  const post = async (
    path: string,
    body: Record<string, string>,
    headers: Record<string, string> = {},
    certificate?: IssuedCertificate,
  ) => {
    const response = await request(`${gatehouseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body).toString(),
      dispatcher: certificate ? agent(certificate) : plain,
    });
    const text = await response.body.text();
    assert.ok(response.statusCode === 200 || response.statusCode === 201, `${path}: ${response.statusCode} ${text}`);
    return { json: JSON.parse(text) as Record<string, string>, headers: response.headers };
  };
  const login = await post('/login', { username: 'ada', password: PASSWORD });
  const cookieOf = (headers: typeof login.headers) =>
    new RegExp(`${COOKIE}=[^;]+`).exec(String(headers['set-cookie']))![0];
  const cookie = cookieOf(login.headers);
  const userCookie = cookieOf((await post('/login', { username: 'bob', password: PASSWORD })).headers);
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const key = async (scopes: string) =>
    (await post('/api-keys', { name: `key ${scopes || 'none'}`, scopes }, { cookie })).json.key!;
  const userToken = async (scope: string) =>
    (await post('/token', scope ? { scope } : {}, { cookie })).json.access_token!;
  const clientToken = async (client: { client: { id: string }; secret: string | null }) =>
    (
      await post(
        '/oauth/token',
        { grant_type: 'client_credentials' },
        { authorization: basic(client.client.id, client.secret!) },
      )
    ).json.access_token!;
  // An app's token from the authorization code flow: a first-party app, so the signed-in admin is not asked.
  const consoleApp = await core.clients.createClient({
    name: 'console',
    scopes: 'orders:read',
    redirectUris: ['https://console.example/cb'],
    firstParty: true,
  });
  const appToken = async (scope: string, client = consoleApp, options: { replay?: boolean } = {}) => {
    const verifier = randomBytes(32).toString('base64url');
    const query = new URLSearchParams({
      client_id: client.client.id,
      redirect_uri: 'https://console.example/cb',
      response_type: 'code',
      scope,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    const authorized = await request(`${gatehouseUrl}/oauth/authorize?${query.toString()}`, {
      headers: { cookie },
      dispatcher: plain,
    });
    await authorized.body.dump();
    const code = new URL(String(authorized.headers.location)).searchParams.get('code')!;
    const form = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'https://console.example/cb',
      code_verifier: verifier,
    };
    const authorization = basic(client.client.id, client.secret!);
    const issued = (await post('/oauth/token', form, { authorization })).json;
    let token = issued.access_token!;
    if (options.replay) {
      // A token of the grant minted by a refresh, then the code again: every token of the grant ends.
      token = (
        await post(
          '/oauth/token',
          { grant_type: 'refresh_token', refresh_token: issued.refresh_token! },
          { authorization },
        )
      ).json.access_token!;
      // The same code again, by its app with its verifier: the grant it came from ends (RFC 9700 §4.2.4).
      const replayed = await request(`${gatehouseUrl}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
        body: new URLSearchParams(form).toString(),
        dispatcher: plain,
      });
      assert.equal(replayed.statusCode, 400, await replayed.body.text());
    }
    return token;
  };
  // Issue #22: an app token of a consent revoked (and given again since), and one of a replayed code.
  const otherApp = (name: string) =>
    core.clients.createClient({
      name,
      scopes: 'orders:read',
      redirectUris: ['https://console.example/cb'],
      firstParty: true,
    });
  const revokedApp = await otherApp('console-revoked');
  const revokedToken = await appToken('openid orders:read', revokedApp);
  const adaId = (await core.users.findUserByName('ada'))!.id;
  await core.consents.revoke(adaId, revokedApp.client.id);
  await appToken('openid', revokedApp);
  const replayedToken = await appToken('openid orders:read', await otherApp('console-replayed'), { replay: true });
  const bound = (
    await post('/oauth/token', { grant_type: 'client_credentials', client_id: pinnedJob.client.id }, {}, pinned)
  ).json.access_token!;

  Object.assign(presented, {
    none: { headers: {} },
    session: { headers: { cookie } },
    sessionUser: { headers: { cookie: userCookie } },
    basicUser: { headers: { authorization: basic('ada', PASSWORD) } },
    basicClient: { headers: { authorization: basic(svc.client.id, svc.secret!) } },
    keyScoped: { headers: bearer(await key('orders:read')) },
    keyAdmin: { headers: bearer(await key('admin')) },
    keyNone: { headers: bearer(await key('')) },
    tokenScoped: { headers: bearer(await userToken('orders:read')) },
    tokenNone: { headers: bearer(await userToken('')) },
    appScoped: { headers: bearer(await appToken('openid orders:read')) },
    appOpenId: { headers: bearer(await appToken('openid')) },
    appRevoked: { headers: bearer(revokedToken) },
    appReplayed: { headers: bearer(replayedToken) },
    clientToken: { headers: bearer(await clientToken(svc)) },
    metricsToken: { headers: bearer(await clientToken(prom)) },
    boundWith: { headers: bearer(bound), certificate: pinned },
    boundWithout: { headers: bearer(bound) },
    forged: { headers: bearer(`${bound.slice(0, -4)}AAAA`) },
  });
});

after(async () => {
  expressServer?.close();
  await verifyService?.close();
  await verifier?.close();
  await app?.close();
  await Promise.all(agents.map((item) => item.close()));
  rmSync(data, { recursive: true, force: true });
});

function assertAnswer(
  answer: Awaited<ReturnType<typeof call>>,
  expected: ReturnType<typeof expectedAnswer>,
  { where, credential, route }: { where: string; credential: CredentialRow; route: RouteClass },
) {
  assert.equal(answer.status, expected.status, where);
  assert.equal(answer.headers['www-authenticate'], expected.challenge, `${where}: WWW-Authenticate`);
  if (expected.code !== undefined) assert.equal(answer.json?.code, expected.code, `${where}: code`);
  if (expected.location !== undefined) assert.equal(answer.headers.location, expected.location, `${where}: Location`);
  if (expected.html) assert.match(String(answer.headers['content-type']), /^text\/html/, `${where}: an HTML page`);
  if (route.id === 'forward' && expected.status === 200) {
    assert.equal(answer.headers['x-auth-kind'], credential.kind, `${where}: X-Auth-Kind`);
  }
}

describe('the decision table: every credential kind against every route class', () => {
  for (const credential of CREDENTIALS) {
    test(credential.title, async () => {
      for (const route of ROUTE_CLASSES) {
        const cell = EXPECTED[credential.id]![route.id]!;
        const answer = await call(baseOf(route), route, presented[credential.id]!);
        assertAnswer(answer, expectedAnswer(cell, credential, route), {
          where: `${credential.id} → ${route.id}`,
          credential,
          route,
        });
      }
    });
  }

  test('a state change from another site: refused for cookies and Basic, whatever the door; bearer credentials pass', async () => {
    for (const [id, cells] of Object.entries(CROSS_SITE_EXPECTED)) {
      const credential = CREDENTIALS.find((item) => item.id === id)!;
      for (const route of CROSS_SITE_ROUTES) {
        const answer = await call(baseOf(route), route, presented[id]!, {
          'sec-fetch-site': 'cross-site',
          origin: 'https://evil.example',
        });
        assertAnswer(answer, expectedAnswer(cells[route.id]!, credential, route), {
          where: `${id} → cross-site ${route.id}`,
          credential,
          route,
        });
      }
    }
  });

  test('docs/security.md shows this table', () => {
    assert.equal(
      DECISION_TABLE_DOCS.read(),
      renderDecisionTable(),
      'docs/security.md is out of date: run npx tsx test/security/decision-table.ts --write',
    );
  });
});
