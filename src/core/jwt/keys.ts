import {
  calculateJwkThumbprint,
  compactDecrypt,
  CompactEncrypt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';
import type { Actor, AuditLog } from '../audit/index.js';
import type { Clock } from '../shared/index.js';
import { GatehouseError } from '../errors/index.js';
import type { SigningKeyRecord, SigningKeyStore } from '../store/index.js';

/** Asymmetric JWS algorithms Gatehouse signs access tokens with. Symmetric (HS*) and `none` never. */
export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/**
 * Every algorithm of the key ring: the access-token ones, and RS256, which
 * OpenID Connect Core §15.1 requires of every provider for ID tokens (the
 * default of clients that name none). RS256 never signs an access token.
 */
export const KEY_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** A public key as published in the JWKS. */
export interface PublicSigningKey {
  kid: string;
  alg: KeyAlgorithm;
  key: CryptoKey;
  /** `kty`, `crv`, `x`(, `y`), `kid`, `alg`, `use`: the JWKS entry. */
  jwk: JWK;
}

/** What `gatehouse keys list` shows of a key. Never the private half. */
export interface SigningKeyInfo {
  kid: string;
  alg: KeyAlgorithm;
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
  alg: KeyAlgorithm;
  privateKey: CryptoKey;
}

export interface LoadedKeys {
  loadedAt: number;
  keys: PublicSigningKey[];
  /** The key that signs now, per algorithm. */
  active: Map<KeyAlgorithm, ActiveKey>;
}

/** The signing-key ring; see {@link createKeyRing}. */
export type KeyRing = ReturnType<typeof createKeyRing>;

/**
 * Signing keys: one active key per algorithm signs (the configured one for
 * access tokens; RS256 too once an ID token needs it); retired keys stay
 * published (JWKS) until every token they signed has expired, then are dropped. Keys live in
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
    const active = new Map<KeyAlgorithm, ActiveKey>();
    for (const record of records.filter((item) => item.retiredAt === null)) {
      if (!active.has(record.alg)) {
        active.set(record.alg, { kid: record.kid, alg: record.alg, privateKey: await decryptPrivateKey(record) });
      }
    }
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

  /** Makes a new key of `alg` active; the old one of that algorithm is retired. */
  async function rotateOne(alg: KeyAlgorithm, actor?: Actor): Promise<SigningKeyInfo> {
    // Proves this master key is the deployment's before adding a key encrypted
    // under it: a key the other instances could not decrypt would stop them.
    await load();
    const { publicKey, privateKey } = await generateKeyPair(alg, {
      extractable: true,
      ...(alg === 'EdDSA' && { crv: 'Ed25519' }),
      ...(alg === 'RS256' && { modulusLength: 2048 }),
    });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateJwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(await exportJWK(privateKey))))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(masterKey);
    const now = clock.now();
    const record: SigningKeyRecord = {
      kid,
      alg,
      publicJwk: JSON.stringify(publicJwk),
      privateJwe,
      createdAt: now,
      retiredAt: null,
      expiresAt: null,
    };
    await store.rotateSigningKey(record, now, now + options.maxTokenLifetimeSeconds * 1000 + PUBLISH_MARGIN_MS);
    await load();
    if (actor && options.audit) {
      await options.audit.record({ type: 'key.rotate', ...options.audit.from(actor), detail: { kid, alg } });
    }
    return toInfo(record);
  }

  /**
   * Makes a new key active at once for the configured algorithm, and for
   * every other algorithm that has an active key (RS256 for ID tokens);
   * returns the configured algorithm's new key.
   */
  async function rotate(actor?: Actor): Promise<SigningKeyInfo> {
    const others = [...(await current({ maxAgeMs: 0 })).active.keys()].filter((alg) => alg !== algorithm);
    const primary = await rotateOne(algorithm, actor);
    for (const alg of others) await rotateOne(alg, actor);
    return primary;
  }

  return {
    /** Creates the first key of `alg` (default: the configured one) when there is none. */
    async ensureActiveKey(alg: KeyAlgorithm = algorithm): Promise<void> {
      if (!(await current({ maxAgeMs: 0 })).active.has(alg)) await rotateOne(alg);
    },

    /**
     * The key that signs now with `alg` (default: the configured one, for
     * access tokens). `create`: make the first one of that algorithm when
     * there is none (RS256, on the first ID token that needs it).
     * @throws {GatehouseError} `ERR_UNAVAILABLE` when no key exists yet.
     */
    async activeKey(alg: KeyAlgorithm = algorithm, options: { create?: boolean } = {}): Promise<ActiveKey> {
      let ring = await current();
      if (!ring.active.has(alg)) ring = await current({ maxAgeMs: 0 });
      if (!ring.active.has(alg) && options.create) {
        await rotateOne(alg);
        ring = await current({ maxAgeMs: 0 });
      }
      const active = ring.active.get(alg);
      if (!active) throw new GatehouseError('ERR_UNAVAILABLE', { message: 'No signing key exists yet.' });
      return active;
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

    /** Makes new keys active at once; the old ones stay published until their tokens expire. Audited with the actor given. */
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
