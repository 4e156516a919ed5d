import { importJWK, jwtVerify, type JWK } from 'jose';
import { normalizeSubject, toClient, type Client } from './client-records.js';
import { type Clock, constantTimeEqual, hashSecret } from '../shared/index.js';
import { COMPACT_JWS_PATTERN, MAX_TOKEN_LENGTH } from '../jwt/index.js';
import type { ClientStore, RevocationStore } from '../store/index.js';

/** Algorithms a client may sign its `private_key_jwt` assertion with: asymmetric only. */
export const CLIENT_ASSERTION_ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256'];
/** RFC 7523 §3: the assertion type of `private_key_jwt`. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
// An assertion is meant for one request; refuse long-lived ones (replay window).
const MAX_ASSERTION_LIFETIME_SECONDS = 300;

/** The client-authentication methods; see {@link createClientAuthentication}. */
export type ClientAuthentication = ReturnType<typeof createClientAuthentication>;

/**
 * How a client proves who it is at the token endpoint: a certificate
 * (RFC 8705 mTLS), a high-entropy secret (`client_secret_basic` /
 * `client_secret_post`, stored as SHA-256) or, better, an assertion signed by
 * its own private key (RFC 7523 `private_key_jwt`): then no shared secret
 * exists at all. A public client (`none`) proves nothing and is not asked.
 */
export function createClientAuthentication({
  store,
  clock,
}: {
  store: Pick<ClientStore, 'findClientById'> & Pick<RevocationStore, 'revokeTokenId'>;
  clock: Clock;
}) {
  return {
    /**
     * RFC 8705: the client when the connection's certificate is its own:
     * a certificate the server's client CA verified with the registered
     * subject (`tls_client_auth`), or exactly the registered self-signed
     * certificate (`self_signed_tls_client_auth`). `null` when the
     * certificate is not the client's; `undefined` when no client with this
     * id authenticates by certificate (the request is some other kind).
     */
    async authenticateWithCertificate(
      clientId: string,
      presented: { thumbprint: string; subject: string; verifiedByCa: boolean },
    ): Promise<Client | null | undefined> {
      const record = await store.findClientById(clientId);
      if (!record || (record.tlsThumbprint === null && record.tlsSubject === null)) return undefined;
      if (record.tlsThumbprint !== null && constantTimeEqual(presented.thumbprint, record.tlsThumbprint))
        return toClient(record);
      if (
        record.tlsSubject !== null &&
        presented.verifiedByCa &&
        normalizeSubject(presented.subject) === record.tlsSubject
      )
        return toClient(record);
      return null;
    },

    /** The client when `secret` is its secret, else `null`. Compared in constant time. */
    async authenticateWithSecret(clientId: string, secret: string): Promise<Client | null> {
      const record = await store.findClientById(clientId);
      // Hash even for an unknown client, so that both paths cost the same.
      const presented = hashSecret(secret);
      if (!record || record.secretHash === null) return null;
      return constantTimeEqual(presented, record.secretHash) ? toClient(record) : null;
    },

    /**
     * The client when `assertion` is a valid RFC 7523 client assertion: signed
     * by the client's registered key, `iss` = `sub` = client id, `aud` the
     * issuer identifier itself (one string: RFC 7523bis and OpenID Connect
     * Core's errata close the audience injection an array or the token
     * endpoint allowed), short-lived, and its `jti` not seen before. Else `null`.
     */
    async authenticateWithAssertion(
      assertion: string,
      issuer: string,
      expectedClientId?: string,
    ): Promise<Client | null> {
      if (assertion.length > MAX_TOKEN_LENGTH || !COMPACT_JWS_PATTERN.test(assertion)) return null;
      let clientId: string;
      try {
        const payload = JSON.parse(Buffer.from(assertion.split('.')[1]!, 'base64url').toString('utf8')) as {
          sub?: unknown;
        };
        if (typeof payload.sub !== 'string') return null;
        clientId = payload.sub;
      } catch {
        return null;
      }
      if (expectedClientId !== undefined && expectedClientId !== clientId) return null;
      const record = await store.findClientById(clientId);
      if (!record?.publicJwk) return null;
      const jwk = JSON.parse(record.publicJwk) as JWK;
      try {
        const key = await importJWK(jwk, jwk.alg);
        const { payload } = await jwtVerify(assertion, key, {
          algorithms: jwk.alg ? [jwk.alg] : CLIENT_ASSERTION_ALGORITHMS,
          issuer: clientId,
          subject: clientId,
          audience: issuer,
          currentDate: new Date(clock.now()),
          clockTolerance: 30,
          requiredClaims: ['exp', 'jti'],
        });
        if (payload.aud !== issuer) return null;
        const now = Math.floor(clock.now() / 1000);
        if (!Number.isSafeInteger(payload.exp) || payload.exp! - now > MAX_ASSERTION_LIFETIME_SECONDS) return null;
        if (typeof payload.jti !== 'string' || payload.jti.length > 256) return null;
        // RFC 7523 §3: a jti is used once. Recorded until the assertion expires.
        if (!(await store.revokeTokenId(`assertion:${clientId}:${payload.jti}`, (payload.exp! + 60) * 1000)))
          return null;
        return toClient(record);
      } catch {
        return null;
      }
    },
  };
}
