import { GatehouseError } from '../errors/index.js';

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ); capped in length here.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/;
const MAX_SCOPES = 64;

/**
 * Parses a space-separated scope string (or a list) into sorted, unique
 * scope tokens.
 *
 * @throws {GatehouseError} `ERR_INVALID_SCOPE` for a token outside RFC 6749 §3.3 or too many scopes.
 */
export function parseScopes(input: string | readonly string[]): string[] {
  const tokens = typeof input === 'string' ? input.split(' ').filter((token) => token !== '') : [...input];
  if (tokens.length > MAX_SCOPES) {
    throw new GatehouseError('ERR_INVALID_SCOPE', { message: `At most ${MAX_SCOPES} scopes.` });
  }
  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) {
      throw new GatehouseError('ERR_INVALID_SCOPE', {
        message: 'A scope is 1 to 128 printable ASCII characters without space, " or \\.',
      });
    }
  }
  return [...new Set(tokens)].sort();
}
