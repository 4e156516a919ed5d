import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One autocannon run. */
export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  connections: number;
  seconds: number;
  /** Requests per second over all connections; default as fast as the server answers. */
  rate?: number;
  headers?: Record<string, string>;
  body?: string;
  /** A sequence of requests each connection cycles through (e.g. many cookies). */
  requests?: { headers: Record<string, string> }[];
}

/** What one run measured. Latencies in milliseconds. */
export interface LoadResult {
  rps: number;
  total: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  statuses: Record<string, number>;
}

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

/** Runs autocannon in a child process (the load generator never shares the server's event loop). */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}: ${stderr.trim()}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as LoadResult);
    });
  });
}

/** The median of `rounds` runs of `run`, by requests per second; every run must answer 2xx only unless `allowNon2xx`. */
export async function median(
  rounds: number,
  run: () => Promise<LoadResult>,
  options: { allowNon2xx?: boolean } = {},
): Promise<LoadResult & { runs: number[] }> {
  const results: LoadResult[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const result = await run();
    if (!options.allowNon2xx && (result.non2xx > 0 || result.errors > 0)) {
      throw new Error(`a benchmark run had failures: ${JSON.stringify(result.statuses)}, ${result.errors} errors`);
    }
    results.push(result);
  }
  const sorted = [...results].sort((a, b) => a.rps - b.rps);
  return { ...sorted[Math.floor(rounds / 2)]!, runs: results.map((result) => Math.round(result.rps)) };
}
