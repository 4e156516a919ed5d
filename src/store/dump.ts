import type { Kysely } from 'kysely';

// Tables are named at run time here, from the list below: Kysely cannot type that.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDatabase = Kysely<any>;
import { GatehouseError } from '../core/errors/index.js';
import type { Database } from './schema.js';

type TableName = Exclude<keyof Database, 'deployment'>;

/**
 * Every table and column a dump carries, in the order rows must be inserted
 * (parents before children). Numeric columns are written as JSON numbers
 * whatever the dialect returned (PostgreSQL gives bigints as strings).
 * Not the deployment id: it names the database, so a database that imports a
 * dump keeps its own (and its own Redis namespace).
 */
const TABLES: {
  [T in TableName]: { columns: (keyof Database[T] & string)[]; numeric: (keyof Database[T] & string)[] };
} = {
  users: {
    columns: ['id', 'username', 'username_key', 'password_hash', 'disabled', 'roles', 'created_at', 'updated_at'],
    numeric: ['disabled', 'created_at', 'updated_at'],
  },
  sessions: {
    columns: [
      'id',
      'token_hash',
      'user_id',
      'created_at',
      'last_seen_at',
      'expires_at',
      'ip',
      'user_agent',
      'auth_methods',
      'authenticated_at',
    ],
    numeric: ['created_at', 'last_seen_at', 'expires_at', 'authenticated_at'],
  },
  clients: {
    columns: [
      'id',
      'name',
      'secret_hash',
      'public_jwk',
      'scopes',
      'created_at',
      'updated_at',
      'tls_subject',
      'tls_thumbprint',
      'type',
      'grant_types',
      'redirect_uris',
      'post_logout_redirect_uris',
      'first_party',
      'id_token_alg',
    ],
    numeric: ['created_at', 'updated_at', 'first_party'],
  },
  signing_keys: {
    columns: ['kid', 'alg', 'public_jwk', 'private_jwe', 'created_at', 'retired_at', 'expires_at'],
    numeric: ['created_at', 'retired_at', 'expires_at'],
  },
  refresh_tokens: {
    columns: [
      'id',
      'token_hash',
      'family_id',
      'session_id',
      'user_id',
      'client_id',
      'scope',
      'grant_id',
      'created_at',
      'expires_at',
      'used_at',
    ],
    numeric: ['created_at', 'expires_at', 'used_at'],
  },
  api_keys: {
    columns: ['id', 'user_id', 'name', 'secret_hash', 'scopes', 'created_at', 'expires_at', 'last_used_at'],
    numeric: ['created_at', 'expires_at', 'last_used_at'],
  },
  revoked_tokens: { columns: ['jti', 'expires_at'], numeric: ['expires_at'] },
  audit_events: { columns: ['id', 'at', 'type', 'actor', 'user_id', 'ip', 'user_agent', 'detail'], numeric: ['at'] },
  two_factor: {
    columns: ['user_id', 'secret_jwe', 'confirmed_at', 'last_step', 'created_at'],
    numeric: ['confirmed_at', 'last_step', 'created_at'],
  },
  recovery_codes: { columns: ['user_id', 'code_hash', 'used_at'], numeric: ['used_at'] },
  login_challenges: {
    columns: ['token_hash', 'user_id', 'created_at', 'expires_at'],
    numeric: ['created_at', 'expires_at'],
  },
  scopes: { columns: ['name', 'description', 'roles', 'created_at'], numeric: ['created_at'] },
  consents: {
    columns: ['user_id', 'client_id', 'scopes', 'grant_id', 'created_at', 'updated_at'],
    numeric: ['created_at', 'updated_at'],
  },
  authorization_codes: {
    columns: [
      'code_hash',
      'client_id',
      'user_id',
      'session_id',
      'redirect_uri',
      'scopes',
      'code_challenge',
      'nonce',
      'auth_time',
      'auth_methods',
      'created_at',
      'expires_at',
      'used_at',
      'replayed_at',
      'access_token_id',
      'refresh_family_id',
      'grant_id',
    ],
    numeric: ['auth_time', 'created_at', 'expires_at', 'used_at', 'replayed_at'],
  },
  authorization_requests: {
    columns: ['id_hash', 'client_id', 'parameters', 'login_after', 'created_at', 'expires_at'],
    numeric: ['login_after', 'created_at', 'expires_at'],
  },
  passkeys: {
    columns: [
      'id',
      'user_id',
      'credential_id',
      'public_key',
      'counter',
      'transports',
      'device_type',
      'backed_up',
      'aaguid',
      'name',
      'created_at',
      'last_used_at',
    ],
    numeric: ['counter', 'backed_up', 'created_at', 'last_used_at'],
  },
  passkey_challenges: {
    columns: ['challenge_hash', 'kind', 'user_id', 'login_challenge_hash', 'created_at', 'expires_at'],
    numeric: ['created_at', 'expires_at'],
  },
};

