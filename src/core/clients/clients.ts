import { createHash, X509Certificate } from 'node:crypto';
import { importJWK, jwtVerify, type JWK } from 'jose';
import { type Clock, constantTimeEqual, createId, createSecret, hashSecret } from '../shared/index.js';
import { GatehouseError } from '../errors/index.js';
import { COMPACT_JWS_PATTERN, MAX_TOKEN_LENGTH, KEY_ALGORITHMS, type KeyAlgorithm } from '../jwt/index.js';
import { APPLICATION, type Actor, type AuditLog } from '../audit/index.js';
import { checkRequestedScopes, holdableScopes, OIDC_SCOPES, type ScopeRegistry } from '../scopes/index.js';
import { checkRedirectUri } from './redirect-uris.js';
import type { ClientRecord, ClientStore, RevocationStore } from '../store/index.js';

/** The grants a client may be registered for. */
export const GRANT_TYPES = ['client_credentials', 'authorization_code', 'refresh_token'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** OpenID Connect Core §3.1.3.7: the ID-token algorithm of a client that names none. */
export const DEFAULT_ID_TOKEN_ALGORITHM: KeyAlgorithm = 'RS256';
/** Most redirect URIs (or post-logout redirect URIs) per client. */
const MAX_REDIRECT_URIS = 20;

/**
 * A client as shown to operators: a service acting as itself (client
 * credentials), an app users sign in to (authorization code), or both.
 * Never the secret or its hash.
 */
export interface Client {
  id: string;
  name: string;
  /** `public`: a browser or native app, with no credential of its own (authenticates with `none`). */
  type: 'confidential' | 'public';
  /** As itself: the scopes it may be granted; as an app: the scopes it may ask users for, beside OpenID Connect's. */
  scopes: string[];
  grantTypes: GrantType[];
  /** Where the authorization endpoint may send the browser back, compared exactly. */
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** Operated by the deployment itself: its users are not asked to consent. */
  firstParty: boolean;
  /** The algorithm of its ID tokens. */
  idTokenAlg: KeyAlgorithm;
  /** How it may authenticate at the token endpoint. */
  authMethods: (
    | 'client_secret_basic'
    | 'client_secret_post'
    | 'private_key_jwt'
    | 'tls_client_auth'
    | 'self_signed_tls_client_auth'
    | 'none'
  )[];
  /** The subject DN of its CA-issued certificate (`tls_client_auth`), if any. */
  tlsSubject?: string;
  createdAt: number;
  updatedAt: number;
}

/** Algorithms a client may sign its `private_key_jwt` assertion with: asymmetric only. */
export const CLIENT_ASSERTION_ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256'];
/** RFC 7523 §3: the assertion type of `private_key_jwt`. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
// An assertion is meant for one request; refuse long-lived ones (replay window).
const MAX_ASSERTION_LIFETIME_SECONDS = 300;
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function toClient(record: ClientRecord): Client {
  return {
    id: record.id,
    name: record.name,
    type: record.type,
    scopes: [...record.scopes],
    grantTypes: record.grantTypes.filter((grant): grant is GrantType =>
      (GRANT_TYPES as readonly string[]).includes(grant),
    ),
    redirectUris: [...record.redirectUris],
    postLogoutRedirectUris: [...record.postLogoutRedirectUris],
    firstParty: record.firstParty,
    idTokenAlg: (KEY_ALGORITHMS as readonly string[]).includes(record.idTokenAlg ?? '')
      ? (record.idTokenAlg as KeyAlgorithm)
      : DEFAULT_ID_TOKEN_ALGORITHM,
    authMethods: [
      ...(record.type === 'public' ? (['none'] as const) : []),
      ...(record.secretHash !== null ? (['client_secret_basic', 'client_secret_post'] as const) : []),
      ...(record.publicJwk !== null ? (['private_key_jwt'] as const) : []),
      ...(record.tlsSubject !== null ? (['tls_client_auth'] as const) : []),
      ...(record.tlsThumbprint !== null ? (['self_signed_tls_client_auth'] as const) : []),
    ],
    ...(record.tlsSubject !== null && { tlsSubject: record.tlsSubject }),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/**
 * A subject DN in one spelling: RDNs in the order given, separated by
 * commas without spaces, attribute names upper-cased (`cn=orders, o=Example`
 * and `CN=orders,O=Example` are the same). Values compare exactly.
 */
export function normalizeSubject(subject: string): string {
  const parts = subject.split(/\s*[,\n]\s*/).filter(Boolean);
  const normalized = parts.map((part) => {
    const equals = part.indexOf('=');
    if (equals <= 0)
      throw new GatehouseError('ERR_VALIDATION', {
        message: 'A subject DN is NAME=value pairs separated by commas, e.g. CN=orders,O=Example.',
      });
    return `${part.slice(0, equals).trim().toUpperCase()}=${part.slice(equals + 1).trim()}`;
  });
  if (normalized.length === 0 || normalized.join(',').length > 1024)
    throw new GatehouseError('ERR_VALIDATION', { message: 'A subject DN is 1 to 1024 characters.' });
  return normalized.join(',');
}

/** RFC 8705 §3.1 `x5t#S256`: the base64url SHA-256 of a certificate's DER. @throws {GatehouseError} `ERR_VALIDATION` for a PEM that is not one certificate. */
export function certificateThumbprint(pem: string | Buffer): string {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new GatehouseError('ERR_VALIDATION', { message: 'The client certificate is not a PEM X.509 certificate.' });
  }
  return createHash('sha256').update(certificate.raw).digest('base64url');
}

