import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * A software WebAuthn authenticator for the API tests: an ES256 key pair,
 * a counter, and the bytes an authenticator would produce (WebAuthn L3
 * §6.1 authenticator data, §6.5 attestation `none`, §6.3.3 assertions).
 * Test code only: the server reads these bytes through
 * @simplewebauthn/server, never through this encoder.
 */

type Cbor = number | string | Uint8Array | Cbor[] | Map<Cbor, Cbor> | { [key: string]: Cbor };

/** RFC 8949 encoding of the few types WebAuthn needs: integers, byte and text strings, arrays, maps. */
export function encodeCbor(value: Cbor): Buffer {
  const head = (major: number, length: number): Buffer => {
    if (length < 24) return Buffer.from([(major << 5) | length]);
    if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
    if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
    const out = Buffer.alloc(5);
    out[0] = (major << 5) | 26;
    out.writeUInt32BE(length, 1);
    return out;
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(encodeCbor)]);
  const entries: [Cbor, Cbor][] = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return Buffer.concat([
    head(5, entries.length),
    ...entries.flatMap(([key, item]) => [encodeCbor(key), encodeCbor(item)]),
  ]);
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64url = (data: Buffer | Uint8Array) => Buffer.from(data).toString('base64url');

/** Flags of authenticator data (WebAuthn §6.1): user present, user verified, backup eligible and state, attested data. */
const UP = 0x01;
const UV = 0x04;
const BE = 0x08;
const BS = 0x10;
const AT = 0x40;

export interface CeremonyOverrides {
  /** The origin the client data names. Default the authenticator's. */
  origin?: string;
  /** The RP ID whose hash the authenticator data carries. Default the one the options name. */
  rpId?: string;
  /** The signature counter to report (it is not advanced). Default: one more than the last. */
  counter?: number;
  /** The challenge to sign instead of the options' one. */
  challenge?: string;
}

/** One discoverable ES256 credential on a software authenticator. */
export class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  readonly aaguid = Buffer.from('ea9b8d664d011d213ce4b6b48cb575d4', 'hex');
  counter = 0;
  userHandle: string | undefined;
  readonly #privateKey: KeyObject;
  readonly #coseKey: Buffer;

  constructor(readonly origin: string) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    // RFC 9053 §7.1.1: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y.
    this.#coseKey = encodeCbor(
      new Map<Cbor, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
  }

  /** The id as the browser reports it (base64url). */
  get id(): string {
    return b64url(this.credentialId);
  }

  #clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
  }

  /** The answer to registration options, as `PublicKeyCredential.toJSON()` gives it. */
  register(
    options: { challenge: string; rp: { id?: string }; user: { id: string } },
    overrides: CeremonyOverrides = {},
  ) {
    this.userHandle = options.user.id;
    const rpId = overrides.rpId ?? options.rp.id!;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([UP | UV | BE | BS | AT]),
      counter,
      this.aaguid,
      length,
      this.credentialId,
      this.#coseKey,
    ]);
    const clientDataJSON = this.#clientData(
      'webauthn.create',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? this.origin,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(encodeCbor({ fmt: 'none', attStmt: {}, authData })),
        transports: ['internal'],
      },
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: {},
    };
  }

  /** An assertion for authentication options: the counter moves forward unless `overrides.counter` says otherwise. */
  assert(options: { challenge: string; rpId?: string }, overrides: CeremonyOverrides = {}) {
    if (overrides.counter === undefined) this.counter += 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(overrides.counter ?? this.counter);
    const authData = Buffer.concat([
      sha256(overrides.rpId ?? options.rpId!),
      Buffer.from([UP | UV | BE | BS]),
      counter,
    ]);
    const clientDataJSON = this.#clientData(
      'webauthn.get',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? this.origin,
    );
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.#privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(this.userHandle !== undefined && { userHandle: this.userHandle }),
      },
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: {},
    };
  }
}
