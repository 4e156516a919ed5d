import { BoundedCache, systemClock, type Clock } from '../core/shared/index.js';
import type {
  ApiKeyRecord,
  ClientRecord,
  ConsentRecord,
  ScopeRecord,
  SessionRecord,
  Store,
  UserRecord,
} from '../core/store/index.js';

/** Options of {@link withReadCache}. */
/** How long the server lets a read be answered from memory unless configured, in milliseconds. */
export const DEFAULT_CACHE_TTL_MS = 500;

export interface ReadCacheOptions {
  /**
   * How long a read may be answered from memory, in milliseconds ({@link DEFAULT_CACHE_TTL_MS} in the server); 0 turns
   * the cache off. This bounds how late a change made elsewhere (another
   * instance without a shared bus, the CLI) is seen here; changes made
   * through this store are seen at once.
   */
  ttlMs: number;
  /** Most entries per kind of record. Default 10,000. */
  maxEntries?: number;
  /** Told of every change that drops entries, so that other instances can drop theirs (see {@link ReadCache.apply}). */
  onChange?: (change: CacheChange) => void;
  /** The source of time for the time to live. Default: the system clock. */
  clock?: Clock;
}

/** A change that makes cached reads wrong: what a revocation broadcast carries. */
export type CacheChange =
  | { kind: 'session'; id: string }
  | { kind: 'user-sessions'; userId: string; keepId?: string }
  | { kind: 'user'; id: string }
  | { kind: 'user-deleted'; id: string }
  | { kind: 'api-key'; id: string }
  | { kind: 'user-api-keys'; userId: string }
  | { kind: 'client'; id: string }
  | { kind: 'token-id'; jti: string }
  | { kind: 'scopes'; removed?: string }
  | { kind: 'consent'; userId: string; clientId: string };

/** A store with a read cache in front, and the way to apply another instance's changes to it. */
export interface ReadCache {
  store: Store;
  /** Drops what a change made elsewhere makes wrong. Unknown or malformed changes are ignored. */
  apply(change: CacheChange): void;
}

/**
 * How the cache treats every method of the {@link Store}: `cached` reads are
 * answered from memory; `invalidates` writes drop what they change (here
 * and, through `onChange`, on the other instances); `local` writes drop a
 * copy here only (activity times); `pass` methods go straight through (they
 * read nothing cached, or write nothing a cached read returns). Typed so
 * that a method added to the Store does not compile until it is classified
 * here, and a test holds a real store's methods to this table.
 */
