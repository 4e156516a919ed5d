import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import { addUser, sessionCookie, startGatehouse } from './helpers.js';

const PASSWORD = 'graceful password 1';

test('SIGTERM under load: no reset, no 5xx, every request in flight answered, exit 0 (#15)', async (t) => {
  const server = await startGatehouse();
  try {
    await addUser(['--data', server.data], 'alice', PASSWORD);
    const signedIn = await server.call('/login', { form: { username: 'alice', password: PASSWORD } });
    assert.equal(signedIn.status, 200);
    const cookie = sessionCookie(signedIn.headers)!;

    // Full rate on a signed-in route, from 16 kept-alive connections.
    const errors = new Map<string, number>();
    let finish: (result: autocannon.Result) => void = () => undefined;
    const finished = new Promise<autocannon.Result>((resolve) => (finish = resolve));
    const load = autocannon(
      { url: `${server.url}/get-info`, headers: { cookie }, connections: 16, duration: 60 },
      (_error, result) => finish(result),
    );
    load.on('reqError', (error: NodeJS.ErrnoException) =>
      errors.set(error.code ?? error.message, (errors.get(error.code ?? error.message) ?? 0) + 1),
    );
    await sleep(2000);

    // Sign-ins (an Argon2 hash each, queued on the cores) in flight when the signal comes.
    // Their connections are open first, so that the requests reach the server before the signal.
    const inFlight = new Agent({ connect: { ca: server.ca }, connections: 8, pipelining: 0 });
    await Promise.all(
      Array.from({ length: 8 }, () =>
        request(`${server.url}/healthz`, { dispatcher: inFlight }).then((response) => response.body.text()),
      ),
    );
    const signIns = Array.from({ length: 8 }, () =>
      request(`${server.url}/login`, {
        method: 'POST',
        dispatcher: inFlight,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'alice', password: PASSWORD }).toString(),
      }).then(
        async (response) => ({ status: response.statusCode, text: await response.body.text() }),
        (error: NodeJS.ErrnoException) => ({ status: 0, text: error.code ?? error.message }),
      ),
    );
    await sleep(100);
    const signalled = performance.now();
    server.child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => server.child.once('exit', resolve));
    const exitMs = Math.round(performance.now() - signalled);
    load.stop();
    const result = await finished;
    const answers = await Promise.all(signIns);
    await inFlight.close();

    const statuses = Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [status, count ?? 0]),
    );
    const fiveXX = Object.entries(statuses)
      .filter(([status]) => status.startsWith('5'))
      .reduce((sum, [, count]) => sum + count, 0);
    const resets = (errors.get('ECONNRESET') ?? 0) + (errors.get('EPIPE') ?? 0);
    t.diagnostic(
      `autocannon: ${result.requests.total} requests answered at ${Math.round(result.requests.average)}/s (16 connections), statuses ${JSON.stringify(statuses)}, 5xx ${fiveXX}`,
    );
    t.diagnostic(
      `client-side errors: ${JSON.stringify(Object.fromEntries(errors))} (ECONNREFUSED: new connections after the listener closed), resets ${resets}`,
    );
    t.diagnostic(
      `sign-ins in flight at SIGTERM: ${answers.map((answer) => (answer.status === 0 ? answer.text : answer.status)).join(' ')}`,
    );
    t.diagnostic(`exit status ${code}, ${exitMs} ms after SIGTERM`);

    assert.equal(code, 0);
    assert.equal(fiveXX, 0, `no 5xx: ${JSON.stringify(statuses)}`);
    assert.equal(resets, 0, `no reset: ${JSON.stringify(Object.fromEntries(errors))}`);
    assert.deepEqual(
      answers.map((answer) => answer.status),
      Array(8).fill(200),
      'every sign-in in flight answered',
    );
    assert.ok(statuses['200']! > 0);
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await server.dispatcher.close();
    rmSync(server.data, { recursive: true, force: true });
  }
});
