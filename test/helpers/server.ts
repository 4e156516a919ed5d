import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Agent, request as undiciRequest } from 'undici';
import type { Clock } from '../../src/core/shared/clock.js';
import type { AuthCore } from '../../src/core/index.js';
import { loadConfig, type ServerConfig } from '../../src/server/config.js';
import type { BuildServerOptions } from '../../src/server/app.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { readFileSync } from 'node:fs';

/** A real Gatehouse HTTPS server on an ephemeral port with its own SQLite file. */
export interface TestServer extends RunningServer {
  data: string;
  ca: string;
  /** Every log line the server wrote. */
  logs: string[];
  /** Sends a request; `cookie` and `headers` as given, body JSON or a form when `form` is set. */
  request(path: string, options?: RequestOptions): Promise<TestResponse>;
  /** Closes the server and removes its data folder. */
  stop(): Promise<void>;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
  body?: string | Buffer;
  cookie?: string;
}

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
  /** The value the response sets for the named cookie, or undefined. */
  setCookie(name: string): string | undefined;
}

/** Starts a server for a test; `config` overrides settings, `clock` pins time. */
export async function startTestServer(
  options: { config?: Partial<ServerConfig>; clock?: Clock; data?: string } & Pick<
    BuildServerOptions,
    'hasher' | 'hashQueue'
  > = {},
): Promise<TestServer> {
  const data = options.data ?? mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const config = loadConfig({
    flags: { data, host: '127.0.0.1', port: 0, logLevel: 'info', ...options.config },
    env: {},
  });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(String(chunk));
      callback();
    },
  });
  const server = await startServer(config, {
    clock: options.clock,
    logStream,
    hasher: options.hasher,
    hashQueue: options.hashQueue,
  });
  const ca = readFileSync(server.certFile, 'utf8');
  const dispatcher = new Agent({ connect: { ca } });
  return {
    ...server,
    data,
    ca,
    logs,
    request: (path, requestOptions = {}) => send(server.url, dispatcher, path, requestOptions),
    async stop() {
      await server.close();
      await dispatcher.close();
      if (!options.data) rmSync(data, { recursive: true, force: true });
    },
  };
}

async function send(base: string, dispatcher: Agent, path: string, options: RequestOptions): Promise<TestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Buffer | undefined = options.body;
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  const response = await undiciRequest(`${base}${path}`, {
    method: (options.method ?? (body === undefined ? 'GET' : 'POST')) as 'GET',
    headers,
    body,
    dispatcher,
  });
  const text = await response.body.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  const setCookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  return {
    status: response.statusCode,
    headers: response.headers,
    text,
    json,
    setCookie(name) {
      const line = setCookies.find((item) => item.startsWith(`${name}=`));
      return line === undefined ? undefined : line.slice(name.length + 1).split(';')[0];
    },
  };
}

/** The default session cookie name. */
export const COOKIE = '__Host-gatehouse';

/** Adds scopes to the registry (held by every user and by service clients), so that a test may grant them. */
export async function addScopes(core: Pick<AuthCore, 'scopes'>, ...names: string[]): Promise<void> {
  for (const name of names) await core.scopes.create({ name, description: `The ${name} scope of a test.` });
}