export const STORE_METHODS = {
  findUserById: 'cached',
  findSessionByTokenHash: 'cached',
  findSessionById: 'cached',
  findApiKeyByHash: 'cached',
  findClientById: 'cached',
  isTokenIdRevoked: 'cached',
  listScopes: 'cached',
  findConsent: 'cached',
  updateUser: 'invalidates',
  deleteUser: 'invalidates',
  deleteSession: 'invalidates',
  rotateSessionToken: 'invalidates',
  deleteUserSessions: 'invalidates',
  deleteApiKey: 'invalidates',
  deleteUserApiKeys: 'invalidates',
  updateClientSecret: 'invalidates',
  deleteClient: 'invalidates',
  revokeTokenId: 'invalidates',
  createScope: 'invalidates',
  deleteScope: 'invalidates',
  putConsent: 'invalidates',
  renewConsentGrant: 'invalidates',
  deleteConsent: 'invalidates',
  touchSession: 'local',
  touchApiKey: 'local',
  // Creations: only hits are cached, so a new row is found by the next read.
  createUser: 'pass',
  createSession: 'pass',
  createClient: 'pass',
  createApiKey: 'pass',
  createRefreshToken: 'pass',
  createLoginChallenge: 'pass',
  // Reads and writes of rows no cached read returns.
  findUserByKey: 'pass',
  listUsers: 'pass',
  countUsers: 'pass',
  listSessions: 'pass',
  purgeExpiredSessions: 'pass',
  countSessions: 'pass',
  listSigningKeys: 'pass',
  rotateSigningKey: 'pass',
  purgeExpiredSigningKeys: 'pass',
  findClientByName: 'pass',
  listClients: 'pass',
  findRefreshTokenByHash: 'pass',
  markRefreshTokenUsed: 'pass',
  deleteRefreshTokenFamily: 'pass',
  purgeExpiredRefreshTokens: 'pass',
  deleteUserClientRefreshTokens: 'pass',
  listUserConsents: 'pass',
  createAuthorizationCode: 'pass',
  findAuthorizationCode: 'pass',
  markAuthorizationCodeUsed: 'pass',
  setAuthorizationCodeTokens: 'pass',
  markAuthorizationCodeReplayed: 'pass',
  purgeExpiredAuthorizationCodes: 'pass',
  createAuthorizationRequest: 'pass',
  findAuthorizationRequest: 'pass',
  deleteAuthorizationRequest: 'pass',
  purgeExpiredAuthorizationRequests: 'pass',
  listApiKeys: 'pass',
  purgeExpiredRevocations: 'pass',
  appendAuditEvent: 'pass',
  listAuditEvents: 'pass',
  findTwoFactor: 'pass',
  putPendingTwoFactor: 'pass',
  confirmTwoFactor: 'pass',
  advanceTwoFactorStep: 'pass',
  deleteTwoFactor: 'pass',
  useRecoveryCode: 'pass',
  countUnusedRecoveryCodes: 'pass',
  findLoginChallenge: 'pass',
  deleteLoginChallenge: 'pass',
  deleteUserLoginChallenges: 'pass',
  purgeExpiredLoginChallenges: 'pass',
  // Passkeys are read at sign-in and on the account page, never on a signed-in request's hot path.
  createPasskey: 'pass',
  findPasskeyByCredentialId: 'pass',
  listPasskeys: 'pass',
  recordPasskeyUse: 'pass',
  renamePasskey: 'pass',
  deletePasskey: 'pass',
  deleteUserPasskeys: 'pass',
  createPasskeyChallenge: 'pass',
  takePasskeyChallenge: 'pass',
  purgeExpiredPasskeyChallenges: 'pass',
  ping: 'pass',
  readDeploymentId: 'pass',
  close: 'pass',
} as const satisfies Record<keyof Store, 'cached' | 'invalidates' | 'local' | 'pass'>;

type InvalidatingMethod = {
  [M in keyof Store]: (typeof STORE_METHODS)[M] extends 'invalidates' ? M : never;
}[keyof Store];

/** What each invalidating write changes, from its arguments: what a revocation broadcast carries. */
const CHANGES: { [M in InvalidatingMethod]: (...args: Parameters<Store[M]>) => CacheChange } = {
  updateUser: (id) => ({ kind: 'user', id }),
  deleteUser: (id) => ({ kind: 'user-deleted', id }),
  deleteSession: (id) => ({ kind: 'session', id }),
  // The old token must stop working on every instance at once: the session's copies go.
  rotateSessionToken: (id) => ({ kind: 'session', id }),
  deleteUserSessions: (userId, options) => ({
    kind: 'user-sessions',
    userId,
    ...(options?.keepId !== undefined && { keepId: options.keepId }),
  }),
  deleteApiKey: (id) => ({ kind: 'api-key', id }),
  deleteUserApiKeys: (userId) => ({ kind: 'user-api-keys', userId }),
  updateClientSecret: (id) => ({ kind: 'client', id }),
  deleteClient: (id) => ({ kind: 'client', id }),
  revokeTokenId: (jti) => ({ kind: 'token-id', jti }),
  createScope: () => ({ kind: 'scopes' }),
  deleteScope: (name) => ({ kind: 'scopes', removed: name }),
  putConsent: (consent) => ({ kind: 'consent', userId: consent.userId, clientId: consent.clientId }),
  renewConsentGrant: (userId, clientId) => ({ kind: 'consent', userId, clientId }),
  deleteConsent: (userId, clientId) => ({ kind: 'consent', userId, clientId }),
};

