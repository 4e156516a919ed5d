/**
 * Requests per second of a protected route (`GET /get-info` with a session
 * cookie) on one instance on SQLite, one on PostgreSQL, and three on one
 * PostgreSQL + Redis, measured in one run with autocannon (this process) against
 * `gatehouse serve` child processes on loopback. Median of 3 rounds of 5 s.
 *
 *   npx tsx bench/scale.ts        (needs PostgreSQL on 127.0.0.1:5432 and Redis on 6379)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { Agent, request } from 'undici';
import { runCLI, startServe, type ServeProcess } from '../test/helpers/process.js';
import { cookieHeader } from './lib/servers.js';

const ROUNDS = 3;
const SECONDS = 5;
const CONNECTIONS = 50;
const ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const env = { GATEHOUSE_MASTER_KEY: randomBytes(32).toString('base64url'), GATEHOUSE_LOG_LEVEL: 'warn' };

async function signIn(url: string, ca: string): Promise<string> {
  const dispatcher = new Agent({ connect: { ca } });
  const response = await request(`${url}/login`, {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'username=bench&password=bench%20password%201',
  });
  await response.body.text();
  await dispatcher.close();
  return cookieHeader(response.headers['set-cookie']);
}

async function measure(urls: string[], cookie: string): Promise<number> {
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    // One autocannon per instance at once, connections split between them: a load balancer's view.
    const results = await Promise.all(
      urls.map((url) =>
        autocannon({
          url: `${url}/get-info`,
          connections: Math.ceil(CONNECTIONS / urls.length),
          duration: SECONDS,
          headers: { cookie },
          tlsOptions: { rejectUnauthorized: false },
        } as autocannon.Options),
      ),
    );
    if (results.some((result) => result.non2xx > 0 || result.errors > 0))
      throw new Error('non-2xx answers during the benchmark');
    rounds.push(results.reduce((sum, result) => sum + result.requests.average, 0));
  }
  return rounds.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
}

async function scenario(
  name: string,
  db: string | undefined,
  count: number,
  extra: string[] = [],
): Promise<[string, number]> {
  const instances: ServeProcess[] = [];
  try {
    for (let index = 0; index < count; index += 1) {
      // One data folder per scenario: the instances share its certificate; the master key comes from the environment.
      instances.push(
        await startServe(
          [
            '--data',
            join(dir, name),
            '--host',
            '127.0.0.1',
            '--port',
            '0',
            '--public-url',
            'https://bench.test',
            ...(db ? ['--db', db, ...(index === 0 ? ['--migrate'] : [])] : []),
            ...extra,
          ],
          { env },
        ),
      );
    }
    const added = await runCLI(
      ['user', 'add', 'bench', '--password-stdin', '--data', join(dir, name), ...(db ? ['--db', db] : [])],
      { input: 'bench password 1\n', env },
    );
    if (added.code !== 0) throw new Error(added.stderr);
    const ca = readFileSync(join(dir, name, 'tls', 'cert.pem'), 'utf8');
    const cookie = await signIn(instances[0]!.url, ca);
    return [
      name,
      await measure(
        instances.map((instance) => instance.url),
        cookie,
      ),
    ];
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
  }
}

const admin = new pg.Client({ connectionString: ADMIN });
await admin.connect();
const databases = [`gatehouse_bench_${process.pid}_a`, `gatehouse_bench_${process.pid}_b`];
for (const name of databases) await admin.query(`CREATE DATABASE ${name}`);
try {
  const results = [
    await scenario('sqlite-1', undefined, 1),
    await scenario('postgres-1', `postgres://postgres@127.0.0.1:5432/${databases[0]}`, 1),
    await scenario('postgres-3-redis', `postgres://postgres@127.0.0.1:5432/${databases[1]}`, 3, [
      '--redis',
      'redis://127.0.0.1:6379/14',
    ]),
  ];
  const base = results[0]![1];
  process.stdout.write(
    `GET /get-info with a session cookie, HTTPS, ${CONNECTIONS} connections, median of ${ROUNDS} × ${SECONDS} s, node ${process.version}\n`,
  );
  for (const [name, rps] of results)
    process.stdout.write(
      `${name.padEnd(18)} ${rps.toFixed(0).padStart(7)} req/s  ${(rps / base).toFixed(2)}× SQLite\n`,
    );
} finally {
  for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
