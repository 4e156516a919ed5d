import {
  calculateJwkThumbprint,
  compactDecrypt,
  CompactEncrypt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';
import type { Actor, AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { GatehouseError } from './errors.js';
import type { SigningKeyRecord, SigningKeyStore } from './store/index.js';

/** Asymmetric JWS algorithms Gatehouse signs with. Symmetric (HS*) and `none` never. */
export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** A public key as published in the JWKS. */
export interface PublicSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  key: CryptoKey;
  /** `kty`, `crv`, `x`(, `y`), `kid`, `alg`, `use`: the JWKS entry. */
  jwk: JWK;
}

/** What `gatehouse keys list` shows of a key. Never the private half. */
export interface SigningKeyInfo {
  kid: string;
  alg: SigningAlgorithm;
  status: 'active' | 'retired';
  createdAt: number;
  retiredAt: number | null;
  /** When a retired key leaves the JWKS. */
  expiresAt: number | null;
}

/** Options of {@link createKeyRing}. */
export interface KeyRingOptions {
  store: SigningKeyStore;
  clock: Clock;
  /** 32 bytes that encrypt private keys at rest (AES-256-GCM through JWE `dir`). */
  masterKey: Uint8Array;
  /** Algorithm of new keys. Default `EdDSA` (Ed25519). */
  algorithm?: SigningAlgorithm;
  /** The longest lifetime of any token a key signs, in seconds: how long a retired key stays published. */
  maxTokenLifetimeSeconds: number;
  /** Records rotations made by an actor. */
  audit?: AuditLog;
  /** How long the in-memory copy of the key list is trusted, in milliseconds. Default 5000. */
  cacheMilliseconds?: number;
}

// Published a little longer than the longest token lives, for clock skew between services.
const PUBLISH_MARGIN_MS = 60_000;

export interface ActiveKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
}

export interface LoadedKeys {
  loadedAt: number;
  keys: PublicSigningKey[];
  active: ActiveKey | null;
}

/** The signing-key ring; see {@link createKeyRing}. */
export type KeyRing = ReturnType<typeof createKeyRing>;

/**
 * Signing keys: one active key signs; retired keys stay published (JWKS)
 * until every token they signed has expired, then are dropped. Keys live in
 * the store, private halves encrypted under the master key, so that every
 * instance on one database signs and verifies with the same keys.
 */
