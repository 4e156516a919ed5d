/**
 * Row types of the Gatehouse database, as Kysely sees them. Storage rows are
 * kept apart from the domain records in `src/core/store.ts`; the mapping
 * lives in `kysely-store.ts`. Times are integer milliseconds since the epoch;
 * booleans are integers 0/1 so that one schema serves SQLite and PostgreSQL.
 */
export interface UsersTable {
  id: string;
  username: string;
  username_key: string;
  password_hash: string;
  disabled: number;
  /** Role names separated by single spaces (role names contain no space). */
  roles: string;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
}