/** The client operations; see {@link createClientService}. */
export type ClientService = ReturnType<typeof createClientService>;

/**
 * Service clients of the token endpoint. A client authenticates with a
 * high-entropy secret (stored as SHA-256) or, better, with an assertion
 * signed by its own private key (RFC 7523 `private_key_jwt`): then no shared
 * secret exists at all.
 */
export function createClientService({
  store,
  clock,
  scopes: registry,
  audit,
}: {
  store: ClientStore & Pick<RevocationStore, 'revokeTokenId'>;
  clock: Clock;
  scopes: ScopeRegistry;
  audit: AuditLog;
}) {
  async function requireClient(nameOrId: string): Promise<ClientRecord> {
    const record = (await store.findClientByName(nameOrId)) ?? (await store.findClientById(nameOrId));
    if (!record) throw new GatehouseError('ERR_CLIENT_NOT_FOUND');
    return record;
  }

  return {
    /**
     * Registers a client. A confidential client authenticates with
     * `publicJwk` (`private_key_jwt`, no secret), a certificate, or else a
     * secret, returned once; a public client (a browser or native app) with
     * nothing. Its grants default to `client_credentials`, or to
     * `authorization_code` and `refresh_token` when it has redirect URIs.
     * As itself, its scopes must be ones a client may hold (no
     * role-restricted scope; the reserved `metrics` and `introspect` only this
     * way); an app's scopes are those it may ask users for.
     * @throws {GatehouseError} `ERR_VALIDATION` (name, type, grants, URIs), `ERR_INVALID_SCOPE`, `ERR_INVALID_CLIENT_KEY`, `ERR_CLIENT_EXISTS`.
     */
    async createClient(
      input: {
        name: string;
        scopes: string | readonly string[];
        publicJwk?: JWK;
        /** RFC 8705: a CA-issued certificate's subject DN (`tls_client_auth`), or a self-signed certificate, PEM, pinned by its thumbprint. */
        tls?: { subject: string } | { certificate: string };
        type?: 'confidential' | 'public';
        grantTypes?: readonly string[];
        redirectUris?: readonly string[];
        postLogoutRedirectUris?: readonly string[];
        firstParty?: boolean;
        idTokenAlg?: string;
      },
      actor: Actor = APPLICATION,
    ): Promise<{ client: Client; secret: string | null }> {
      const invalid = (message: string) => new GatehouseError('ERR_VALIDATION', { message });
      if (!CLIENT_NAME.test(input.name)) {
        throw invalid('A client name is 1 to 64 letters, digits, . _ or -, starting with a letter or digit.');
      }
      const type = input.type ?? 'confidential';
      if (type !== 'confidential' && type !== 'public') throw invalid('A client type is confidential or public.');
      const redirectUris = uniqueUris(input.redirectUris ?? [], type, 'redirect URIs');
      const postLogoutRedirectUris = uniqueUris(input.postLogoutRedirectUris ?? [], type, 'post-logout redirect URIs');
      const grantTypes = checkGrantTypes(
        input.grantTypes ??
          (redirectUris.length > 0 ? ['authorization_code', 'refresh_token'] : ['client_credentials']),
        type,
      );
      const app = grantTypes.includes('authorization_code');
      if (app !== redirectUris.length > 0) {
        throw invalid(
          app
            ? 'A client of the authorization code grant needs at least one redirect URI.'
            : 'Redirect URIs are for clients of the authorization code grant.',
        );
      }
      if (!app && (postLogoutRedirectUris.length > 0 || input.firstParty || input.idTokenAlg !== undefined)) {
        throw invalid(
          'Post-logout redirect URIs, first-party and the ID-token algorithm are for apps users sign in to.',
        );
      }
      if (input.idTokenAlg !== undefined && !(KEY_ALGORITHMS as readonly string[]).includes(input.idTokenAlg)) {
        throw invalid(`The ID-token algorithm is one of ${KEY_ALGORITHMS.join(', ')}.`);
      }
      if (type === 'public' && (input.publicJwk || input.tls)) {
        throw invalid('A public client has no credential: no key pair and no certificate.');
      }
      const all = await registry.list();
      // As itself it holds only what a client may hold; as an app what some user could, and OpenID Connect's
      // own (always available to apps; accepted when given, so that `--scope openid` means what it says).
      const available = [
        ...(grantTypes.includes('client_credentials')
          ? holdableScopes(all, { kind: 'client' })
          : all.filter((scope) => scope.heldBy === 'everyone' || scope.heldBy === 'users').map((scope) => scope.name)),
        ...(app ? OIDC_SCOPES : []),
      ];
      const scopes = checkRequestedScopes(input.scopes, available, 'client', { registry: all });
      const publicJwk = input.publicJwk ? await checkPublicJwk(input.publicJwk) : null;
      if (input.tls && publicJwk) throw invalid('A client authenticates with a key pair or a certificate, not both.');
      // A key pair or a certificate is the credential: then no shared secret exists; a public client has none at all.
      const secret = type === 'public' || publicJwk || input.tls ? null : createSecret();
      const now = clock.now();
      const record: ClientRecord = {
        id: createId(),
        name: input.name,
        secretHash: secret === null ? null : hashSecret(secret),
        publicJwk: publicJwk === null ? null : JSON.stringify(publicJwk),
        tlsSubject: input.tls && 'subject' in input.tls ? normalizeSubject(input.tls.subject) : null,
        tlsThumbprint: input.tls && 'certificate' in input.tls ? certificateThumbprint(input.tls.certificate) : null,
        scopes,
        type,
        grantTypes,
        redirectUris,
        postLogoutRedirectUris,
        firstParty: input.firstParty ?? false,
        idTokenAlg: input.idTokenAlg ?? null,
        createdAt: now,
        updatedAt: now,
      };
      if (!(await store.createClient(record))) throw new GatehouseError('ERR_CLIENT_EXISTS');
      const client = toClient(record);
      await audit.record({
        type: 'client.create',
        ...audit.from(actor),
        detail: {
          clientId: client.id,
          name: client.name,
          clientType: type,
          grantTypes,
          scopes,
          authMethods: client.authMethods,
          ...(app && { redirectUris, firstParty: client.firstParty }),
        },
      });
      return { client, secret };
    },

    /** Every client, by name. */
    async listClients(): Promise<Client[]> {
      return (await store.listClients()).map(toClient);
    },

    /** A client by name or id, or `null`. */
    async findClient(nameOrId: string): Promise<Client | null> {
      const record = (await store.findClientByName(nameOrId)) ?? (await store.findClientById(nameOrId));
      return record ? toClient(record) : null;
    },

    /** Replaces the secret; the old one stops working at once. Returns the new secret, once. @throws {GatehouseError} `ERR_CLIENT_NOT_FOUND`. */
    async rotateClientSecret(
      nameOrId: string,
      actor: Actor = APPLICATION,
    ): Promise<{ client: Client; secret: string }> {
      const record = await requireClient(nameOrId);
      if (record.type === 'public' || record.secretHash === null) {
        throw new GatehouseError('ERR_VALIDATION', {
          message: 'This client has no secret: it authenticates with a key pair, a certificate, or (public) nothing.',
        });
      }
      const secret = createSecret();
      await store.updateClientSecret(record.id, hashSecret(secret), clock.now());
      await audit.record({
        type: 'client.rotate_secret',
        ...audit.from(actor),
        detail: { clientId: record.id, name: record.name },
      });
      return { client: toClient({ ...record, secretHash: hashSecret(secret) }), secret };
    },

    /** Removes a client. @throws {GatehouseError} `ERR_CLIENT_NOT_FOUND`. */
    async removeClient(nameOrId: string, actor: Actor = APPLICATION): Promise<void> {
      const record = await requireClient(nameOrId);
      await store.deleteClient(record.id);
      await audit.record({
        type: 'client.remove',
        ...audit.from(actor),
        detail: { clientId: record.id, name: record.name },
      });
    },

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

/** Registered URIs: each checked, none twice, at most {@link MAX_REDIRECT_URIS}. */
function uniqueUris(uris: readonly string[], type: 'confidential' | 'public', what: string): string[] {
  const checked = [...new Set(uris.map((uri) => checkRedirectUri(uri, type)))];
  if (checked.length > MAX_REDIRECT_URIS)
    throw new GatehouseError('ERR_VALIDATION', { message: `A client has at most ${MAX_REDIRECT_URIS} ${what}.` });
  return checked;
}

/**
 * The grants of a client, checked: known ones, at least one; `refresh_token`
 * only beside `authorization_code` (a service asks for a new token instead);
 * a public client never `client_credentials` (it has no credential), and
 * always `authorization_code`.
 */
function checkGrantTypes(grants: readonly string[], type: 'confidential' | 'public'): GrantType[] {
  const invalid = (message: string) => new GatehouseError('ERR_VALIDATION', { message });
  const list = [...new Set(grants.flatMap((grant) => grant.split(/[\s,]+/)).filter(Boolean))];
  const unknown = list.find((grant) => !(GRANT_TYPES as readonly string[]).includes(grant));
  if (unknown !== undefined) throw invalid(`Unknown grant ${JSON.stringify(unknown)}; use ${GRANT_TYPES.join(', ')}.`);
  if (list.length === 0) throw invalid('A client needs at least one grant.');
  const checked = list as GrantType[];
  if (checked.includes('refresh_token') && !checked.includes('authorization_code'))
    throw invalid('The refresh_token grant is for clients of the authorization code grant.');
  if (type === 'public' && checked.includes('client_credentials'))
    throw invalid('A public client cannot use client_credentials: it has no credential.');
  if (type === 'public' && !checked.includes('authorization_code'))
    throw invalid('A public client uses the authorization code grant.');
  return checked;
}

/** Accepts an asymmetric public JWK (RSA ≥ 2048 bits, EC P-256/P-384, Ed25519) and drops every private member. */
async function checkPublicJwk(jwk: JWK): Promise<JWK> {
  const allowed: Record<string, string[]> = { RSA: ['n', 'e'], EC: ['crv', 'x', 'y'], OKP: ['crv', 'x'] };
  const members = jwk.kty ? allowed[jwk.kty] : undefined;
  if (!members || jwk.d !== undefined) {
    throw new GatehouseError('ERR_INVALID_CLIENT_KEY', {
      message: 'The client key must be an RSA, EC or Ed25519 public key.',
    });
  }
  const clean: JWK = { kty: jwk.kty };
  for (const member of members) (clean as Record<string, unknown>)[member] = (jwk as Record<string, unknown>)[member];
  if (jwk.kty === 'OKP' && jwk.crv !== 'Ed25519')
    throw new GatehouseError('ERR_INVALID_CLIENT_KEY', { message: 'OKP keys must be Ed25519.' });
  if (jwk.kty === 'EC' && jwk.crv !== 'P-256' && jwk.crv !== 'P-384')
    throw new GatehouseError('ERR_INVALID_CLIENT_KEY', { message: 'EC keys must be P-256 or P-384.' });
  if (jwk.kty === 'RSA' && Buffer.from(jwk.n ?? '', 'base64url').length < 256)
    throw new GatehouseError('ERR_INVALID_CLIENT_KEY', { message: 'RSA keys must have at least 2048 bits.' });
  clean.alg = jwk.kty === 'OKP' ? 'EdDSA' : jwk.kty === 'EC' ? (jwk.crv === 'P-256' ? 'ES256' : 'ES384') : 'RS256';
  try {
    await importJWK(clean, clean.alg);
  } catch {
    throw new GatehouseError('ERR_INVALID_CLIENT_KEY');
  }
  return clean;
}
