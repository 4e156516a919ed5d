import type { FastifyReply, FastifyRequest } from 'fastify';
import { authorize, defineRequirement, type CredentialKind, readBearerToken } from '../core/authorization/index.js';
import { isServiceClientToken } from '../core/jwt/index.js';
import { certificateOfConnection, refusalAnswer } from '../wire/index.js';
import type { Verifier, VerifiedAccessToken } from './verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the Gatehouse verifier hook: the verified access token. */
    accessToken?: VerifiedAccessToken;
  }
}

/** A user's token names its session; a service client's own token is its client's (RFC 9068 §2.2). */
function credentialOf(token: VerifiedAccessToken): CredentialKind {
  return isServiceClientToken(token) ? 'client_token' : 'user_token';
}

/**
 * A Fastify `onRequest` hook for a resource service: 401 unless the request
 * carries a valid Gatehouse access token (RFC 6750), 403 `insufficient_scope`
 * unless it carries every scope in `scopes` (a token without scopes carries
 * none). The decision is the core's `authorize`, as in Gatehouse's own
 * guards; the roles are the token's (no store to read them afresh offline).
 * Sets `request.accessToken`.
 *
 * @example
 * app.get('/orders', { onRequest: createFastifyVerifierHook(verifier, { scopes: ['orders:read'] }) }, handler);
 */
export function createFastifyVerifierHook(verifier: Verifier, options: { scopes?: string[] } = {}) {
  let requirement;
  try {
    requirement = defineRequirement({ credentials: 'any', ...(options.scopes?.length && { scopes: options.scopes }) });
  } catch {
    throw new TypeError('createFastifyVerifierHook: invalid scope');
  }
  return async function verifyAccessToken(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    const header = request.headers.authorization;
    const bearer = readBearerToken(header);
    let token: VerifiedAccessToken | null = null;
    if (bearer !== null) {
      // The connection's client certificate, for certificate-bound tokens (RFC 8705).
      token = await verifier
        .verify(bearer, { certificateThumbprint: certificateOfConnection(request.raw.socket)?.thumbprint })
        .catch(() => null);
    }
    const decision = authorize(
      token && { credential: credentialOf(token), roles: token.roles, scopes: token.scopes },
      requirement,
      // A bearer token is never sent by a browser on its own: the cross-site rule does not apply to it.
      {
        method: request.method,
        crossSite: false,
        presented: header === undefined ? 'none' : 'bearer',
        basicAuth: 'off',
      },
    );
    if (!decision.allowed) {
      const answer = refusalAnswer(decision);
      return reply.headers(answer.headers).code(answer.status).send(answer.body);
    }
    request.accessToken = token!;
    return undefined;
  };
}
