import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthCore, type AuthCore } from '../../src/core/index.js';
import { openStore } from '../../src/store/index.js';
import { ROOT, runCLI, type CLIResult } from '../helpers/process.js';

export type { CLIResult };

/** A fresh data folder and a CLI bound to it, remembering every output for a final secrecy check. */
export interface CLIFixture {
  /** The data folder; its `gatehouse.db` is the default database. */
  data: string;
  /** Runs the built `gatehouse ARGS --data DATA` (`dist/`; run `npm run build` first) with `input` on standard input. */
  cli(args: string[], input?: string): Promise<CLIResult>;
  /** Opens the same database in this process, as a running server would. */
  withCore<T>(work: (core: AuthCore) => Promise<T>): Promise<T>;
  /** Everything any command printed so far, standard output and error. */
  outputs(): string;
  remove(): void;
}

/** Creates a {@link CLIFixture} in a new temporary folder. */
export function createCLIFixture(): CLIFixture {
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  let seen = '';
  return {
    data,
    async cli(args, input) {
      // The built CLI (npm test builds first): it starts in half the time of the sources through tsx.
      const result = await runCLI([...args, '--data', data], { input, built: true });
      seen += result.stdout + result.stderr;
      return result;
    },
    async withCore(work) {
      const store = await openStore({ url: `sqlite:${join(data, 'gatehouse.db')}` });
      try {
        return await work(createAuthCore({ store }));
      } finally {
        await store.close();
      }
    },
    outputs: () => seen,
    remove: () => rmSync(data, { recursive: true, force: true }),
  };
}

/** Asserts exit code 0 and returns standard output. */
export function ok(result: CLIResult): string {
  assert.equal(result.code, 0, `stderr: ${result.stderr}`);
  return result.stdout;
}

/** Asserts exit code 1, nothing on standard output, and exactly `gatehouse: MESSAGE` on standard error. */
export function fails(result: CLIResult, message: string): void {
  assert.equal(result.code, 1, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, `gatehouse: ${message}\n`);
}

/** Whether util-linux `script` is here to give the CLI a pseudo-terminal. */
export const HAS_SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

/** One exchange at the terminal: once `after` has appeared (past the previous one), type `keys`. */
export interface TerminalStep {
  after: string;
  keys: string;
}

/**
 * Runs the CLI on a pseudo-terminal (through `script`) and types `steps`;
 * resolves with the exit code and everything the terminal showed.
 */
export function runInTerminal(args: string[], steps: TerminalStep[]): Promise<{ code: number | null; output: string }> {
  const command = ['node', '--import', 'tsx', 'src/cli/main.ts', ...args]
    .map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`)
    .join(' ');
  const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], { cwd: ROOT });
  let output = '';
  let from = 0;
  const pending = [...steps];
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  child.stdout.on('data', (chunk) => {
    output += chunk;
    while (pending[0] && output.includes(pending[0].after, from)) {
      const step = pending.shift()!;
      from = output.indexOf(step.after, from) + step.after.length;
      child.stdin.write(step.keys);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
