import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * The PostgreSQL server tests use: `GATEHOUSE_TEST_POSTGRES` (an admin URL),
 * default the local server with trust auth. Each test file gets a fresh
 * database, dropped afterwards.
 */
const ADMIN_URL = process.env.GATEHOUSE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * In CI (`GATEHOUSE_TEST_REQUIRE_SERVICES=1`, set by .ci/run) a missing
 * PostgreSQL or Redis fails the run; elsewhere those suites skip with a notice.
 */
export const SERVICES_REQUIRED = process.env.GATEHOUSE_TEST_REQUIRE_SERVICES === '1';

/** A fresh PostgreSQL database for one test file. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates a fresh database, or returns a skip reason when PostgreSQL cannot be reached (outside CI). */
export async function createTestDatabase(): Promise<TestDatabase | string> {
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    await admin.end().catch(() => undefined);
    const reason = `PostgreSQL not reachable at ${new URL(ADMIN_URL).host} (${(error as Error).message}): PostgreSQL suites skipped`;
    if (SERVICES_REQUIRED) throw new Error(reason, { cause: error });
    process.stderr.write(`notice: ${reason}\n`);
    return reason;
  }
  const name = `gatehouse_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** The Redis server tests use: `GATEHOUSE_TEST_REDIS`, default the local one (database 15). */
export const TEST_REDIS_URL = process.env.GATEHOUSE_TEST_REDIS ?? 'redis://127.0.0.1:6379/15';

/**
 * `null` when Redis answers at {@link TEST_REDIS_URL}, else the reason a suite
 * skips (outside CI; in CI a missing Redis fails the run).
 */
export async function redisSkipReason(): Promise<string | null> {
  const client = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    const reason = `Redis not reachable at ${TEST_REDIS_URL} (${(error as Error).message}): Redis suites skipped`;
    if (SERVICES_REQUIRED) throw new Error(reason, { cause: error });
    process.stderr.write(`notice: ${reason}\n`);
    return reason;
  } finally {
    client.disconnect();
  }
}
