import type { FastifyInstance } from 'fastify';
import { CLIENT_ASSERTION_ALGORITHMS } from '../../core/clients/index.js';
import { ACR_VALUES, CLAIMS_SUPPORTED } from '../../core/oidc/index.js';
import { KEY_ALGORITHMS } from '../../core/jwt/index.js';
import { anyOrigin } from '../cors.js';
import type { RouteContext } from '../route-context.js';

/** Token endpoint client authentication methods Gatehouse accepts. */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];

/** RFC 8705 §2: client authentication with a certificate, when the server asks for one. */
export const MTLS_AUTH_METHODS = ['tls_client_auth', 'self_signed_tls_client_auth'];

/** `/.well-known/jwks.json`, RFC 8414 `/.well-known/oauth-authorization-server`, and `/.well-known/openid-configuration`. */
export function registerWellKnownRoutes(
  app: FastifyInstance,
  { core, clientCertificates, openIdProvider }: RouteContext,
): void {
  const tokens = core.tokens!;
  const openId = openIdProvider;

  app.get(
    '/.well-known/jwks.json',
    {
      schema: { tags: ['discovery'], summary: 'The public keys that sign access tokens and ID tokens (RFC 7517)' },
      onRequest: anyOrigin,
    },
    async (_request, reply) => {
      // Verifiers may cache this for five minutes: a key made by a rotation is
      // unknown to them until they refetch, which jose's remote JWKS does at
      // once on an unknown kid.
      reply.header('cache-control', 'public, max-age=300');
      return tokens.keys.jwks();
    },
  );

  /**
   * The authorization server's metadata (RFC 8414), and with the pages the
   * OpenID Provider's (OpenID Connect Discovery 1.0): one document, so the
   * two never disagree; the OpenID one adds what only OpenID Connect defines.
   */
  function metadata() {
    const issuer = tokens.issuer();
    const clientAuth = [...TOKEN_ENDPOINT_AUTH_METHODS, ...(clientCertificates ? MTLS_AUTH_METHODS : [])];
    return {
      issuer,
      ...(openId && { authorization_endpoint: `${issuer}/oauth/authorize` }),
      token_endpoint: `${issuer}/oauth/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      ...(openId && {
        userinfo_endpoint: `${issuer}/oauth/userinfo`,
        end_session_endpoint: `${issuer}/oauth/logout`,
      }),
      scopes_supported: scopeNames,
      response_types_supported: openId ? ['code'] : [],
      ...(openId && {
        response_modes_supported: ['query'],
        // RFC 7636: S256 only; plain is refused.
        code_challenge_methods_supported: ['S256'],
        // RFC 9207: the authorization response names its issuer.
        authorization_response_iss_parameter_supported: true,
      }),
      grant_types_supported: [...(openId ? ['authorization_code'] : []), 'client_credentials', 'refresh_token'],
      // Public apps authenticate with none (RFC 6749 §2.1), at the token endpoint of the code flow only.
      token_endpoint_auth_methods_supported: [...clientAuth, ...(openId ? ['none'] : [])],
      token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
      revocation_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS, 'none'],
      introspection_endpoint_auth_methods_supported: clientAuth,
      // RFC 8705 §3.3: tokens of clients that authenticate with a certificate are bound to it.
      ...(clientCertificates && { tls_client_certificate_bound_access_tokens: true }),
    };
  }
  let scopeNames: string[] = [];
  const withScopes = async () => {
    scopeNames = (await core.scopes.list()).map((scope) => scope.name);
    return metadata();
  };

  app.get(
    '/.well-known/oauth-authorization-server',
    { schema: { tags: ['discovery'], summary: 'Authorization server metadata (RFC 8414)' }, onRequest: anyOrigin },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=3600');
      return withScopes();
    },
  );

  if (!openId) return;
  app.get(
    '/.well-known/openid-configuration',
    {
      schema: { tags: ['discovery'], summary: 'OpenID Provider metadata (OpenID Connect Discovery 1.0)' },
      onRequest: anyOrigin,
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=3600');
      return {
        ...(await withScopes()),
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [...KEY_ALGORITHMS],
        claims_supported: [...CLAIMS_SUPPORTED],
        acr_values_supported: [...ACR_VALUES],
        prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
        claims_parameter_supported: false,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
        frontchannel_logout_supported: false,
        backchannel_logout_supported: false,
      };
    },
  );
}
