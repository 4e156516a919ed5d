import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runLoad } from './load.js';
import { seedSessions } from './memory.js';
import { addUser, rssMiB, setupClient, startGatehouse, USERNAME } from './servers.js';

const COOKIE = '__Host-gatehouse';

/**
 * Resident memory of one instance on SQLite with 10k and with 1M stored
 * sessions, after a load run that cycles over 1,000 of them: the caches are
 * bounded and SQLite's page cache is fixed, so the figure should not grow
 * with the table.
 */
export async function measureMemory(dir: string, seconds: number) {
  const results: { sessions: number; rssMiB: number; rps: number }[] = [];
  for (const count of [10_000, 1_000_000]) {
    const data = join(dir, `memory-${count}`);
    // The first start creates the schema and the certificate.
    await (await startGatehouse(data)).stop();
    await addUser(data);
    const tokens = seedSessions(join(data, 'gatehouse.db'), USERNAME, count, 1000);
    const server = await startGatehouse(data);
    try {
      const requests = tokens.map((token) => ({ headers: { cookie: `${COOKIE}=${token}` } }));
      const load = await runLoad({ url: `${server.url}/get-info`, connections: 50, seconds, requests });
      if (load.non2xx > 0 || load.errors > 0)
        throw new Error(`memory run had failures: ${JSON.stringify(load.statuses)}`);
      results.push({ sessions: count, rssMiB: Math.round(rssMiB(server.pid)), rps: Math.round(load.rps) });
    } finally {
      await server.stop();
    }
  }
  const growth = results[1]!.rssMiB / results[0]!.rssMiB;
  return { results, growth, target: 'RSS within ±10% from 10k to 1M sessions', met: Math.abs(growth - 1) <= 0.1 };
}

/** Milliseconds from spawning `gatehouse serve` (an existing data folder) to the first 200 on `/healthz`; median of 3. */
export async function measureColdStart(data: string) {
  const client = setupClient(data);
  const times: number[] = [];
  for (let round = 0; round < 3; round += 1) {
    const started = performance.now();
    const server = await startGatehouse(data);
    try {
      await client.get(`${server.url}/healthz`);
      times.push(Math.round(performance.now() - started));
    } finally {
      await server.stop();
    }
  }
  await client.close();
  const sorted = [...times].sort((a, b) => a - b);
  return { ms: sorted[1]!, runs: times, target: '< 1000 ms', met: sorted[1]! < 1000 };
}
