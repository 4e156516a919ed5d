import { createHmac, randomBytes } from 'node:crypto';
import { BoundedCache, type Clock } from '../shared/index.js';
import type { Client, ClientService } from '../clients/index.js';
import type { CheckFailure, Login } from './login.js';
import type { SessionOrigin } from '../sessions/index.js';
import type { UserRecord, UserStore } from '../store/index.js';

/** Who may authenticate with `Authorization: Basic`: service clients, users, both, or nobody. */
export type BasicAuthMode = 'users' | 'clients' | 'both' | 'off';

/** Every accepted mode, for configuration parsing. */
export const BASIC_AUTH_MODES: readonly BasicAuthMode[] = ['users', 'clients', 'both', 'off'];

/** Who may use `Authorization: Basic` unless configured: service clients only (a user's password is asked for by pages). */
export const DEFAULT_BASIC_AUTH_MODE: BasicAuthMode = 'clients';

/** How long a verified user password is remembered (keyed by an HMAC, never the password). */
export const BASIC_CACHE_SECONDS = 60;
const BASIC_CACHE_ENTRIES = 10_000;

/** Who Basic credentials proved to be: a service client, a user, or nobody (a {@link CheckFailure}). */
export type BasicSubject = { kind: 'client'; client: Client } | { kind: 'user'; record: UserRecord } | CheckFailure;

/** The Basic-credential checker; see {@link createBasicAuth}. */
export type BasicAuth = ReturnType<typeof createBasicAuth>;

/** What a remembered success is valid for: the same stored hash and the same account version. */
interface Remembered {
  userId: string;
  passwordHash: string;
  updatedAt: number;
}

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
 * used only while the user's stored password hash and account version
 * (`updatedAt`) are the same and the user is enabled: a password change (a
 * new salt), turning two-factor sign-in on, disabling or deleting the user
 * ends it at once, on every instance (they re-read the changed user).
 */
export function createBasicAuth({
  store,
  clock,
  clients,
  login,
}: {
  store: Pick<UserStore, 'findUserById'>;
  clock: Clock;
  clients: ClientService;
  login: Login;
}) {
  const hmacKey = randomBytes(32);
  const verified = new BoundedCache<string, Remembered>(BASIC_CACHE_ENTRIES);
  const fingerprint = (username: string, password: string) =>
    // A NUL cannot be in a username, so name and password cannot be shifted into each other.
    createHmac('sha256', hmacKey).update(`${username}\u0000${password}`, 'utf8').digest('base64url');

  async function asUser(username: string, password: string, origin: SessionOrigin): Promise<BasicSubject> {
    const key = fingerprint(username, password);
    const remembered = verified.get(key, clock.now());
    if (remembered) {
      const record = await store.findUserById(remembered.userId);
      const unchanged =
        record !== null &&
        !record.disabled &&
        record.passwordHash === remembered.passwordHash &&
        record.updatedAt === remembered.updatedAt;
      if (unchanged) return { kind: 'user', record };
      verified.delete(key);
    }
    const checked = await login.verifyPassword({ username, password }, origin);
    if (checked.status !== 'right') return checked;
    const { record } = checked;
    verified.set(
      key,
      { userId: record.id, passwordHash: record.passwordHash, updatedAt: record.updatedAt },
      clock.now() + BASIC_CACHE_SECONDS * 1000,
    );
    return { kind: 'user', record };
  }

  return {
    /**
     * Who the Basic credentials prove to be under `mode`. A client id is
     * tried as a client first (when clients may), then as a user name (when
     * users may); `refused` for anything else.
     */
    async authenticate(
      mode: BasicAuthMode,
      credentials: { username: string; password: string },
      origin: SessionOrigin = {},
    ): Promise<BasicSubject> {
      if (mode === 'off') return { status: 'refused' };
      if (mode !== 'users') {
        const client = await clients.authenticateWithSecret(credentials.username, credentials.password);
        if (client) return { kind: 'client', client };
        if (mode === 'clients') return { status: 'refused' };
      }
      return asUser(credentials.username, credentials.password, origin);
    },

    /** Forgets every remembered success of a user on this instance (others see the user's new version). */
    forgetUser(userId: string): void {
      verified.deleteWhere((entry) => entry.userId === userId);
    },
  };
}
