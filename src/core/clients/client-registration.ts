import { importJWK, type JWK } from 'jose';
import { APPLICATION, type Actor, type AuditLog } from '../audit/index.js';
import {
  certificateThumbprint,
  GRANT_TYPES,
  normalizeSubject,
  toClient,
  type Client,
  type GrantType,
} from './client-records.js';
import { type Clock, createId, createSecret, hashSecret } from '../shared/index.js';
import { GatehouseError } from '../errors/index.js';
import { KEY_ALGORITHMS } from '../jwt/index.js';
import { checkRedirectUri } from './redirect-uris.js';
import { checkRequestedScopes, holdableScopes, OIDC_SCOPES, type ScopeRegistry } from '../scopes/index.js';
import type { ClientRecord, ClientStore } from '../store/index.js';

/** Most redirect URIs (or post-logout redirect URIs) per client. */
const MAX_REDIRECT_URIS = 20;
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The registration operations; see {@link createClientRegistration}. */
export type ClientRegistration = ReturnType<typeof createClientRegistration>;

/**
 * Registering clients: create (with its one-time secret), list, find,
 * rotate the secret, remove; each change audited with its actor.
 */
export function createClientRegistration({
  store,
  clock,
  scopes: registry,
  audit,
}: {
  store: ClientStore;
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
