import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT, runCLI } from '../../test/helpers/process.js';

/** A server child process of the benchmark. */
export interface BenchServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Spawns a server and waits for `pattern` (whose first group is its URL) on
 * standard output. Its output afterwards (request logs) is read and dropped,
 * as a log shipper would, so that the pipe never blocks the server.
 */
function spawnServer(args: string[], pattern: RegExp, env: NodeJS.ProcessEnv = {}): Promise<BenchServer> {
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let head = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start: ${stderr}`)), 20_000);
    const onData = (chunk: Buffer) => {
      head += chunk;
      const match = pattern.exec(head);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      resolve({
        url: match[1]!,
        pid: child.pid!,
        stop() {
          child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then(() => reject(new Error(`${args.join(' ')} exited: ${stderr}`)));
  });
}

/** The one master key of a benchmark run, so every instance reads the same keys. */
export const BENCH_ENV = {
  GATEHOUSE_MASTER_KEY: randomBytes(32).toString('base64url'),
  GATEHOUSE_LOG_LEVEL: process.env.GATEHOUSE_LOG_LEVEL ?? 'info',
};
export const USERNAME = 'bench';
export const PASSWORD = 'bench password 1';
export const LOGIN_BODY = `username=${USERNAME}&password=${encodeURIComponent(PASSWORD)}`;

/**
 * Starts `gatehouse serve` as built (`dist/`, as `npm start` runs it) with
 * limits raised for load from one address: the benchmark measures cost, not
 * the abuse limits that #5 tests.
 */
export function startGatehouse(data: string, extra: string[] = []): Promise<BenchServer> {
  return spawnServer(
    [
      join(ROOT, 'dist/cli/main.js'),
      'serve',
      '--data',
      data,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--public-url',
      'https://bench.test',
      '--rate-limit-per-minute',
      '1000000',
      '--throttle-ip-failures',
      '1000000',
      ...extra,
    ],
    /Gatehouse listening on (https:\/\/\S+)/,
    BENCH_ENV,
  );
}

/** Starts a peer server (`bench/peers/NAME.ts`) with the certificate from `data`. */
export function startPeer(name: string, data: string): Promise<BenchServer> {
  return spawnServer(
    ['--import', 'tsx', join(ROOT, 'bench/peers', `${name}.ts`), data],
    /Peer listening on (https:\/\/\S+)/,
  );
}

/** Adds the benchmark user through the CLI. */
export async function addUser(data: string, db?: string): Promise<void> {
  const added = await runCLI(
    ['user', 'add', USERNAME, '--password-stdin', '--data', data, ...(db ? ['--db', db] : [])],
    { input: `${PASSWORD}\n`, env: BENCH_ENV },
  );
  if (added.code !== 0) throw new Error(added.stderr);
}

/** Registers a service client with the CLI; returns `Authorization: Basic` for its id and secret. */
export async function addBasicClient(data: string): Promise<string> {
  const added = await runCLI(['client', 'add', 'bench-probe', '--json', '--data', data], { env: BENCH_ENV });
  if (added.code !== 0) throw new Error(added.stderr);
  const { client_id: id, client_secret: secret } = JSON.parse(added.stdout) as {
    client_id: string;
    client_secret: string;
  };
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

/** A small HTTPS client for the set-up requests, trusting the run's certificate. */
export function setupClient(data: string) {
  const dispatcher = new Agent({ connect: { ca: readFileSync(join(data, 'tls', 'cert.pem'), 'utf8') } });
  async function send(url: string, init: { method: string; headers?: Record<string, string>; body?: string }) {
    const response = await request(url, { ...init, dispatcher });
    const text = await response.body.text();
    if (response.statusCode >= 300) throw new Error(`${init.method} ${url}: ${response.statusCode} ${text}`);
    return { headers: response.headers, json: () => JSON.parse(text) as Record<string, unknown> };
  }
  return {
    /** Signs in and returns the `Cookie` header value. */
    async signIn(base: string): Promise<string> {
      const { headers } = await send(`${base}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: LOGIN_BODY,
      });
      return cookieHeader(headers['set-cookie']);
    },
    /** An access token (JWT) for the signed-in user. */
    async accessToken(base: string, cookie: string): Promise<string> {
      return (await send(`${base}/token`, { method: 'POST', headers: { cookie } })).json().access_token as string;
    },
    /** A new API key of the signed-in user. */
    async apiKey(base: string, cookie: string): Promise<string> {
      const body = JSON.stringify({ name: `bench ${Date.now()}` });
      return (
        await send(`${base}/api-keys`, {
          method: 'POST',
          headers: { cookie, 'content-type': 'application/json' },
          body,
        })
      ).json().key as string;
    },
    /** A GET that must answer 2xx. */
    async get(url: string): Promise<void> {
      await send(url, { method: 'GET' });
    },
    close: () => dispatcher.close(),
  };
}

/** Resident set size of a process, in MiB (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/**
 * The `Cookie` header a browser would send back after these `Set-Cookie`
 * lines: every cookie's name and value (a Gatehouse sign-in sets the device
 * cookie beside the session cookie).
 */
export function cookieHeader(setCookie: string | string[] | undefined): string {
  return ([] as string[])
    .concat(setCookie ?? [])
    .map((line) => line.split(';')[0]!)
    .join('; ');
}
