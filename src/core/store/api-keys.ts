/** A personal API key. Only the SHA-256 of the key is stored. */
export interface ApiKeyRecord {
  id: string;
  userId: string;
  name: string;
  secretHash: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

/** Personal API keys. */
export interface ApiKeyStore {
  createApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(secretHash: string): Promise<ApiKeyRecord | null>;
  listApiKeys(userId: string): Promise<ApiKeyRecord[]>;
  /** Deletes a key of this user; returns `false` when the user has no such key. */
  deleteApiKey(id: string, userId: string): Promise<boolean>;
  touchApiKey(id: string, lastUsedAt: number): Promise<void>;
  /** Deletes every key of a user (an administrator's password reset); returns how many went. */
  deleteUserApiKeys(userId: string): Promise<number>;
}
