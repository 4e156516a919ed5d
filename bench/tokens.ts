/**
 * Microbenchmark of access-token issue and verify (the core operations, no
 * HTTP), for EdDSA and ES256, on this machine. Prints operations per second.
 *
 *   npx tsx bench/tokens.ts
 */
import { createManualClock } from '../src/core/shared/clock.js';
import { createAuthCore } from '../src/core/index.js';
import { openStore } from '../src/store/index.js';

const ROUNDS = 3;
const DURATION_MS = 1500;

async function rate(operation: () => Promise<unknown>): Promise<number> {
  const results: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    let count = 0;
    const start = performance.now();
    while (performance.now() - start < DURATION_MS) {
      await operation();
      count += 1;
    }
    results.push(count / ((performance.now() - start) / 1000));
  }
  return results.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
}

const rows: string[][] = [];
for (const algorithm of ['EdDSA', 'ES256'] as const) {
  const core = createAuthCore({
    store: await openStore({ url: 'sqlite::memory:' }),
    clock: createManualClock(Date.now()),
    tokens: { masterKey: new Uint8Array(32).fill(1), issuer: 'https://bench.local', algorithm },
  });
  const tokens = core.tokens!;
  await tokens.keys.ensureActiveKey();
  const subject = { sub: 'svc', clientId: 'svc', scopes: ['a', 'b'] };
  const { token } = await tokens.accessTokens.issueAccessToken(subject);
  const issue = await rate(() => tokens.accessTokens.issueAccessToken(subject));
  const verify = await rate(() => tokens.accessTokens.verifyAccessToken(token));
  rows.push([algorithm, issue.toFixed(0), verify.toFixed(0)]);
  await core.store.close();
}
process.stdout.write(`node ${process.version}, ${ROUNDS} rounds of ${DURATION_MS} ms, median, one core\n`);
process.stdout.write('alg    issue/s  verify/s\n');
for (const [alg, issue, verify] of rows)
  process.stdout.write(`${alg!.padEnd(6)} ${issue!.padStart(8)} ${verify!.padStart(9)}\n`);
