/**
 * `npm run bench:oidc`: OpenID Connect authorization-code round trips
 * (GET /oauth/authorize with a signed-in session and remembered consent,
 * then POST /oauth/token with the code and PKCE verifier, ID token included)
 * beside client-credentials tokens, on one `gatehouse serve` (SQLite), with
 * the same generator in its own process (bench/lib/flow-worker.ts). Each is
 * the median of ROUNDS runs taken in turns; the ratio is the headline.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCLI } from '../test/helpers/process.js';
import { addUser, BENCH_ENV, setupClient, startGatehouse } from './lib/servers.js';

const ROUNDS = 5;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = 16;
const REDIRECT = 'https://app.bench.test/callback';
const WORKER = fileURLToPath(new URL('./lib/flow-worker.ts', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

interface FlowResult {
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
  firstFailure?: string;
}

function runFlow(options: Record<string, unknown>): Promise<FlowResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as FlowResult)
        : reject(new Error(`exit ${code}`)),
    );
  });
}

async function addClient(data: string, args: string[]): Promise<{ id: string; secret: string }> {
  const added = await runCLI(['client', 'add', ...args, '--json', '--data', data], { env: BENCH_ENV });
  if (added.code !== 0) throw new Error(added.stderr);
  const { client_id: id, client_secret: secret } = JSON.parse(added.stdout) as Record<string, string>;
  return { id: id!, secret: secret! };
}

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-oidc-'));
const gatehouse = await startGatehouse(dir);
try {
  await addUser(dir);
  const service = await addClient(dir, ['bench-service']);
  // BENCH_ID_TOKEN_ALG=ES256 (or EdDSA) measures the flow without RS256, the default OIDC Core requires.
  const app = await addClient(dir, [
    'bench-app',
    '--redirect-uri',
    REDIRECT,
    '--first-party',
    '--id-token-alg',
    process.env.BENCH_ID_TOKEN_ALG ?? 'RS256',
  ]);
  const setup = setupClient(dir);
  const cookie = await setup.signIn(gatehouse.url);
  await setup.close();
  const common = {
    base: gatehouse.url,
    ca: readFileSync(join(dir, 'tls', 'cert.pem'), 'utf8'),
    concurrency: CONCURRENCY,
    cookie,
    redirectUri: REDIRECT,
  };
  const scenarios = [
    { id: 'client_credentials', label: 'client credentials: POST /oauth/token', client: service },
    {
      id: 'authorization_code',
      label: 'authorization code + PKCE: GET /oauth/authorize, POST /oauth/token (ID token)',
      client: app,
    },
  ] as const;
  const run = (scenario: (typeof scenarios)[number], seconds: number) =>
    runFlow({
      ...common,
      seconds,
      scenario: scenario.id,
      clientId: scenario.client.id,
      secret: scenario.client.secret,
    });
  for (const scenario of scenarios) await run(scenario, 1);
  const results: FlowResult[][] = scenarios.map(() => []);
  for (let round = 0; round < ROUNDS; round += 1) {
    log(`… round ${round + 1} of ${ROUNDS}`);
    for (const [index, scenario] of scenarios.entries()) {
      const result = await run(scenario, SECONDS);
      if (result.failures > 0) throw new Error(`${scenario.id}: ${result.failures} failed (${result.firstFailure})`);
      results[index]!.push(result);
    }
  }
  const medians = results.map((list) => [...list].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(ROUNDS / 2)]!);
  const lines = [
    `OpenID Connect round trips, SQLite, ${CONCURRENCY} concurrent, median of ${ROUNDS} × ${SECONDS} s, ID tokens ${process.env.BENCH_ID_TOKEN_ALG ?? 'RS256'}`,
    ...scenarios.map(
      (scenario, index) =>
        `  ${scenario.label}: ${Math.round(medians[index]!.perSecond)}/s (p50 ${medians[index]!.p50} ms, p99 ${medians[index]!.p99} ms)`,
    ),
    `  ratio authorization code / client credentials: ${(medians[1]!.perSecond / medians[0]!.perSecond).toFixed(2)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await gatehouse.stop();
  rmSync(dir, { recursive: true, force: true });
}
