import type { Kysely, Selectable } from 'kysely';
import type { UserRecord, UserStore } from '../../core/store/index.js';
import type { Database, UsersTable } from '../schema.js';
import { isUniqueViolation } from './unique.js';
import { readList, writeList } from './columns.js';

/** {@link UserStore} queries. */
export function createUserQueries(db: Kysely<Database>): UserStore {
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
          ...(changes.roles !== undefined && { roles: writeList(changes.roles) }),
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
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
  };
}

function toUserRow(user: UserRecord): UsersTable {
  return {
    id: user.id,
    username: user.username,
    username_key: user.usernameKey,
    password_hash: user.passwordHash,
    disabled: user.disabled ? 1 : 0,
    roles: writeList(user.roles),
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
    roles: readList(row.roles),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
