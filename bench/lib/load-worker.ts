/**
 * The load generator, in a process of its own so that it never shares an
 * event loop with the server it measures. Reads its options as JSON from
 * argv[2], runs autocannon once, and prints one JSON line: {@link LoadResult}.
 */
import autocannon from 'autocannon';
import type { LoadOptions, LoadResult } from './load.js';

const options = JSON.parse(process.argv[2]!) as LoadOptions;
const result = await autocannon({
  url: options.url,
  method: options.method ?? 'GET',
  connections: options.connections,
  duration: options.seconds,
  ...(options.rate !== undefined && { overallRate: options.rate }),
  headers: options.headers ?? {},
  ...(options.body !== undefined && { body: options.body }),
  ...(options.requests !== undefined && { requests: options.requests }),
  // Benchmarks run against the generated development certificate on loopback.
  tlsOptions: { rejectUnauthorized: false },
} as autocannon.Options);
const statuses: Record<string, number> = {};
for (const [code, count] of Object.entries(result.statusCodeStats ?? {}))
  statuses[code] = (count as { count: number }).count;
const out: LoadResult = {
  rps: result.requests.average,
  total: result.requests.total,
  p50: result.latency.p50,
  p99: result.latency.p99,
  max: result.latency.max,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
  statuses,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