const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** The dump's first line: what it is and which schema it came from. */
export interface DumpHeader {
  type: 'gatehouse-dump';
  version: 1;
  migrations: string[];
}

/** Every row of every table, as JSON lines (`{"table": …, "row": {…}}`), after a header line. */
export async function* exportDump(db: Kysely<Database>, migrations: string[]): AsyncGenerator<string> {
  const header: DumpHeader = { type: 'gatehouse-dump', version: 1, migrations };
  yield JSON.stringify(header);
  for (const table of TABLE_NAMES) {
    const { columns, numeric } = TABLES[table];
    const rows: Record<string, unknown>[] = await (db as AnyDatabase)
      .selectFrom(table)
      .select(columns)
      .orderBy(columns[0]!)
      .execute();
    for (const row of rows) {
      for (const column of numeric as string[]) if (row[column] !== null) row[column] = Number(row[column]);
      yield JSON.stringify({ table, row });
    }
  }
}

/**
 * Loads a dump into an empty database, all or nothing (one transaction).
 * Returns the number of rows per table.
 *
 * @throws {GatehouseError} `ERR_VALIDATION` naming the line for a malformed dump, or when the database is not empty.
 */
export async function importDump(
  db: Kysely<Database>,
  lines: AsyncIterable<string> | Iterable<string>,
  migrations: string[],
): Promise<Record<string, number>> {
  const parsed: { table: TableName; row: Record<string, unknown> }[] = [];
  let lineNumber = 0;
  let header: DumpHeader | undefined;
  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw invalid(lineNumber, 'not JSON');
    }
    if (header === undefined) {
      header = value as DumpHeader;
      if (header?.type !== 'gatehouse-dump' || header.version !== 1)
        throw invalid(lineNumber, 'not a Gatehouse dump header');
      const unknown = (header.migrations ?? []).filter((name) => !migrations.includes(name));
      if (unknown.length > 0) throw invalid(lineNumber, `made by a newer Gatehouse (migrations ${unknown.join(', ')})`);
      continue;
    }
    parsed.push(checkRow(value, lineNumber));
  }
  if (header === undefined) throw invalid(lineNumber, 'empty dump');
  const counts = Object.fromEntries(TABLE_NAMES.map((table) => [table, 0])) as Record<string, number>;
  await db.transaction().execute(async (trx) => {
    for (const table of TABLE_NAMES) {
      const existing = await (trx as AnyDatabase)
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      if (Number(existing.n) > 0)
        throw new GatehouseError('ERR_VALIDATION', {
          message: `import needs an empty database; table ${table} has rows`,
        });
    }
    // Parents first, whatever order the lines came in.
    for (const table of TABLE_NAMES) {
      for (const item of parsed.filter((entry) => entry.table === table)) {
        await (trx as AnyDatabase).insertInto(table).values(item.row).execute();
        counts[table]! += 1;
      }
    }
  });
  return counts;
}

function checkRow(value: unknown, line: number): { table: TableName; row: Record<string, unknown> } {
  const { table, row } = (value ?? {}) as { table?: unknown; row?: unknown };
  if (typeof table !== 'string' || !TABLE_NAMES.includes(table as TableName)) throw invalid(line, 'unknown table');
  if (typeof row !== 'object' || row === null || Array.isArray(row)) throw invalid(line, 'row is not an object');
  const { columns, numeric } = TABLES[table as TableName];
  const clean: Record<string, unknown> = {};
  for (const [column, cell] of Object.entries(row)) {
    if (!(columns as string[]).includes(column))
      throw invalid(line, `unknown column ${JSON.stringify(column.slice(0, 64))} in ${table}`);
    const ok =
      cell === null || ((numeric as string[]).includes(column) ? Number.isSafeInteger(cell) : typeof cell === 'string');
    if (!ok) throw invalid(line, `bad value for ${table}.${column}`);
    clean[column] = cell;
  }
  return { table: table as TableName, row: clean };
}

function invalid(line: number, reason: string): GatehouseError {
  return new GatehouseError('ERR_VALIDATION', { message: `dump line ${line}: ${reason}` });
}
