import type { Kysely, Selectable } from 'kysely';
import type { SessionRecord, Store, UserRecord } from '../core/store.js';
import type { Database, SessionsTable, UsersTable } from './schema.js';

/**
 * The {@link Store} on Kysely. The queries are the same for every dialect;
 * what differs between SQLite and PostgreSQL (opening, unique-violation
 * codes, integer parsing) is passed in or handled in this folder only.
 */
export function createKyselyStore(db: Kysely<Database>, options: { close: () => Promise<void> }): Store {
  return {
    async createUser(user) {
      try {
        await db.insertInto('users').values(toUserRow(user)).execute();
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async findUserById(id) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toUserRecord(row) : null;
    },

    async findUserByKey(usernameKey) {
      const row = await db.selectFrom('users').selectAll().where('username_key', '=', usernameKey).executeTakeFirst();
      return row ? toUserRecord(row) : null;
    },

    async listUsers() {
      const rows = await db.selectFrom('users').selectAll().orderBy('username_key').execute();
      return rows.map(toUserRecord);
    },

    async updateUser(id, changes) {
      const result = await db
        .updateTable('users')
        .set({
          updated_at: changes.updatedAt,
          ...(changes.passwordHash !== undefined && { password_hash: changes.passwordHash }),
          ...(changes.disabled !== undefined && { disabled: changes.disabled ? 1 : 0 }),
          ...(changes.roles !== undefined && { roles: changes.roles.join(' ') }),
        })
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async deleteUser(id) {
      // Sessions go with the user through ON DELETE CASCADE.
      const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async countUsers() {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async createSession(session) {
      await db.insertInto('sessions').values(toSessionRow(session)).execute();
    },

    async findSessionByTokenHash(tokenHash) {
      const row = await db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row ? toSessionRecord(row) : null;
    },

    async findSessionById(id) {
      const row = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toSessionRecord(row) : null;
    },

    async listSessions(filter) {
      let query = db.selectFrom('sessions').selectAll();
      if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
      const rows = await query.orderBy('created_at', 'desc').orderBy('id').execute();
      return rows.map(toSessionRecord);
    },

    async touchSession(id, lastSeenAt, expiresAt) {
      await db.updateTable('sessions').set({ last_seen_at: lastSeenAt, expires_at: expiresAt }).where('id', '=', id).execute();
    },

    async deleteSession(id) {
      const result = await db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async deleteUserSessions(userId, options = {}) {
      let query = db.deleteFrom('sessions').where('user_id', '=', userId);
      if (options.keepId !== undefined) query = query.where('id', '!=', options.keepId);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async purgeExpiredSessions(now) {
      const result = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async ping() {
      try {
        await db.selectFrom('users').select('id').limit(1).execute();
        return true;
      } catch {
        return false;
      }
    },

    close: options.close,
  };
}

function toUserRow(user: UserRecord): UsersTable {
  return {
    id: user.id,
    username: user.username,
    username_key: user.usernameKey,
    password_hash: user.passwordHash,
    disabled: user.disabled ? 1 : 0,
    roles: user.roles.join(' '),
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}

function toUserRecord(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    username: row.username,
    usernameKey: row.username_key,
    passwordHash: row.password_hash,
    disabled: Number(row.disabled) !== 0,
    roles: row.roles === '' ? [] : row.roles.split(' '),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toSessionRow(session: SessionRecord): SessionsTable {
  return {
    id: session.id,
    token_hash: session.tokenHash,
    user_id: session.userId,
    created_at: session.createdAt,
    last_seen_at: session.lastSeenAt,
    expires_at: session.expiresAt,
    ip: session.ip,
    user_agent: session.userAgent,
  };
}

function toSessionRecord(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    userId: row.user_id,
    // PostgreSQL's bigint arrives as a string; Number() is exact below 2^53 ms.
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    ip: row.ip,
    userAgent: row.user_agent,
  };
}

/** SQLite (`SQLITE_CONSTRAINT_UNIQUE`/`_PRIMARYKEY`) and PostgreSQL (`23505`) unique violations. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
