/**
 * The load generator of `bench/oidc.ts`, in a process of its own: OAuth
 * round trips that autocannon cannot make (each request depends on the
 * answer before it). CONCURRENCY loops on keep-alive connections for
 * SECONDS; prints one JSON line: round trips per second and their latency.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Pool } from 'undici';

interface FlowOptions {
  base: string;
  ca: string;
  seconds: number;
  concurrency: number;
  scenario: 'client_credentials' | 'authorization_code';
  clientId: string;
  secret: string;
  cookie: string;
  redirectUri: string;
}

const options = JSON.parse(process.argv[2]!) as FlowOptions;
const pool = new Pool(options.base, { connections: options.concurrency, connect: { ca: options.ca } });
const basic = `Basic ${Buffer.from(`${options.clientId}:${options.secret}`).toString('base64')}`;
const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic };

async function token(body: URLSearchParams): Promise<void> {
  const response = await pool.request({ path: '/oauth/token', method: 'POST', headers: form, body: body.toString() });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`token ${response.statusCode} ${text}`);
}

async function roundTrip(): Promise<void> {
  if (options.scenario === 'client_credentials')
    return token(new URLSearchParams({ grant_type: 'client_credentials' }));
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    response_type: 'code',
    scope: 'openid profile',
    state: randomBytes(8).toString('base64url'),
    nonce: randomBytes(8).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const authorize = await pool.request({
    path: `/oauth/authorize?${query.toString()}`,
    method: 'GET',
    headers: { cookie: options.cookie },
  });
  await authorize.body.dump();
  const location = String(authorize.headers.location ?? '');
  const code = new URL(location, options.base).searchParams.get('code');
  if (authorize.statusCode !== 303 || code === null) throw new Error(`authorize ${authorize.statusCode} ${location}`);
  await token(
    new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: options.redirectUri,
      code_verifier: verifier,
    }),
  );
}

const latencies: number[] = [];
let failures = 0;
let firstFailure: string | undefined;
const end = performance.now() + options.seconds * 1000;
const start = performance.now();
await Promise.all(
  Array.from({ length: options.concurrency }, async () => {
    while (performance.now() < end) {
      const began = performance.now();
      try {
        await roundTrip();
        latencies.push(performance.now() - began);
      } catch (error) {
        failures += 1;
        firstFailure ??= (error as Error).message;
      }
    }
  }),
);
const elapsed = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const at = (q: number) => Math.round((latencies[Math.floor(q * (latencies.length - 1))] ?? 0) * 10) / 10;
await pool.close();
process.stdout.write(
  `${JSON.stringify({ perSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), failures, firstFailure })}\n`,
);
