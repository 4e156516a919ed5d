import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICES_REQUIRED } from './services.js';

/** Debian's nginx (`nginx-light`, installed by .ci/run when missing). */
export const NGINX = '/usr/sbin/nginx';

/** A free TCP port on 127.0.0.1 (released before use; the race is harmless in tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A running nginx with a test's configuration. */
export interface RunningNginx {
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts nginx in the foreground with `server` (a `server { … }` body without
 * `listen`, where `{{port}}` is its port) inside a minimal `http` block, all
 * state in a temporary prefix, on `options.port` (HTTPS with `options.tls`);
 * or returns why the nginx suites skip.
 */
export async function startNginx(
  server: string,
  options: { port?: number; tls?: { cert: string; key: string } } = {},
): Promise<RunningNginx | string> {
  if (!existsSync(NGINX)) {
    const reason = `${NGINX} not found (apt-get install nginx-light): nginx suites skipped`;
    if (SERVICES_REQUIRED) throw new Error(reason);
    process.stderr.write(`notice: ${reason}\n`);
    return reason;
  }
  const prefix = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-'));
  mkdirSync(join(prefix, 'tmp'));
  const port = options.port ?? (await freePort());
  const listen = options.tls
    ? `listen 127.0.0.1:${port} ssl;\n    ssl_certificate ${options.tls.cert};\n    ssl_certificate_key ${options.tls.key};`
    : `listen 127.0.0.1:${port};`;
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `${kind}_temp_path ${join(prefix, 'tmp', kind)};`)
    .join('\n  ');
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `daemon off;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
worker_processes 1;
events { worker_connections 64; }
http {
  access_log off;
  ${temp}
  server {
    ${listen}
    ${server.replaceAll('{{port}}', String(port))}
  }
}
`,
  );
  const child: ChildProcess = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  // Ready when the port accepts connections.
  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode !== null)
      throw new Error(`nginx exited: ${stderr}${readFileSync(join(prefix, 'error.log'), 'utf8')}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) break;
    if (attempt > 100) throw new Error(`nginx did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    async stop() {
      child.kill('SIGQUIT');
      await exited;
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