/**
 * The store with every invalidating write reported to `onChange` once it
 * has run (also when it failed half-way): what the read cache drops, and
 * what the CLI announces to running instances.
 */
export function announceChanges(store: Store, onChange: (change: CacheChange) => void): Store {
  const wrapped: Partial<Record<InvalidatingMethod, unknown>> = {};
  for (const name of Object.keys(CHANGES) as InvalidatingMethod[]) {
    const run = (store[name] as (...args: unknown[]) => Promise<unknown>).bind(store);
    const describe = CHANGES[name] as (...args: unknown[]) => CacheChange;
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await run(...args);
      } finally {
        onChange(describe(...args));
      }
    };
  }
  return { ...store, ...(wrapped as Pick<Store, InvalidatingMethod>) };
}

/**
 * Puts a bounded in-process cache in front of the reads a signed-in request
 * makes: session by token digest or id, user by id, API key by digest, client
 * by id, "this token id is not revoked", and the scope registry. Every write
 * through this store drops the entries it could make wrong (and reports the
 * change through `onChange`), so this process never serves a revoked
 * session, a disabled user or a deleted key; other processes' writes are seen
 * when their change is applied here, or at the latest within `ttlMs`.
 *
 * Only hits are cached: a miss (an unknown token) always asks the database,
 * so nothing created elsewhere is hidden, and garbage cannot fill the cache.
 * A read that was in flight while any change was made is not cached (it may
 * have read the row before the write). Records are shared with the caller,
 * so the core's in-place updates of last-seen times (which it also writes
 * through) stay visible.
 */
