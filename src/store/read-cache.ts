import { BoundedCache } from '../core/bounded-cache.js';
import type { ApiKeyRecord, ClientRecord, SessionRecord, Store, UserRecord } from '../core/store.js';

/** Options of {@link withReadCache}. */
export interface ReadCacheOptions {
  /**
   * How long a read may be answered from memory, in milliseconds; 0 turns
   * the cache off. This bounds how late a change made elsewhere (another
   * instance without a shared bus, the CLI) is seen here; changes made
   * through this store are seen at once.
   */
  ttlMs: number;
  /** Most entries per kind of record. Default 10,000. */
  maxEntries?: number;
  /** Told of every change that drops entries, so that other instances can drop theirs (see {@link ReadCache.apply}). */
  onChange?: (change: CacheChange) => void;
}

/** A change that makes cached reads wrong: what a revocation broadcast carries. */
export type CacheChange =
  | { kind: 'session'; id: string }
  | { kind: 'user-sessions'; userId: string; keepId?: string }
  | { kind: 'user'; id: string }
  | { kind: 'user-deleted'; id: string }
  | { kind: 'api-key'; id: string }
  | { kind: 'client'; id: string }
  | { kind: 'token-id'; jti: string };

/** A store with a read cache in front, and the way to apply another instance's changes to it. */
export interface ReadCache {
  store: Store;
  /** Drops what a change made elsewhere makes wrong. Unknown or malformed changes are ignored. */
  apply(change: CacheChange): void;
}

/**
 * Puts a bounded in-process cache in front of the reads a signed-in request
 * makes: session by token digest or id, user by id, API key by digest, client
 * by id, and "this token id is not revoked". Every write through this store
 * drops the entries it could make wrong (and reports the change through
 * `onChange`), so this process never serves a revoked session, a disabled
 * user or a deleted key; other processes' writes are seen when their change
 * is applied here, or at the latest within `ttlMs`.
 *
 * Only hits are cached: a miss (an unknown token) always asks the database,
 * so nothing created elsewhere is hidden, and garbage cannot fill the cache.
 * Records are shared with the caller, so the core's in-place updates of
 * last-seen times (which it also writes through) stay visible.
 */
export function withReadCache(store: Store, options: ReadCacheOptions): ReadCache {
  if (options.ttlMs <= 0) return { store, apply: () => undefined };
  const ttl = options.ttlMs;
  const max = options.maxEntries ?? 10_000;
  const sessionsByHash = new BoundedCache<string, SessionRecord>(max);
  const sessionsById = new BoundedCache<string, SessionRecord>(max);
  const users = new BoundedCache<string, UserRecord>(max);
  const apiKeys = new BoundedCache<string, ApiKeyRecord>(max);
  const clients = new BoundedCache<string, ClientRecord>(max);
  const liveTokenIds = new BoundedCache<string, true>(max);

  /** A read-through wrapper: answer from `cache` while fresh, else read and keep a hit. */
  function cached<V>(cache: BoundedCache<string, V>, read: (key: string) => Promise<V | null>) {
    return async (key: string): Promise<V | null> => {
      const now = Date.now();
      const hit = cache.get(key, now);
      if (hit !== undefined) return hit;
      const value = await read(key);
      if (value !== null) cache.set(key, value, now + ttl);
      return value;
    };
  }

  function dropSessions(matches: (record: SessionRecord) => boolean): void {
    sessionsByHash.deleteWhere(matches);
    sessionsById.deleteWhere(matches);
  }

  function apply(change: CacheChange): void {
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
        return apiKeys.deleteWhere((record) => record.userId === change.id);
      case 'api-key':
        return apiKeys.deleteWhere((record) => record.id === change.id);
      case 'client':
        return clients.delete(change.id);
      case 'token-id':
        return liveTokenIds.delete(change.jti);
      default:
        return undefined;
    }
  }

  /** Runs a write, then drops what it changed here and tells the others (also when the write failed half-way). */
  async function write<T>(change: CacheChange, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } finally {
      apply(change);
      options.onChange?.(change);
    }
  }

  return {
    apply,
    store: {
      ...store,
      findSessionByTokenHash: cached(sessionsByHash, (hash) => store.findSessionByTokenHash(hash)),
      findSessionById: cached(sessionsById, (id) => store.findSessionById(id)),
      findUserById: cached(users, (id) => store.findUserById(id)),
      findApiKeyByHash: cached(apiKeys, (hash) => store.findApiKeyByHash(hash)),
      findClientById: cached(clients, (id) => store.findClientById(id)),
      async isTokenIdRevoked(jti) {
        const now = Date.now();
        if (liveTokenIds.get(jti, now)) return false;
        const revoked = await store.isTokenIdRevoked(jti);
        if (!revoked) liveTokenIds.set(jti, true, now + ttl);
        return revoked;
      },
      touchSession(id, lastSeenAt, expiresAt) {
        // The core updates the record it read by token before writing; a copy read by id may be older.
        sessionsById.delete(id);
        return store.touchSession(id, lastSeenAt, expiresAt);
      },
      touchApiKey(id, lastUsedAt) {
        apiKeys.deleteWhere((record) => record.id === id);
        return store.touchApiKey(id, lastUsedAt);
      },
      updateUser: (id, changes) => write({ kind: 'user', id }, () => store.updateUser(id, changes)),
      deleteUser: (id) => write({ kind: 'user-deleted', id }, () => store.deleteUser(id)),
      deleteSession: (id) => write({ kind: 'session', id }, () => store.deleteSession(id)),
      deleteUserSessions: (userId, deleteOptions) =>
        write(
          {
            kind: 'user-sessions',
            userId,
            ...(deleteOptions?.keepId !== undefined && { keepId: deleteOptions.keepId }),
          },
          () => store.deleteUserSessions(userId, deleteOptions),
        ),
      deleteApiKey: (id, userId) => write({ kind: 'api-key', id }, () => store.deleteApiKey(id, userId)),
      updateClientSecret: (id, secretHash, updatedAt) =>
        write({ kind: 'client', id }, () => store.updateClientSecret(id, secretHash, updatedAt)),
      deleteClient: (id) => write({ kind: 'client', id }, () => store.deleteClient(id)),
      revokeTokenId: (jti, expiresAt) => write({ kind: 'token-id', jti }, () => store.revokeTokenId(jti, expiresAt)),
    },
  };
}
