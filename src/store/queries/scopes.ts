import type { Kysely } from 'kysely';
import type { ScopeStore } from '../../core/store/index.js';
import type { Database } from '../schema.js';
import { readList, writeList } from './columns.js';
import { isUniqueViolation } from './unique.js';

/** {@link ScopeStore} queries. */
export function createScopeQueries(db: Kysely<Database>): ScopeStore {
  return {
    async createScope(scope) {
      try {
        await db
          .insertInto('scopes')
          .values({
            name: scope.name,
            description: scope.description,
            roles: writeList(scope.roles),
            created_at: scope.createdAt,
          })
          .execute();
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async listScopes() {
      const rows = await db.selectFrom('scopes').selectAll().orderBy('name').execute();
      return rows.map((row) => ({
        name: row.name,
        description: row.description,
        roles: readList(row.roles),
        createdAt: Number(row.created_at),
      }));
    },

    async deleteScope(name) {
      const result = await db.deleteFrom('scopes').where('name', '=', name).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
