import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The result of running the CLI to completion. */
export interface CLIResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `gatehouse ARGS` from the sources (through tsx), or as built (`dist/`, faster to start), and waits for it to exit. */
export function runCLI(
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; built?: boolean } = {},
): Promise<CLIResult> {
  const entry = options.built ? ['dist/cli/main.js'] : ['--import', 'tsx', 'src/cli/main.ts'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entry, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A `gatehouse serve` child process, once it has printed its URL. */
export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `command args` (by default the CLI from the sources) and waits until
 * it prints `Gatehouse listening on URL` (or `readyPattern`, whose first group
 * is the URL); rejects if it exits first.
 */
export function startServe(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    command?: string;
    commandArgs?: string[];
    timeoutMs?: number;
    processGroup?: boolean;
    readyPattern?: RegExp;
  } = {},
): Promise<ServeProcess> {
  const command = options.command ?? process.execPath;
  const commandArgs = options.commandArgs ?? ['--import', 'tsx', 'src/cli/main.ts', 'serve'];
  // With processGroup, signals go to the whole group, as a terminal's Ctrl-C
  // does: `npm start` runs the server under `sh`, which does not pass them on.
  const child = spawn(command, [...commandArgs, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    detached: options.processGroup,
  });
  const signal = (name: NodeJS.Signals) => (options.processGroup ? process.kill(-child.pid!, name) : child.kill(name));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal('SIGKILL');
      reject(new Error(`serve did not start in time\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = (options.readyPattern ?? /Gatehouse listening on (https:\/\/\S+)/).exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1]!,
          stdout: () => stdout,
          stderr: () => stderr,
          stop(name = 'SIGTERM') {
            signal(name);
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`serve exited with ${code}: ${stderr.trim()}`), { code, stderr, stdout }));
    });
  });
}
