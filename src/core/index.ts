import { systemClock, type Clock } from './clock.js';
import { createLogin } from './login.js';
import { createArgon2Hasher, type PasswordHasher } from './passwords.js';
import { createSessionService, DEFAULT_SESSION_POLICY, type SessionPolicy } from './sessions.js';
import type { Store } from './store.js';
import { createUserService } from './users.js';

/** Options of {@link createAuthCore}. */
export interface AuthCoreOptions {
  /** Where users and sessions live. Required. */
  store: Store;
  /** Password hashing. Default: Argon2id at OWASP parameters. */
  hasher?: PasswordHasher;
  /** The source of time. Default: the system clock. */
  clock?: Clock;
  /** Session lifetimes; unset fields take {@link DEFAULT_SESSION_POLICY}. */
  sessionPolicy?: Partial<SessionPolicy>;
}

/**
 * The Gatehouse core: users, passwords, sessions and sign-in, with no HTTP and
 * no SQL. The HTTP plugin, the server and the CLI are all built on this.
 *
 * @example
 * const core = createAuthCore({ store: await openStore({ url: 'sqlite:data/gatehouse.db' }) });
 * await core.users.createUser({ username: 'Alice', password: 'correct horse battery staple' });
 * const { token } = await core.login({ username: 'alice', password: 'correct horse battery staple' });
 */
export function createAuthCore(options: AuthCoreOptions) {
  const store = options.store;
  const clock = options.clock ?? systemClock;
  const hasher = options.hasher ?? createArgon2Hasher();
  const policy: SessionPolicy = { ...DEFAULT_SESSION_POLICY, ...options.sessionPolicy };
  const sessions = createSessionService({ store, clock, policy });
  const { login, warmUp } = createLogin({ store, hasher, clock, sessions });
  return {
    store,
    clock,
    policy,
    users: createUserService({ store, hasher, clock }),
    sessions,
    login,
    warmUp,
  };
}

/** The Gatehouse core; see {@link createAuthCore}. */
export type AuthCore = ReturnType<typeof createAuthCore>;

export * from './clock.js';
export * from './errors.js';
export * from './passwords.js';
export * from './roles.js';
export * from './sessions.js';
export type * from './store.js';
export * from './usernames.js';
export * from './users.js';
export type { Login } from './login.js';
