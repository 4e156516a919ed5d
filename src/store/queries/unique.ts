/** SQLite (`SQLITE_CONSTRAINT_UNIQUE`/`_PRIMARYKEY`) and PostgreSQL (`23505`) unique violations. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
