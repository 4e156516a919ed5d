import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { openPostgres } from '../../src/store/postgres.js';
import { startTestServer } from '../helpers/server.js';
import { createTestDatabase } from '../helpers/services.js';

// Issue #22, defect 0: a PostgreSQL restart must not end the process.
const database = await createTestDatabase();

if (typeof database === 'string') {
  test('PostgreSQL connections that fail', { skip: database }, () => undefined);
} else {
  after(() => database.drop());
  describe('PostgreSQL connections that fail', { timeout: 60_000 }, () => {
    test('defect 0: a backend terminated with one query running and one waiting does not end the process', async () => {
      const errors: Error[] = [];
      // A pool of one: the terminated client goes back to the pool and straight out to the waiting query,
      // then its socket closes while it is checked out (node-postgres #2762).
      const { db } = openPostgres(database.url, { poolSize: 1, onConnectionError: (error) => errors.push(error) });
      const admin = new pg.Client({ connectionString: database.url });
      admin.on('error', () => undefined);
      await admin.connect();
      try {
        const { pid } = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!;
        const running = sql`select pg_sleep(30)`.execute(db).then(
          () => 'answered',
          (error: Error) => error.message,
        );
        const waiting = sql`select 1`.execute(db).then(
          () => 'answered',
          (error: Error) => error.message,
        );
        for (let waited = 0; ; waited += 20) {
          const active = await admin.query(`select 1 from pg_stat_activity where pid = $1 and state = 'active'`, [pid]);
          if (active.rowCount === 1) break;
          if (waited > 5000) throw new Error('the first query never ran');
          await sleep(20);
        }
        await admin.query('select pg_terminate_backend($1)', [pid]);
        assert.equal(await running, 'terminating connection due to administrator command');
        assert.equal(await waiting, 'Connection terminated unexpectedly');
        // Still alive, and the pool opens a new connection for the next query.
        const next = await sql<{ answer: number }>`select 42 as answer`.execute(db);
        assert.deepEqual(next.rows, [{ answer: 42 }]);
        assert.deepEqual(
          errors.map((error) => error.message),
          ['Connection terminated unexpectedly'],
        );
      } finally {
        await admin.end();
        await db.destroy();
      }
    });

    test('defect 0: the server logs each lost connection at warn, without the database URL, and recovers', async () => {
      // A database of its own: the conformance suite leaves rows (signing keys) in the file's.
      const own = await createTestDatabase();
      assert.ok(typeof own !== 'string', own as string);
      // Trust authentication ignores the password: it is here to be looked for in the log.
      const url = new URL(own.url);
      url.password = 'not-in-the-log-7Qz';
      const server = await startTestServer({ config: { db: url.toString(), migrate: true } });
      const admin = new pg.Client({ connectionString: own.url });
      admin.on('error', () => undefined);
      await admin.connect();
      try {
        assert.equal((await server.request('/readyz')).status, 200);
        const terminated = await admin.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [url.pathname.slice(1)],
        );
        assert.ok(terminated.rowCount! >= 1, 'the pool had a connection');
        const lost = () => server.logs.filter((line) => line.includes('database connection lost'));
        for (let waited = 0; lost().length < terminated.rowCount! && waited < 5000; waited += 20) await sleep(20);
        assert.equal(lost().length, terminated.rowCount);
        for (const line of lost()) {
          const entry = JSON.parse(line) as { level: number; err: string; code?: string };
          assert.equal(entry.level, 40, 'warn');
          assert.match(entry.err, /terminating connection due to administrator command|Connection terminated/);
        }
        assert.ok(!server.logs.join('\n').includes('not-in-the-log-7Qz'), 'no password in the log');
        assert.equal((await server.request('/readyz')).status, 200, 'a new connection serves the next request');
      } finally {
        await admin.end();
        await server.stop();
        await own.drop();
      }
    });
  });
}
