import { createHmac, randomBytes } from 'node:crypto';
import { BoundedCache } from './bounded-cache.js';
import { isGatehouseError } from './errors.js';
import type { Clock } from './clock.js';
import type { ClientService } from './clients.js';
import type { Login } from './login.js';
import type { Principal } from './principals.js';
import type { SessionOrigin } from './sessions.js';
import type { Store, UserRecord } from './store.js';
import { toUser } from './users.js';

/** Who may authenticate with `Authorization: Basic`: service clients, users, both, or nobody. */
export type BasicAuthMode = 'users' | 'clients' | 'both' | 'off';

/** Every accepted mode, for configuration parsing. */
export const BASIC_AUTH_MODES: readonly BasicAuthMode[] = ['users', 'clients', 'both', 'off'];

/** How long a verified user password is remembered (keyed by an HMAC, never the password). */
export const BASIC_CACHE_SECONDS = 60;
const BASIC_CACHE_ENTRIES = 10_000;

/** The Basic-credential resolver; see {@link createBasicAuth}. */
export type BasicAuth = ReturnType<typeof createBasicAuth>;

/**
 * Credentials on every request (RFC 7617): a service client's id and secret,
 * or a user's name and password.
 *
 * A client secret is random and checked with a fast hash, like every
 * Gatehouse token. A user's password goes through the same check as
 * `login()` (Argon2id, the throttle, one answer for every kind of wrong),
 * which is far too slow for every request: a success is remembered for
 * {@link BASIC_CACHE_SECONDS} under an HMAC of the name and password with a
 * key made when the process starts, so neither the password nor anything
 * that could be checked against it offline is kept. A remembered success is
 * used only while the user's stored password hash is the same and the user is
 * enabled: a password change (a new salt), disabling or deleting the user ends it at once.
 */
export function createBasicAuth({
  store,
  clock,
  clients,
  login,
}: {
  store: Store;
  clock: Clock;
  clients: ClientService;
  login: Login;
}) {
  const hmacKey = randomBytes(32);
  const verified = new BoundedCache<string, { userId: string; passwordHash: string }>(BASIC_CACHE_ENTRIES);
  const fingerprint = (username: string, password: string) =>
    // A NUL cannot be in a username, so name and password cannot be shifted into each other.
    createHmac('sha256', hmacKey).update(`${username}\u0000${password}`, 'utf8').digest('base64url');

  async function asClient(id: string, secret: string): Promise<Principal | null> {
    const client = await clients.authenticateWithSecret(id, secret);
    return (
      client && { kind: 'basic', user: null, clientId: client.id, scopes: client.scopes, roles: [], session: null }
    );
  }

  async function asUser(username: string, password: string, origin: SessionOrigin): Promise<Principal | null> {
    const key = fingerprint(username, password);
    const remembered = verified.get(key, clock.now());
    if (remembered) {
      const record = await store.findUserById(remembered.userId);
      // The same stored hash: the password has not changed since (every change has a new salt).
      if (record && !record.disabled && record.passwordHash === remembered.passwordHash) return asPrincipal(record);
      verified.delete(key);
    }
    let record;
    try {
      record = await login.verifyPassword({ username, password }, origin);
    } catch (error) {
      // Every kind of wrong is the guard's one 401; throttling and a full hash queue still answer as themselves.
      if (isGatehouseError(error, 'ERR_INVALID_CREDENTIALS') || isGatehouseError(error, 'ERR_VALIDATION')) return null;
      throw error;
    }
    if (!record) return null;
    verified.set(
      key,
      { userId: record.id, passwordHash: record.passwordHash },
      clock.now() + BASIC_CACHE_SECONDS * 1000,
    );
    return asPrincipal(record);
  }

  /** A user over Basic acts as themself, not limited by scope (like a session, without one). */
  function asPrincipal(record: UserRecord): Principal {
    const user = toUser(record);
    return { kind: 'basic', user, clientId: null, scopes: null, roles: user.roles, session: null };
  }

  return {
    /**
     * The principal of Basic credentials under `mode`, or `null`. A client id
     * is tried as a client first (when clients may), then as a user name
     * (when users may).
     * @throws {GatehouseError} `ERR_THROTTLED`, `ERR_BUSY` for users, as `login()` does.
     */
    async authenticate(
      mode: BasicAuthMode,
      username: string,
      password: string,
      origin: SessionOrigin = {},
    ): Promise<Principal | null> {
      if (mode === 'off') return null;
      if (mode !== 'users') {
        const client = await asClient(username, password);
        if (client || mode === 'clients') return client;
      }
      return asUser(username, password, origin);
    },
  };
}
