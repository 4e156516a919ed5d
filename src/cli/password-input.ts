import { GatehouseError } from '../core/errors.js';

/** Reads all of standard input and drops one trailing newline (what `echo` or a here-string adds). */
export async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Prompts on the terminal without echo; Ctrl-C aborts with exit code 130. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\u0003') {
          process.stderr.write('\n');
          process.exit(130);
        } else if (char === '\r' || char === '\n' || char === '\u0004') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          resolve(value);
          return;
        } else if (char === '\u007f' || char === '\b') {
          value = [...value].slice(0, -1).join('');
        } else {
          value += char;
        }
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * The new password: from standard input with `--password-stdin`, else typed
 * twice at a terminal prompt without echo.
 *
 * @throws {GatehouseError} `ERR_VALIDATION` when there is no terminal and no `--password-stdin`, or the two entries differ.
 */
export async function readNewPassword(options: { passwordStdin?: boolean }): Promise<string> {
  if (options.passwordStdin) return readPasswordFromStdin();
  if (!process.stdin.isTTY) {
    throw new GatehouseError('ERR_VALIDATION', { message: 'no terminal to prompt for a password: use --password-stdin' });
  }
  const first = await promptHidden('Password: ');
  const second = await promptHidden('Repeat password: ');
  if (first !== second) throw new GatehouseError('ERR_VALIDATION', { message: 'the two passwords differ' });
  return first;
}