export function createKeyRing(options: KeyRingOptions) {
  const { store, clock, masterKey } = options;
  if (masterKey.byteLength !== 32)
    throw new GatehouseError('ERR_CONFIG', { message: 'invalid configuration: masterKey: must be 32 bytes' });
  const algorithm = options.algorithm ?? 'EdDSA';
  const cacheMs = options.cacheMilliseconds ?? 5000;
  let cache: LoadedKeys | null = null;
  let loading: Promise<LoadedKeys> | null = null;

  async function load(): Promise<LoadedKeys> {
    const now = clock.now();
    const records = (await store.listSigningKeys()).filter(
      (record) => record.expiresAt === null || record.expiresAt > now,
    );
    const keys: PublicSigningKey[] = [];
    for (const record of records) {
      const jwk = { ...(JSON.parse(record.publicJwk) as JWK), kid: record.kid, alg: record.alg, use: 'sig' };
      keys.push({ kid: record.kid, alg: record.alg, key: (await importJWK(jwk, record.alg)) as CryptoKey, jwk });
    }
    const activeRecord = records.find((record) => record.retiredAt === null);
    const active = activeRecord
      ? { kid: activeRecord.kid, alg: activeRecord.alg, privateKey: await decryptPrivateKey(activeRecord) }
      : null;
    cache = { loadedAt: now, keys, active };
    return cache;
  }

  async function current(options: { maxAgeMs?: number } = {}): Promise<LoadedKeys> {
    if (cache && clock.now() - cache.loadedAt < (options.maxAgeMs ?? cacheMs)) return cache;
    loading ??= load().finally(() => {
      loading = null;
    });
    return loading;
  }

  async function decryptPrivateKey(record: SigningKeyRecord): Promise<CryptoKey> {
    const { plaintext } = await compactDecrypt(record.privateJwe, masterKey, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    }).catch((cause: unknown) => {
      throw new GatehouseError('ERR_CONFIG', {
        message:
          'invalid configuration: masterKey: it cannot decrypt the stored signing keys (was the master key changed?)',
        cause,
      });
    });
    return (await importJWK(JSON.parse(new TextDecoder().decode(plaintext)) as JWK, record.alg)) as CryptoKey;
  }

  async function rotate(actor?: Actor): Promise<SigningKeyInfo> {
    // Proves this master key is the deployment's before adding a key encrypted
    // under it: a key the other instances could not decrypt would stop them.
    await load();
    const { publicKey, privateKey } = await generateKeyPair(algorithm, {
      extractable: true,
      ...(algorithm === 'EdDSA' && { crv: 'Ed25519' }),
    });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateJwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(await exportJWK(privateKey))))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(masterKey);
    const now = clock.now();
    const record: SigningKeyRecord = {
      kid,
      alg: algorithm,
      publicJwk: JSON.stringify(publicJwk),
      privateJwe,
      createdAt: now,
      retiredAt: null,
      expiresAt: null,
    };
    await store.rotateSigningKey(record, now, now + options.maxTokenLifetimeSeconds * 1000 + PUBLISH_MARGIN_MS);
    await load();
    if (actor && options.audit) {
      await options.audit.record({ type: 'key.rotate', ...options.audit.from(actor), detail: { kid, alg: algorithm } });
    }
    return toInfo(record);
  }

  return {
    /** Creates the first key when there is none (first start). */
    async ensureActiveKey(): Promise<void> {
      if (!(await current({ maxAgeMs: 0 })).active) await rotate();
    },

    /** The key that signs now. @throws {GatehouseError} `ERR_UNAVAILABLE` when no key exists yet. */
    async activeKey(): Promise<ActiveKey> {
      let ring = await current();
      if (!ring.active) ring = await current({ maxAgeMs: 0 });
      if (!ring.active) throw new GatehouseError('ERR_UNAVAILABLE', { message: 'No signing key exists yet.' });
      return ring.active;
    },

    /**
     * The public key with this `kid` among this deployment's own keys, or
     * `null`. An unknown `kid` re-reads the store at most once a second, so
     * that a rotation made by another instance is seen quickly but a flood of
     * made-up `kid`s cannot hammer the database.
     */
    async verificationKey(kid: string): Promise<PublicSigningKey | null> {
      const found = (await current()).keys.find((key) => key.kid === kid);
      if (found) return found;
      return (await current({ maxAgeMs: 1000 })).keys.find((key) => key.kid === kid) ?? null;
    },

    /** The JWKS document: public keys only. */
    async jwks(): Promise<{ keys: JWK[] }> {
      return { keys: (await current()).keys.map((key) => key.jwk) };
    },

    /** Makes a new key active at once; the old ones stay published until their tokens expire. Audited with the actor given. */
    rotate,

    /**
     * Forgets the in-memory copy of the keys, so the next use reads the store:
     * called when another instance announces a rotation. Without such an
     * announcement the copy is re-read after at most `cacheMilliseconds`.
     */
    invalidate(): void {
      cache = null;
    },

    /** Every key not yet dropped: the active one first, then the retired ones, newest first. */
    async listKeys(): Promise<SigningKeyInfo[]> {
      const now = clock.now();
      return (await store.listSigningKeys())
        .filter((record) => record.expiresAt === null || record.expiresAt > now)
        .sort((a, b) => Number(a.retiredAt !== null) - Number(b.retiredAt !== null))
        .map(toInfo);
    },

    /** Drops retired keys whose tokens have all expired; returns how many. */
    async purgeExpiredKeys(): Promise<number> {
      const purged = await store.purgeExpiredSigningKeys(clock.now());
      if (purged > 0) await load();
      return purged;
    },
  };
}

function toInfo(record: SigningKeyRecord): SigningKeyInfo {
  return {
    kid: record.kid,
    alg: record.alg,
    status: record.retiredAt === null ? 'active' : 'retired',
    createdAt: record.createdAt,
    retiredAt: record.retiredAt,
    expiresAt: record.expiresAt,
  };
}
