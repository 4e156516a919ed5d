import net from 'node:net';
import pg from 'pg';

const ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Runs `body` with a fresh PostgreSQL database (dropped afterwards), or records why it was skipped. */
export async function withPostgres(skipped: string[], body: (url: string) => Promise<void>): Promise<void> {
  if (!(await reachable(5432))) {
    skipped.push('PostgreSQL scenarios: nothing listens on 127.0.0.1:5432');
    process.stderr.write('notice: PostgreSQL is not running; its scenarios are skipped\n');
    return;
  }
  const name = `gatehouse_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    await body(`postgres://postgres@127.0.0.1:5432/${name}`);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** Runs `body` with a Redis URL, or records why it was skipped. */
export async function withRedis(skipped: string[], body: (url: string) => Promise<void>): Promise<void> {
  if (!(await reachable(6379))) {
    skipped.push('Redis scenario: nothing listens on 127.0.0.1:6379');
    process.stderr.write('notice: Redis is not running; its scenario is skipped\n');
    return;
  }
  await body('redis://127.0.0.1:6379/13');
}
