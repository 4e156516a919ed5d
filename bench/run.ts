/**
 * `npm run bench`: Gatehouse against a bare Fastify server and its peers, on
 * this machine, in one run. Every server is a child process on loopback
 * speaking HTTPS; the load generator (autocannon) runs in a process of its
 * own. Each scenario is the median of ROUNDS runs of SECONDS seconds. Ratios
 * are the headline; absolute figures depend on the machine.
 *
 * Writes bench/results/latest.json and latest.svg; docs/benchmarks.md shows them.
 * PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) scenarios are skipped,
 * with a notice, when those are not running.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, runLoad, type LoadOptions, type LoadResult } from './lib/load.js';
import { describeMachine, formatTable, writeReport, type Report, type Row } from './lib/report.js';
import { addUser, LOGIN_BODY, setupClient, startGatehouse, startPeer } from './lib/servers.js';
import { measureColdStart, measureMemory } from './lib/extra.js';
import { withPostgres, withRedis } from './lib/services.js';

const ROUNDS = 3;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = 50;
// BENCH_QUICK=1: only the baseline and the credential scenarios (for working on the hot path; not for the docs).
const QUICK = process.env.BENCH_QUICK === '1';
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
const rows: Row[] = [];
const extra: Record<string, unknown> = {};
const skipped: string[] = [];
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Runs a GET scenario (after a 1 s warm-up) and records it. */
async function scenario(id: string, label: string, options: Omit<LoadOptions, 'connections' | 'seconds'>): Promise<Row> {
  log(`… ${label}`);
  await runLoad({ ...options, connections: CONNECTIONS, seconds: 1 });
  const result = await median(ROUNDS, () => runLoad({ ...options, connections: CONNECTIONS, seconds: SECONDS }));
  const row: Row = { id, label, rps: result.rps, p50: result.p50, p99: result.p99 };
  rows.push(row);
  return row;
}

function ratio(row: Row, of: Row, target?: number): void {
  const value = row.rps / of.rps;
  row.ratio = { of: of.id, value, ...(target !== undefined && { target: `≥ ${target}×`, met: value >= target }) };
}

const sqliteData = join(dir, 'sqlite');
const gatehouse = await startGatehouse(sqliteData);
try {
  await addUser(sqliteData);
  const client = setupClient(sqliteData);
  const cookie = await client.signIn(gatehouse.url);
  const jwt = await client.accessToken(gatehouse.url, cookie);
  const apiKey = await client.apiKey(gatehouse.url, cookie);

  const hello = await startPeer('fastify-hello', sqliteData);
  const helloRow = await scenario('fastify-hello', 'Fastify hello (bare, baseline)', { url: `${hello.url}/` });
  await hello.stop();

  const info = `${gatehouse.url}/get-info`;
  const healthz = await scenario('healthz', 'Gatehouse /healthz (unauthenticated)', { url: `${gatehouse.url}/healthz` });
  ratio(healthz, helloRow, 0.7);
  const cookieRow = await scenario('cookie-sqlite', 'session cookie, SQLite', { url: info, headers: { cookie } });
  ratio(cookieRow, healthz, 0.8);
  ratio(await scenario('bearer-jwt', 'bearer access token (JWT), SQLite', { url: info, headers: { authorization: `Bearer ${jwt}` } }), healthz, 0.75);
  ratio(await scenario('api-key', 'API key, SQLite', { url: info, headers: { authorization: `Bearer ${apiKey}` } }), healthz, 0.8);

  if (!QUICK) await peersAndLogin(client, cookie, healthz, cookieRow, gatehouse.url);
  await client.close();
} finally {
  await gatehouse.stop();
}

