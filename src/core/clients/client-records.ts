import { createHash, X509Certificate } from 'node:crypto';
import { GatehouseError } from '../errors/index.js';
import { KEY_ALGORITHMS, type KeyAlgorithm } from '../jwt/index.js';
import type { ClientRecord } from '../store/index.js';

/** The grants a client may be registered for. */
export const GRANT_TYPES = ['client_credentials', 'authorization_code', 'refresh_token'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** OpenID Connect Core §3.1.3.7: the ID-token algorithm of a client that names none. */
export const DEFAULT_ID_TOKEN_ALGORITHM: KeyAlgorithm = 'RS256';

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

/** A stored client as shown to operators and to the rest of the core. */
export function toClient(record: ClientRecord): Client {
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