export function withReadCache(store: Store, options: ReadCacheOptions): ReadCache {
  if (options.ttlMs <= 0) return { store, apply: () => undefined };
  const ttl = options.ttlMs;
  const clock = options.clock ?? systemClock;
  const max = options.maxEntries ?? 10_000;
  const sessionsByHash = new BoundedCache<string, SessionRecord>(max);
  const sessionsById = new BoundedCache<string, SessionRecord>(max);
  // Which token digest a cached session is under, so that a write by id can drop that copy too.
  const tokenHashOf = new BoundedCache<string, string>(max);
  const users = new BoundedCache<string, UserRecord>(max);
  const apiKeys = new BoundedCache<string, ApiKeyRecord>(max);
  const clients = new BoundedCache<string, ClientRecord>(max);
  const liveTokenIds = new BoundedCache<string, true>(max);
  const scopes = new BoundedCache<'all', ScopeRecord[]>(1);
  // By `userId clientId` (ids contain no space).
  const consents = new BoundedCache<string, ConsentRecord>(max);
  // Bumped by every change: a read that began before it must not be cached after it.
  let generation = 0;

  /** A read-through wrapper: answer from `cache` while fresh, else read and keep a hit. */
  function cached<K, V>(
    cache: BoundedCache<K, V>,
    read: (key: K) => Promise<V | null>,
    keep: (value: V | null) => boolean,
  ) {
    return async (key: K): Promise<V | null> => {
      const hit = cache.get(key, clock.now());
      if (hit !== undefined) return hit;
      const started = generation;
      const value = await read(key);
      if (keep(value) && generation === started) cache.set(key, value as V, clock.now() + ttl);
      return value;
    };
  }
  const found = <V>(value: V | null) => value !== null;

  function dropSessions(matches: (record: SessionRecord) => boolean): void {
    sessionsByHash.deleteWhere(matches);
    sessionsById.deleteWhere(matches);
  }

  function apply(change: CacheChange): void {
    generation += 1;
    switch (change?.kind) {
      case 'session':
        return dropSessions((record) => record.id === change.id);
      case 'user-sessions':
        return dropSessions((record) => record.userId === change.userId && record.id !== change.keepId);
      case 'user':
        return users.delete(change.id);
      case 'user-deleted':
        users.delete(change.id);
        dropSessions((record) => record.userId === change.id);
        consents.deleteWhere((record) => record.userId === change.id);
        return apiKeys.deleteWhere((record) => record.userId === change.id);
      case 'api-key':
        return apiKeys.deleteWhere((record) => record.id === change.id);
      case 'user-api-keys':
        return apiKeys.deleteWhere((record) => record.userId === change.userId);
      case 'client':
        consents.deleteWhere((record) => record.clientId === change.id);
        return clients.delete(change.id);
      case 'token-id':
        return liveTokenIds.delete(change.jti);
      case 'scopes': {
        scopes.clear();
        // A removed scope was stripped from the stored keys, clients and consents too: drop the copies that carry it.
        const removed = change.removed;
        if (typeof removed !== 'string') return undefined;
        apiKeys.deleteWhere((record) => record.scopes.includes(removed));
        clients.deleteWhere((record) => record.scopes.includes(removed));
        return consents.deleteWhere((record) => record.scopes.includes(removed));
      }
      case 'consent':
        return consents.delete(`${change.userId} ${change.clientId}`);
      default:
        return undefined;
    }
  }

  const passed = Object.fromEntries(
    (Object.keys(STORE_METHODS) as (keyof Store)[])
      .filter((name) => STORE_METHODS[name] === 'pass')
      .map((name) => [name, (store[name] as (...args: unknown[]) => unknown).bind(store)]),
  ) as Pick<Store, { [M in keyof Store]: (typeof STORE_METHODS)[M] extends 'pass' ? M : never }[keyof Store]>;

  const findConsent = cached(
    consents,
    (key: string) => {
      const [userId, clientId] = key.split(' ') as [string, string];
      return store.findConsent(userId, clientId);
    },
    found,
  );

  const isRevoked = cached(
    liveTokenIds,
    async (jti: string) => ((await store.isTokenIdRevoked(jti)) ? null : (true as const)),
    found,
  );

  // Writes drop what they change here, and tell the other instances.
  const announced = announceChanges(store, (change) => {
    apply(change);
    options.onChange?.(change);
  });
  const invalidating = Object.fromEntries(
    (Object.keys(CHANGES) as InvalidatingMethod[]).map((name) => [name, announced[name]]),
  ) as Pick<Store, InvalidatingMethod>;

  return {
    apply,
    store: {
      ...passed,
      ...invalidating,
      findSessionByTokenHash: cached(
        sessionsByHash,
        async (hash) => {
          const record = await store.findSessionByTokenHash(hash);
          if (record) tokenHashOf.set(record.id, hash, clock.now() + ttl);
          return record;
        },
        found,
      ),
      findSessionById: cached(sessionsById, (id) => store.findSessionById(id), found),
      findUserById: cached(users, (id) => store.findUserById(id), found),
      findApiKeyByHash: cached(apiKeys, (hash) => store.findApiKeyByHash(hash), found),
      findClientById: cached(clients, (id) => store.findClientById(id), found),
      findConsent: (userId, clientId) => findConsent(`${userId} ${clientId}`),
      // Only "not revoked" is cached: a revocation made elsewhere shows within the time to live at worst.
      isTokenIdRevoked: async (jti) => (await isRevoked(jti)) === null,
      listScopes: async () =>
        (await cached(
          scopes,
          () => store.listScopes(),
          () => true,
        )('all')) ?? [],
      touchSession(id, lastSeenAt, expiresAt) {
        // The core updates the record it read before writing; the copy under the other key may be older.
        sessionsById.delete(id);
        const hash = tokenHashOf.get(id, clock.now());
        if (hash !== undefined) sessionsByHash.delete(hash);
        return store.touchSession(id, lastSeenAt, expiresAt);
      },
      touchApiKey(id, lastUsedAt) {
        apiKeys.deleteWhere((record) => record.id === id);
        return store.touchApiKey(id, lastUsedAt);
      },
    },
  };
}
