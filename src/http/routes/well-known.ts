import type { FastifyInstance } from 'fastify';
import { CLIENT_ASSERTION_ALGORITHMS } from '../../core/clients.js';
import type { RouteContext } from '../route-context.js';

/** Token endpoint client authentication methods Gatehouse accepts. */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];

/** RFC 8705 §2: client authentication with a certificate, when the server asks for one. */
export const MTLS_AUTH_METHODS = ['tls_client_auth', 'self_signed_tls_client_auth'];

/** `/.well-known/jwks.json` and RFC 8414 `/.well-known/oauth-authorization-server`. */
export function registerWellKnownRoutes(app: FastifyInstance, { core, clientCertificates }: RouteContext): void {
  const tokens = core.tokens!;

  app.get(
    '/.well-known/jwks.json',
    { schema: { tags: ['discovery'], summary: 'The public keys that sign access tokens (RFC 7517)' } },
    async (_request, reply) => {
      // Verifiers may cache this for five minutes: a key made by a rotation is
      // unknown to them until they refetch, which jose's remote JWKS does at
      // once on an unknown kid.
      reply.header('cache-control', 'public, max-age=300');
      return tokens.keys.jwks();
    },
  );

  app.get(
    '/.well-known/oauth-authorization-server',
    { schema: { tags: ['discovery'], summary: 'Authorization server metadata (RFC 8414)' } },
    async (_request, reply) => {
      const issuer = tokens.issuer();
      reply.header('cache-control', 'public, max-age=3600');
      return {
        issuer,
        token_endpoint: `${issuer}/oauth/token`,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        revocation_endpoint: `${issuer}/oauth/revoke`,
        introspection_endpoint: `${issuer}/oauth/introspect`,
        response_types_supported: [],
        grant_types_supported: ['client_credentials', 'refresh_token'],
        token_endpoint_auth_methods_supported: [
          ...TOKEN_ENDPOINT_AUTH_METHODS,
          ...(clientCertificates ? MTLS_AUTH_METHODS : []),
        ],
        token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
        revocation_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS, 'none'],
        introspection_endpoint_auth_methods_supported: [
          ...TOKEN_ENDPOINT_AUTH_METHODS,
          ...(clientCertificates ? MTLS_AUTH_METHODS : []),
        ],
        // RFC 8705 §3.3: tokens of clients that authenticate with a certificate are bound to it.
        ...(clientCertificates && { tls_client_certificate_bound_access_tokens: true }),
      };
    },
  );
}
