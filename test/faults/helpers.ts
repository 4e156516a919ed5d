import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import {
  cleanUpOnExit,
  killOnExit,
  ROOT,
  runCLI,
  startServe,
  type CLIResult,
  type ServeProcess,
} from '../helpers/process.js';

/** A `gatehouse serve` child process with its own data folder and an HTTPS agent that trusts it. */
export interface Gatehouse extends ServeProcess {
  data: string;
  ca: string;
  dispatcher: Agent;
  /** A request over the agent: status, headers, body text. */
  call(
    path: string,
    options?: CallOptions,
  ): Promise<{ status: number; headers: Record<string, unknown>; text: string }>;
  /** Stops the process (SIGTERM unless told) and closes the agent; keeps the data folder. */
  close(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface CallOptions {
  form?: Record<string, string>;
  json?: unknown;
  cookie?: string;
  headers?: Record<string, string>;
  method?: string;
}

/**
 * Starts `gatehouse serve` from the sources on 127.0.0.1, any free port, a
 * data folder of its own (or `data`), warnings only in the log.
 */
export async function startGatehouse(
  args: string[] = [],
  options: { data?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Gatehouse> {
  const data = options.data ?? mkdtempSync(join(tmpdir(), 'gatehouse-faults-'));
  // The build (npm test and npm run test:faults build first): as operators run it, and it starts in a fraction of tsx's time.
  const serve = await startServe(['--host', '127.0.0.1', '--port', '0', '--data', data, ...args], {
    env: { GATEHOUSE_LOG_LEVEL: 'warn', ...options.env },
    timeoutMs: options.timeoutMs ?? 60_000,
    commandArgs: [BUILT_CLI, 'serve'],
  });
  const certFile = args.includes('--tls-cert') ? args[args.indexOf('--tls-cert') + 1]! : join(data, 'tls', 'cert.pem');
  const ca = readFileSync(certFile, 'utf8');
  // A request that gets no answer fails in 30 s, so a load loop or a wait never hangs on one.
  const dispatcher = new Agent({ connect: { ca }, connections: 64, headersTimeout: 30_000, bodyTimeout: 30_000 });
  return {
    ...serve,
    data,
    ca,
    dispatcher,
    async call(path, callOptions = {}) {
      const body = callOptions.form
        ? new URLSearchParams(callOptions.form).toString()
        : callOptions.json !== undefined
          ? JSON.stringify(callOptions.json)
          : undefined;
      const response = await request(`${serve.url}${path}`, {
        method: (callOptions.method ?? (body === undefined ? 'GET' : 'POST')) as 'GET',
        dispatcher,
        headers: {
          ...(callOptions.form && { 'content-type': 'application/x-www-form-urlencoded' }),
          ...(callOptions.json !== undefined && { 'content-type': 'application/json' }),
          ...(callOptions.cookie && { cookie: callOptions.cookie }),
          ...callOptions.headers,
        },
        body,
      });
      return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
    },
    async close(signal = 'SIGTERM') {
      const code = serve.child.exitCode ?? (await serve.stop(signal));
      await dispatcher.close();
      return code;
    },
  };
}

/** The session cookie (`name=value`) a sign-in's answer sets. */
export function sessionCookie(headers: Record<string, unknown>): string | undefined {
  const lines = ([] as string[]).concat((headers['set-cookie'] as string | string[] | undefined) ?? []);
  return lines.find((line) => line.startsWith('__Host-gatehouse='))?.split(';')[0];
}

/** The built CLI. */
export const BUILT_CLI = join(ROOT, 'dist/cli/main.js');

/** Runs the built CLI to completion. */
export function runBuiltCLI(args: string[], input = ''): Promise<CLIResult> {
  return runCLI(args, { input, built: true });
}

/** Adds a user through the CLI, on the database `args` name (`--data`, `--db`). */
export async function addUser(args: string[], username: string, password: string): Promise<void> {
  const added = await runBuiltCLI(['user', 'add', username, '--password-stdin', ...args], `${password}\n`);
  if (added.code !== 0) throw new Error(`user add failed: ${added.stderr}`);
}

/** The result of running `gatehouse serve` until it exits on its own. */
export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds from the spawn to the exit. */
  ms: number;
  /** Milliseconds from the first byte on stderr (the error line) to the exit, or null. */
  afterErrorMs: number | null;
  stderr: string;
  stdout: string;
}

/**
 * Runs `gatehouse serve ARGS` from the built CLI (`dist/`, as operators run
 * it, so the time to exit is not the time to compile) and waits for it to
 * exit, killing it after `timeoutMs`. `onSpawn` may act on the child (send a signal).
 */
export function runServeToExit(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<ExitResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BUILT_CLI, 'serve', ...args], {
      cwd: ROOT,
      env: { ...process.env, GATEHOUSE_LOG_LEVEL: 'warn', ...options.env },
    });
    killOnExit(child);
    let stdout = '';
    let stderr = '';
    let errorAt: number | null = null;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      errorAt ??= performance.now();
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const now = performance.now();
      const afterErrorMs = errorAt === null ? null : Math.round(now - errorAt);
      resolve({ code, signal, ms: Math.round(now - started), afterErrorMs, stderr, stdout });
    });
    options.onSpawn?.(child);
  });
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** What one raw HTTP/1.1 exchange over TLS saw. */
export interface RawOutcome {
  /** The status line's code, or null when no answer was read. */
  status: number | null;
  /** The socket error, if any (`ECONNRESET` is a reset). */
  error: string | null;
  /** Bytes of the body written before the answer or the error. */
  written: number;
}

