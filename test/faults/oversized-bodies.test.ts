import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/process.js';
import { sendRawBody, startGatehouse, type Gatehouse, type RawOutcome } from './helpers.js';

// Issue #15: 20 sign-ins with a 2 MiB password, 10 answered 413 and 10 saw a reset.
const MiB = 1024 * 1024;
const KINDS = [
  { bodyBytes: 2 * MiB, keepAlive: true, readAfterWrite: false },
  { bodyBytes: 2 * MiB, keepAlive: false, readAfterWrite: false },
  { bodyBytes: 2 * MiB, keepAlive: true, readAfterWrite: true },
  { bodyBytes: 2 * MiB, keepAlive: false, readAfterWrite: true },
  { bodyBytes: 16 * MiB, keepAlive: true, readAfterWrite: false },
  { bodyBytes: 16 * MiB, keepAlive: false, readAfterWrite: false },
];
const label = (kind: (typeof KINDS)[number]) =>
  `${kind.bodyBytes / MiB} MiB, ${kind.keepAlive ? 'keep-alive' : 'Connection: close'}, ${kind.readAfterWrite ? 'reads after writing' : 'reads as it writes'}`;

let server: Gatehouse;
before(async () => {
  server = await startGatehouse();
});
after(async () => {
  await server.close();
  rmSync(server.data, { recursive: true, force: true });
});

test(
  '50 bodies over the limit (2 MiB and 16 MiB, keep-alive and not): every one answered 413, no reset',
  { timeout: 120_000 },
  async (t) => {
    const outcomes: { kind: string; outcome: RawOutcome; ms: number }[] = [];
    const started = performance.now();
    // Four at a time, as a few clients would send them.
    const queue = Array.from({ length: 50 }, (_, index) => KINDS[index % KINDS.length]!);
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let kind = queue.shift(); kind; kind = queue.shift()) {
          const begun = performance.now();
          const outcome = await sendRawBody(server.url, server.ca, { path: '/login', ...kind });
          outcomes.push({ kind: label(kind), outcome, ms: performance.now() - begun });
        }
      }),
    );
    const byKind = new Map<string, { answered413: number; resets: number; other: string[]; maxMs: number }>();
    for (const { kind, outcome, ms } of outcomes) {
      const entry = byKind.get(kind) ?? { answered413: 0, resets: 0, other: [], maxMs: 0 };
      if (outcome.status === 413) entry.answered413 += 1;
      else if (outcome.error === 'ECONNRESET' || outcome.error === 'EPIPE') entry.resets += 1;
      else entry.other.push(`${outcome.status} ${outcome.error}`);
      entry.maxMs = Math.max(entry.maxMs, Math.round(ms));
      byKind.set(kind, entry);
    }
    for (const [kind, entry] of byKind)
      t.diagnostic(
        `${kind}: ${entry.answered413} answered 413, ${entry.resets} resets, slowest ${entry.maxMs} ms${entry.other.length ? `, other: ${entry.other.join('; ')}` : ''}`,
      );
    const answered = outcomes.filter(({ outcome }) => outcome.status === 413).length;
    t.diagnostic(`total: ${answered}/50 answered 413 in ${Math.round(performance.now() - started)} ms`);
    assert.equal(answered, 50, JSON.stringify([...byKind]));
    // The server is still well and the connection that follows is served.
    assert.equal((await server.call('/healthz')).status, 200);
  },
);

const PYTHON = '/usr/bin/python3';
const hasRequests = spawnSync(PYTHON, ['-c', 'import requests']).status === 0;

test(
  'defect 8: 30 bodies of 2, 16 and 64 MiB sent whole by Python requests before reading: every one answered 413',
  {
    timeout: 180_000,
    skip: hasRequests ? false : 'python3 with requests is not installed: the raw-socket test covers the smaller bodies',
  },
  async (t) => {
    const started = performance.now();
    const { stdout } = await promisify(execFile)(
      PYTHON,
      [
        join(ROOT, 'test/faults/send-whole-bodies.py'),
        server.url.replace('127.0.0.1', 'localhost'),
        join(server.data, 'tls', 'cert.pem'),
        [2 * MiB, 16 * MiB, 64 * MiB].join(','),
        '30',
      ],
      { timeout: 150_000, maxBuffer: MiB },
    );
    const outcomes = JSON.parse(stdout) as { bytes: number; status?: number; error?: string; ms: number }[];
    for (const size of [2, 16, 64]) {
      const ofSize = outcomes.filter((outcome) => outcome.bytes === size * MiB);
      t.diagnostic(
        `${size} MiB: ${ofSize.filter((outcome) => outcome.status === 413).length}/${ofSize.length} answered 413, slowest ${Math.max(...ofSize.map((outcome) => outcome.ms))} ms`,
      );
    }
    t.diagnostic(`in ${Math.round(performance.now() - started)} ms`);
    assert.equal(outcomes.length, 30);
    assert.deepEqual(
      outcomes.filter((outcome) => outcome.status !== 413),
      [],
      'every body answered 413: no reset, no TLS EOF',
    );
    assert.equal((await server.call('/healthz')).status, 200);
  },
);
