import { GatehouseError } from '../errors/index.js';

/** The role that may use the admin routes and manage other users. */
export const ADMIN_ROLE = 'admin';

const ROLE_PATTERN = /^[a-z][a-z0-9_:.-]{0,63}$/;

/**
 * Checks and de-duplicates role names (lower case, starting with a letter,
 * then letters, digits, `_ : . -`; at most 64 characters), sorted.
 *
 * @throws {GatehouseError} `ERR_INVALID_ROLE` naming the first bad role.
 */
export function parseRoles(roles: readonly string[]): string[] {
  for (const role of roles) {
    if (!ROLE_PATTERN.test(role)) {
      throw new GatehouseError('ERR_INVALID_ROLE', {
        message: `Role ${JSON.stringify(role.slice(0, 64))} is not valid: use lower-case letters, digits and _ : . - (at most 64).`,
        details: { role: role.slice(0, 64) },
      });
    }
  }
  return [...new Set(roles)].sort();
}
