import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What must not outlive the test file: a child to kill, a server to stop. Synchronous. */
const cleanups = new Set<() => void>();
let cleanupsInstalled = false;

/**
 * Runs `cleanup` when the test file's process ends however it ends: normally,
 * on an uncaught error, or on the SIGTERM the test runner sends a file over
 * `--test-timeout`. Returns the function that unregisters it.
 */
export function cleanUpOnExit(cleanup: () => void): () => void {
  if (!cleanupsInstalled) {
    cleanupsInstalled = true;
    const runAll = () => {
      for (const each of cleanups) {
        try {
          each();
        } catch {
          // Already gone.
        }
      }
      cleanups.clear();
    };
    process.once('exit', runAll);
    process.once('SIGTERM', () => {
      runAll();
      process.exit(143);
    });
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Kills `child` (its process group with `group`) if it is still running when the test file ends. */
export function killOnExit(child: ChildProcess, group = false): void {
  const forget = cleanUpOnExit(() => (group ? process.kill(-child.pid!, 'SIGKILL') : child.kill('SIGKILL')));
  child.once('exit', forget);
}

/** How long a stopped process may take to exit before it is killed. */
const STOP_DEADLINE_MS = 30_000;

/** How long a CLI run may take before it is killed (the test then fails on its exit code). */
const CLI_DEADLINE_MS = 120_000;

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
    killOnExit(child);
    const deadline = setTimeout(() => child.kill('SIGKILL'), CLI_DEADLINE_MS);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A `gatehouse serve` child process, once it has printed its URL. */
export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Sends a signal and waits for the exit code; kills the process if it has not exited within 30 s. */
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
  killOnExit(child, options.processGroup);
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
            // A process that does not stop in time is killed: a test waits for it, never forever.
            const deadline = setTimeout(() => {
              try {
                signal('SIGKILL');
              } catch {
                // Gone meanwhile.
              }
            }, STOP_DEADLINE_MS);
            return exited.finally(() => clearTimeout(deadline));
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
