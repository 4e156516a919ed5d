import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { addUser, sessionCookie, startGatehouse } from './helpers.js';

const PASSWORD = 'busy session password 1';

// Issue #15: last-seen was written once a minute whatever the idle timeout, so a session in
// use was refused after its idle timeout. Real time, a real server: the clock cannot be pinned here.
test('a busy session with idle 2 s and absolute 6 s: 200 until 6 s, then 401 (#15)', async (t) => {
  const server = await startGatehouse(['--session-idle-timeout', '2', '--session-absolute-timeout', '6']);
  try {
    await addUser(['--data', server.data], 'busy', PASSWORD);
    const signedIn = await server.call('/login', { form: { username: 'busy', password: PASSWORD } });
    assert.equal(signedIn.status, 200);
    const cookie = sessionCookie(signedIn.headers)!;
    const start = performance.now();
    const seen: { at: number; status: number }[] = [];
    // Every 250 ms, for 7 s.
    while (performance.now() - start < 7000) {
      const at = performance.now() - start;
      seen.push({ at, status: (await server.call('/get-info', { cookie })).status });
      await sleep(250);
    }
    const lastOk = Math.max(...seen.filter((entry) => entry.status === 200).map((entry) => entry.at));
    const firstRefused = Math.min(...seen.filter((entry) => entry.status === 401).map((entry) => entry.at));
    t.diagnostic(
      `${seen.length} requests: last 200 at ${Math.round(lastOk)} ms, first 401 at ${Math.round(firstRefused)} ms after sign-in's answer; statuses ${JSON.stringify(
        seen.reduce<Record<number, number>>(
          (counts, { status }) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }),
          {},
        ),
      )}`,
    );
    // Everything before 5.5 s answered 200 (the session was created just before `start`, and the
    // cache may serve it up to 500 ms longer); everything after 6.5 s answered 401.
    for (const { at, status } of seen) {
      if (at < 5500) assert.equal(status, 200, `200 at ${Math.round(at)} ms`);
      if (at > 6500) assert.equal(status, 401, `401 at ${Math.round(at)} ms`);
    }
    // And an idle session still ends after its idle timeout.
    const idle = sessionCookie(
      (await server.call('/login', { form: { username: 'busy', password: PASSWORD } })).headers,
    )!;
    await sleep(2700);
    const status = (await server.call('/get-info', { cookie: idle })).status;
    t.diagnostic(`an idle session after 2.7 s: ${status}`);
    assert.equal(status, 401);
  } finally {
    await server.close();
    rmSync(server.data, { recursive: true, force: true });
  }
});
