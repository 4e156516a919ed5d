import { sql, type Kysely } from 'kysely';
import type { ScopeStore } from '../../core/store/index.js';
import type { Database } from '../schema.js';
import { readList, writeList } from './columns.js';
import { isUniqueViolation } from './unique.js';

/** Every stored credential's list of scopes, space-separated: where a removed scope is stripped from. */
const SCOPE_COLUMNS = [
  ['api_keys', 'scopes'],
  ['clients', 'scopes'],
  ['refresh_tokens', 'scope'],
  ['consents', 'scopes'],
  ['authorization_codes', 'scopes'],
] as const;

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
      // One transaction: the scope and every stored credential's hold on it go together, so that a scope
      // of the same name added later starts with no holder (issue #22).
      return db.transaction().execute(async (trx) => {
        const result = await trx.deleteFrom('scopes').where('name', '=', name).executeTakeFirst();
        if (result.numDeletedRows === 0n) return false;
        // ' a b c ' less ' b ' is ' a c ': padded with spaces, the name matches whole entries only (a scope
        // name has no space), with the same replace(), trim() and || on SQLite and PostgreSQL.
        const needle = ` ${name} `;
        for (const [table, column] of SCOPE_COLUMNS) {
          const padded = sql<string>`(' ' || ${sql.ref(column)} || ' ')`;
          await sql`update ${sql.table(table)} set ${sql.ref(column)} = trim(replace(${padded}, ${needle}, ' '))
            where replace(${padded}, ${needle}, ' ') <> ${padded}`.execute(trx);
        }
        return true;
      });
    },
  };
}
