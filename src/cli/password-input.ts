import { StringDecoder } from 'node:string_decoder';
import { GatehouseError } from '../core/errors/index.js';

/** Reads all of standard input and drops one trailing newline (what `echo` or a here-string adds). */
export async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_U = '\u0015';
const ESC = '\u001b';

/**
 * Reads lines from a terminal in raw mode, without echo. Keys typed (or
 * pasted) ahead of a prompt are kept for it rather than lost.
 */
class HiddenLineReader {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  /** Writes `question` to standard error and reads one line; Ctrl-C exits with 130. */
  async prompt(question: string): Promise<string> {
    const stdin = process.stdin;
    // Raw mode before the prompt: nothing typed after it may be echoed.
    stdin.setRawMode(true);
    process.stderr.write(question);
    try {
      let line = this.takeLine();
      while (line === null) {
        const chunk = await new Promise<Buffer>((resolve) => {
          stdin.once('data', resolve);
          stdin.resume();
        });
        stdin.pause();
        this.pending += this.decoder.write(chunk);
        line = this.takeLine();
      }
      return line;
    } finally {
      stdin.setRawMode(false);
      process.stderr.write('\n');
    }
  }

  /** The first complete line of pending input with line editing applied, or `null`. */
  private takeLine(): string | null {
    let value = '';
    const chars = [...this.pending];
    for (let index = 0; index < chars.length; index++) {
      const char = chars[index]!;
      if (char === CTRL_C) {
        process.stdin.setRawMode(false);
        process.stderr.write('\n');
        process.exit(130);
      } else if (char === '\r' || char === '\n' || char === CTRL_D) {
        // A CRLF pasted in one piece is one line end, not two.
        const skip = char === '\r' && chars[index + 1] === '\n' ? 2 : 1;
        this.pending = chars.slice(index + skip).join('');
        return value;
      } else if (char === '\u007f' || char === '\b') {
        value = [...value].slice(0, -1).join('');
      } else if (char === CTRL_U) {
        value = '';
      } else if (char === ESC) {
        // Arrow and function keys send ESC [ … or ESC O …; none of it is password text.
        index += escapeLength(chars, index) - 1;
      } else if (char >= ' ') {
        value += char;
      }
    }
    return null;
  }
}

/** How many characters the escape sequence starting at `start` spans. */
function escapeLength(chars: string[], start: number): number {
  const introducer = chars[start + 1];
  if (introducer !== '[' && introducer !== 'O') return 1;
  let end = start + 2;
  // CSI parameters and intermediates are 0x20–0x3F; the final byte is 0x40–0x7E.
  while (end < chars.length && chars[end]! >= ' ' && chars[end]! < '@') end++;
  return end - start + 1;
}

/**
 * The new password: from standard input with `--password-stdin`, else typed
 * twice at a terminal prompt on standard error, without echo. Ctrl-C at the
 * prompt ends the process with exit code 130.
 *
 * @throws {GatehouseError} `ERR_VALIDATION` when there is no terminal and no
 * `--password-stdin`, when `--password-stdin` is given at a terminal (the typed
 * password would be echoed), or when the two entries differ.
 *
 * @example
 * const password = await readNewPassword({ passwordStdin: flags.passwordStdin });
 */
export async function readNewPassword(options: { passwordStdin?: boolean }): Promise<string> {
  if (options.passwordStdin) {
    if (process.stdin.isTTY) {
      throw new GatehouseError('ERR_VALIDATION', {
        message: '--password-stdin reads a pipe or a file; at a terminal, leave it out to be prompted without echo',
      });
    }
    return readPasswordFromStdin();
  }
  if (!process.stdin.isTTY) {
    throw new GatehouseError('ERR_VALIDATION', {
      message: 'no terminal to prompt for a password: use --password-stdin',
    });
  }
  const reader = new HiddenLineReader();
  const first = await reader.prompt('Password: ');
  const second = await reader.prompt('Repeat password: ');
  if (first !== second) throw new GatehouseError('ERR_VALIDATION', { message: 'the two passwords differ' });
  return first;
}