/**
 * Sends one request with a body of `bodyBytes` over a fresh TLS connection,
 * written in 64 KiB chunks with back-pressure, and reads the answer.
 * `readAfterWrite` makes it the strict kind of client that reads nothing
 * until it has written its whole body (urllib3, many SDKs); otherwise it
 * reads as data arrives (browsers, curl, undici) and stops writing once it
 * has its answer.
 */
export function sendRawBody(
  url: string,
  ca: string,
  options: { path: string; bodyBytes: number; keepAlive: boolean; readAfterWrite?: boolean; timeoutMs?: number },
): Promise<RawOutcome> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: hostname, port: Number(port), ca, servername: 'localhost' });
    let received = '';
    let written = 0;
    let settled = false;
    let answered = false;
    const finish = (error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const match = /^HTTP\/1\.1 (\d{3}) /.exec(received);
      socket.destroy();
      resolve({ status: match ? Number(match[1]) : null, error, written });
    };
    const timer = setTimeout(() => finish('timeout'), options.timeoutMs ?? 20_000);
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      // The whole answer: headers and a body of the length it states.
      const end = received.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(received);
      if (end >= 0 && length && received.length >= end + 4 + Number(length[1])) {
        answered = true;
        finish(null);
      }
    });
    socket.on('end', () => finish(answered ? null : 'closed without an answer'));
    socket.once('secureConnect', async () => {
      if (options.readAfterWrite) socket.pause();
      socket.write(
        `POST ${options.path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
          `Content-Length: ${options.bodyBytes}\r\nConnection: ${options.keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`,
      );
      const chunk = Buffer.alloc(64 * 1024, 'a');
      chunk.write('username=alice&password=');
      while (written < options.bodyBytes && !settled) {
        const size = Math.min(chunk.length, options.bodyBytes - written);
        written += size;
        if (!socket.write(size === chunk.length ? chunk : chunk.subarray(0, size))) {
          await new Promise<void>((resolveDrain) => {
            const done = () => {
              socket.off('drain', done);
              socket.off('close', done);
              resolveDrain();
            };
            socket.on('drain', done);
            socket.on('close', done);
          });
        }
      }
      if (options.readAfterWrite) socket.resume();
    });
  });
}

/** Root runs the database servers as this user (initdb refuses root). */
const POSTGRES_USER = 'postgres';

function postgresIds(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${POSTGRES_USER}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** The PostgreSQL server binaries of this machine, or null. */
export function postgresBinaries(): string | null {
  for (const version of ['17', '16', '15', '14', '13']) {
    const dir = `/usr/lib/postgresql/${version}/bin`;
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return null;
}

/** A PostgreSQL server of the test's own, in a temporary folder, on a free port: stopped and started at will. */
export interface PrivatePostgres {
  url: string;
  port: number;
  /** Starts (or restarts) the server and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops the server: `fast` ends the sessions (57P01 to their clients), `immediate` crashes it. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Stops the server and removes its folder. */
  destroy(): Promise<void>;
}

function run(command: string, args: string[], ids: { uid: number; gid: number } | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    // initdb and pg_ctl (itself bounded by -t) get two minutes at most.
    const child = spawn(command, args, {
      ...ids,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
      killSignal: 'SIGKILL',
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${output}`)),
    );
  });
}

/**
 * Creates a PostgreSQL cluster in a temporary folder (initdb, trust
 * authentication, no fsync: a test's data), on a free port; never the
 * machine's shared server. Returns the reason instead when PostgreSQL's
 * binaries are not installed.
 */
export async function createPrivatePostgres(): Promise<PrivatePostgres | string> {
  const bin = postgresBinaries();
  if (!bin) return 'PostgreSQL server binaries (initdb, pg_ctl) not installed: private-PostgreSQL fault tests skipped';
  const ids = postgresIds();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-faults-pg-'));
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const pgdata = join(dir, 'data');
  await run(join(bin, 'initdb'), ['-D', pgdata, '-A', 'trust', '-U', 'postgres', '--no-sync'], ids);
  const port = await freePort();
  const pgCtl = (args: string[]) => run(join(bin, 'pg_ctl'), ['-D', pgdata, ...args], ids);
  // However the test file ends (a failure, the runner's timeout), its server does not outlive it.
  const forget = cleanUpOnExit(() => {
    spawnSync(join(bin, 'pg_ctl'), ['-D', pgdata, '-m', 'immediate', 'stop'], {
      ...ids,
      stdio: 'ignore',
      timeout: 10_000,
    });
    rmSync(dir, { recursive: true, force: true });
  });
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const server: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      await pgCtl(['-w', '-t', '30', '-l', join(dir, 'log'), '-o', options, 'start']);
    },
    async stop(mode = 'fast') {
      await pgCtl(['-w', '-t', '30', '-m', mode, 'stop']);
    },
    async destroy() {
      forget();
      await pgCtl(['-w', '-t', '30', '-m', 'immediate', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** A Redis server of the test's own, a child process on a free port, no persistence. */
export interface PrivateRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `redis-server` on a free port (never the machine's shared one), or returns why it cannot. */
export async function createPrivateRedis(): Promise<PrivateRedis | string> {
  const binary = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((path) => existsSync(path));
  if (!binary) return 'redis-server not installed: private-Redis fault tests skipped';
  const port = await freePort();
  let child: ChildProcess | null = null;
  const server: PrivateRedis = {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    async start() {
      child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      killOnExit(child);
      for (let attempt = 0; attempt < 100; attempt += 1) {
        if (await isListening(port)) return;
        await sleep(50);
      }
      throw new Error(`redis-server did not start on ${port}`);
    },
    async stop() {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    },
  };
  await server.start();
  return server;
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}
