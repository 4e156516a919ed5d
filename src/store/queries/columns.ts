/**
 * Column conversions shared by every table. Lists of names (roles, scopes)
 * are stored space-separated, since their grammar has no space; times are
 * bigints, which PostgreSQL returns as strings.
 */

/** A space-separated column as a list. */
export function readList(column: string): string[] {
  return column === '' ? [] : column.split(' ');
}

/** A list as a space-separated column. */
export function writeList(list: readonly string[]): string {
  return list.join(' ');
}

/** A nullable bigint column as a number (exact below 2^53). */
export function readOptionalTime(column: number | string | null): number | null {
  return column === null ? null : Number(column);
}
