import { APPLICATION, type Actor, type AuditLog } from '../audit/index.js';
import { type Clock, createId, createSecret, hashSecret, SECRET_PATTERN } from '../shared/index.js';
import { GatehouseError } from '../errors/index.js';
import { checkRequestedScopes, holdableScopes, type ScopeRegistry } from '../scopes/index.js';
import type { ApiKeyRecord, ApiKeyStore, UserStore } from '../store/index.js';
import { toUser, type User } from '../users/index.js';

/** Prefix of every API key, so that secret scanners recognise a leaked one. */
export const API_KEY_PREFIX = 'gh_';

/** An API key as its owner sees it after creation: never the key itself. */
export interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

const NAME_MAX = 128;
const TOUCH_INTERVAL_MS = 60_000;

function toApiKey(record: ApiKeyRecord): ApiKey {
  return {
    id: record.id,
    name: record.name,
    scopes: [...record.scopes],
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    lastUsedAt: record.lastUsedAt,
  };
}

/** The API-key operations; see {@link createApiKeys}. */
export type ApiKeys = ReturnType<typeof createApiKeys>;

/**
 * Personal API keys for scripts and CI: `gh_` + 256 random bits, shown once,
 * stored as SHA-256, limited to the scopes chosen at creation, optionally
 * expiring. Last use is recorded at most once a minute.
 */
export function createApiKeys({
  store,
  clock,
  scopes,
  audit,
}: {
  store: ApiKeyStore & Pick<UserStore, 'findUserById'>;
  clock: Clock;
  scopes: ScopeRegistry;
  audit: AuditLog;
}) {
  return {
    /**
     * Creates a key for a user; returns the key (shown once) and its record.
     * Its scopes must exist and be ones the user may hold; a key without
     * scopes holds none (it passes only routes that need no scope).
     * @throws {GatehouseError} `ERR_VALIDATION` (name, expiry), `ERR_INVALID_SCOPE`.
     */
    async createApiKey(
      user: { id: string; roles: readonly string[] },
      input: { name: string; scopes?: string | readonly string[]; expiresAt?: number | null },
      actor: Actor = APPLICATION,
    ): Promise<{ key: string; apiKey: ApiKey }> {
      const name = input.name.trim();
      if (name === '' || [...name].length > NAME_MAX || /[\p{Cc}\p{Cf}]/u.test(name)) {
        throw new GatehouseError('ERR_VALIDATION', {
          message: `An API key name has 1 to ${NAME_MAX} printable characters.`,
        });
      }
      const now = clock.now();
      if (input.expiresAt != null && !(Number.isSafeInteger(input.expiresAt) && input.expiresAt > now)) {
        throw new GatehouseError('ERR_VALIDATION', { message: 'An API key expiry must be in the future.' });
      }
      const secret = createSecret();
      const record: ApiKeyRecord = {
        id: createId(),
        userId: user.id,
        name,
        secretHash: hashSecret(secret),
        scopes: checkRequestedScopes(
          input.scopes ?? [],
          holdableScopes(await scopes.list(), { kind: 'user', roles: user.roles }),
          'user',
        ),
        createdAt: now,
        expiresAt: input.expiresAt ?? null,
        lastUsedAt: null,
      };
      await store.createApiKey(record);
      await audit.record({
        type: 'api_key.create',
        ...audit.from(actor),
        userId: user.id,
        detail: { apiKeyId: record.id, name, scopes: record.scopes },
      });
      return { key: `${API_KEY_PREFIX}${secret}`, apiKey: toApiKey(record) };
    },

    /** A user's keys, newest first. */
    async listApiKeys(userId: string): Promise<ApiKey[]> {
      return (await store.listApiKeys(userId)).map(toApiKey);
    },

    /** Revokes one of a user's keys. @throws {GatehouseError} `ERR_API_KEY_NOT_FOUND`, also for another user's key. */
    async revokeApiKey(userId: string, id: string, actor: Actor = APPLICATION): Promise<void> {
      if (!(await store.deleteApiKey(id, userId))) throw new GatehouseError('ERR_API_KEY_NOT_FOUND');
      await audit.record({ type: 'api_key.revoke', ...audit.from(actor), userId, detail: { apiKeyId: id } });
    },

    /** Whether a bearer credential looks like an API key (and so must not be tried as a JWT). */
    isApiKey(credential: string): boolean {
      return credential.startsWith(API_KEY_PREFIX);
    },

    /** The key and its (enabled) owner, or `null` for a malformed, unknown, expired key or a disabled owner. */
    async verifyApiKey(key: string): Promise<{ apiKey: ApiKey; user: User } | null> {
      const secret = key.startsWith(API_KEY_PREFIX) ? key.slice(API_KEY_PREFIX.length) : '';
      if (!SECRET_PATTERN.test(secret)) return null;
      const record = await store.findApiKeyByHash(hashSecret(secret));
      if (!record) return null;
      const now = clock.now();
      if (record.expiresAt !== null && now >= record.expiresAt) return null;
      const owner = await store.findUserById(record.userId);
      if (!owner || owner.disabled) return null;
      if (record.lastUsedAt === null || now - record.lastUsedAt >= TOUCH_INTERVAL_MS) {
        record.lastUsedAt = now;
        await store.touchApiKey(record.id, now);
      }
      return { apiKey: toApiKey(record), user: toUser(owner) };
    },
  };
}
