import type { Clock } from './clock.js';
import { GatehouseError } from './errors.js';
import { checkPasswordSize, type PasswordHasher } from './passwords.js';
import { createSecret } from './secrets.js';
import type { SessionOrigin, SessionService, Session } from './sessions.js';
import type { Store } from './store.js';
import { tryUsernameKey } from './usernames.js';
import { toUser, type User } from './users.js';

/** The sign-in operation; see {@link createLogin}. */
export type Login = ReturnType<typeof createLogin>;

/**
 * Password sign-in.
 *
 * Every failure (unknown user, wrong password, disabled user, a name that
 * could never exist) is the same `ERR_INVALID_CREDENTIALS` and costs the same
 * Argon2id verification: an unknown user is checked against a dummy hash made
 * with the live parameters, so neither the answer nor its timing tells an
 * attacker which accounts exist (OWASP Authentication Cheat Sheet).
 */
export function createLogin({
  store,
  hasher,
  clock,
  sessions,
}: {
  store: Store;
  hasher: PasswordHasher;
  clock: Clock;
  sessions: SessionService;
}) {
  // Made lazily once, from a random password nobody knows, with the current parameters.
  let dummyHash: Promise<string> | undefined;
  const getDummyHash = () => (dummyHash ??= hasher.hash(createSecret()));

  return {
    /** Makes the dummy hash now, so the first failed login is not cheaper or dearer than the rest. */
    async warmUp(): Promise<void> {
      await getDummyHash();
    },

    /**
     * Checks a username and password and, when they are right, starts a new session.
     * @throws {GatehouseError} `ERR_INVALID_CREDENTIALS` for every kind of wrong; `ERR_VALIDATION` for a password over the size limit.
     */
    async login(
      credentials: { username: string; password: string },
      origin: SessionOrigin = {},
    ): Promise<{ token: string; session: Session; user: User }> {
      checkPasswordSize(credentials.password);
      const key = tryUsernameKey(credentials.username);
      const record = key === null ? null : await store.findUserByKey(key);
      const passwordHash = record?.passwordHash ?? (await getDummyHash());
      const passwordMatches = await hasher.verify(passwordHash, credentials.password);
      if (!record || !passwordMatches || record.disabled) {
        throw new GatehouseError('ERR_INVALID_CREDENTIALS');
      }
      if (hasher.needsRehash(record.passwordHash)) {
        // The parameters were raised since this hash was made: upgrade it now
        // that the password is known (OWASP Password Storage Cheat Sheet).
        await store.updateUser(record.id, { passwordHash: await hasher.hash(credentials.password), updatedAt: clock.now() });
      }
      const { token, session } = await sessions.createSession(record.id, origin);
      return { token, session, user: toUser(record) };
    },
  };
}
