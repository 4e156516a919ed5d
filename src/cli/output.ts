import { isGatehouseError } from '../core/errors/index.js';

/** An ISO 8601 time, or `-`. */
export function isoTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : new Date(ms).toISOString();
}

// Control and format characters (C0, DEL, C1 such as CSI U+009B, bidi overrides):
// a user agent is whatever a client sent, and must not drive the operator's terminal.
const UNSAFE = /[\p{Cc}\p{Cf}]/gu;
// What JSON.stringify leaves raw: DEL, C1 controls and format characters (C0 it escapes).
const UNSAFE_IN_JSON = /[\u007f-\u009f\p{Cf}]/gu;

/** `text` with every control or format character shown as `\uXXXX`, safe to print to a terminal. */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

// Per UTF-16 code unit, so that a character beyond U+FFFF stays valid in JSON (a surrogate pair).
function escapeChar(char: string): string {
  return Array.from(
    { length: char.length },
    (_, index) => `\\u${char.charCodeAt(index).toString(16).padStart(4, '0')}`,
  ).join('');
}

/**
 * Writes rows as an aligned text table with a header. Cells are made
 * {@link printable}.
 *
 * @example
 * printTable(['USERNAME', 'STATUS'], [['Alice', 'enabled']]);
 */
export function printTable(headers: string[], rows: string[][]): void {
  const safeRows = rows.map((row) => row.map(printable));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...safeRows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(headers), ...safeRows.map(line)].join('\n')}\n`);
}

/**
 * Writes a value as indented JSON. Characters JSON may carry raw but a
 * terminal would act on are written as `\uXXXX` escapes: the same JSON value.
 */
export function printJSON(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, escapeChar)}\n`);
}

/** Writes a line to standard output. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * The one stderr line for a failure: `gatehouse: MESSAGE`. Gatehouse errors
 * carry generic messages by design (never a secret); a driver's message may
 * span several lines, so it is folded into one.
 */
export function errorLine(error: unknown): string {
  if (isGatehouseError(error)) return `gatehouse: ${error.message}\n`;
  return `gatehouse: unexpected error: ${String((error as Error)?.message ?? error).replace(/\s*\n\s*/g, ' ')}\n`;
}