async function peersAndLogin(client: ReturnType<typeof setupClient>, cookie: string, healthz: Row, cookieRow: Row, base: string): Promise<void> {
  const info = `${base}/get-info`;
  for (const [name, label] of [['lesson-fastify', 'lesson design on Fastify (no hashing, in memory)'], ['express-passport', 'Express 5 + express-session + passport-local']] as const) {
    const peer = await startPeer(name, sqliteData);
    try {
      const peerCookie = await client.signIn(peer.url);
      const row = await scenario(`peer-${name}`, label, { url: `${peer.url}/get-info`, headers: { cookie: peerCookie } });
      ratio(row, healthz);
      if (name === 'express-passport') extra.cookieVsExpress = { value: cookieRow.rps / row.rps, target: '≥ 3×', met: cookieRow.rps / row.rps >= 3 };
    } finally {
      await peer.stop();
    }
  }

  // Login: Argon2id at full cost. Throughput first, then signed-in requests while logins flood in.
  log('… login throughput');
  const login: Omit<LoadOptions, 'connections' | 'seconds'> = { url: `${base}/login`, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: LOGIN_BODY };
  const logins = await median(ROUNDS, () => runLoad({ ...login, connections: 8, seconds: SECONDS }), { allowNon2xx: true });
  extra.login = { loginsPerSecond: (logins.statuses['200'] ?? 0) / SECONDS, statuses: logins.statuses, p50: logins.p50, p99: logins.p99 };
  log('… signed-in requests during a login flood');
  const flood: { p50: number; p99: number; failed: number; served: number; logins: Record<string, number> }[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const [signedIn, flooding] = await Promise.all([
      runLoad({ url: info, headers: { cookie }, connections: 10, seconds: SECONDS, rate: 500 }),
      runLoad({ ...login, connections: 64, seconds: SECONDS }),
    ]);
    flood.push({ p50: signedIn.p50, p99: signedIn.p99, failed: signedIn.non2xx + signedIn.errors, served: signedIn.total, logins: flooding.statuses });
  }
  flood.sort((a, b) => a.p99 - b.p99);
  extra.loginFlood = { ...flood[1], rounds: flood, target: 'p99 ≤ 50 ms, none failed', met: flood[1]!.p99 <= 50 && flood.every((round) => round.failed === 0) };
}

if (QUICK) {
  process.stdout.write(`${formatTable({ rows } as Report)}\n`);
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

// PostgreSQL, then PostgreSQL + Redis: one instance each.
const healthzRow = rows.find((row) => row.id === 'healthz')!;

/** Starts one instance on `data` with `args`, signs in and measures the cookie route. */
async function cookieScenario(id: string, label: string, data: string, args: string[], db?: string): Promise<void> {
  const server = await startGatehouse(data, args);
  try {
    if (db !== undefined) await addUser(data, db);
    const client = setupClient(data);
    const cookie = await client.signIn(server.url);
    ratio(await scenario(id, label, { url: `${server.url}/get-info`, headers: { cookie } }), healthzRow);
    await client.close();
  } finally {
    await server.stop();
  }
}

await withPostgres(skipped, async (url) => {
  const data = join(dir, 'postgres');
  await cookieScenario('cookie-postgres', 'session cookie, PostgreSQL', data, ['--db', url, '--migrate'], url);
  await withRedis(skipped, (redis) => cookieScenario('cookie-postgres-redis', 'session cookie, PostgreSQL + Redis', data, ['--db', url, '--redis', redis]));
});

log('… memory with 10k and 1M stored sessions');
extra.memory = await measureMemory(dir, SECONDS);
log('… cold start');
extra.coldStart = await measureColdStart(sqliteData);

const report: Report = {
  date: new Date().toISOString(),
  machine: describeMachine(),
  command: 'npm run bench',
  settings: { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS },
  rows,
  extra,
  skipped,
};
writeReport(fileURLToPath(new URL('./results/', import.meta.url)), report);
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${formatTable(report)}\n\n${JSON.stringify(extra, null, 2)}\n`);
if (skipped.length > 0) process.stdout.write(`skipped: ${skipped.join('; ')}\n`);
