import type { FastifyReply, FastifyRequest } from 'fastify';
import { presentedCertificate } from '../http/client-certificate.js';
import type { Verifier, VerifiedAccessToken } from './index.js';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const CHALLENGE = 'Bearer realm="gatehouse"';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the Gatehouse verifier hook: the verified access token. */
    accessToken?: VerifiedAccessToken;
  }
}

function problem(
  reply: FastifyReply,
  { status, code, detail, challenge }: { status: 401 | 403; code: string; detail: string; challenge: string },
): FastifyReply {
  return reply
    .code(status)
    .header('www-authenticate', challenge)
    .type('application/problem+json; charset=utf-8')
    .send({ type: 'about:blank', title: status === 401 ? 'Unauthorized' : 'Forbidden', status, code, detail });
}

/**
 * A Fastify `onRequest` hook for a resource service: 401 unless the request
 * carries a valid Gatehouse access token (RFC 6750), 403 `insufficient_scope`
 * unless it grants every scope in `scopes`. Sets `request.accessToken`.
 *
 * @example
 * app.get('/orders', { onRequest: createFastifyVerifierHook(verifier, { scopes: ['orders:read'] }) }, handler);
 */
export function createFastifyVerifierHook(verifier: Verifier, options: { scopes?: string[] } = {}) {
  const scopes = options.scopes ?? [];
  if (scopes.some((scope) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)))
    throw new TypeError('createFastifyVerifierHook: invalid scope');
  return async function verifyAccessToken(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    const header = request.headers.authorization;
    const match = header === undefined ? null : BEARER.exec(header);
    if (!match) {
      if (header === undefined)
        return problem(reply, {
          status: 401,
          code: 'ERR_UNAUTHENTICATED',
          detail: 'Authentication is required.',
          challenge: CHALLENGE,
        });
      return problem(reply, {
        status: 401,
        code: 'ERR_INVALID_TOKEN',
        detail: 'The access token is not valid.',
        challenge: `${CHALLENGE}, error="invalid_token"`,
      });
    }
    try {
      // The connection's client certificate, for certificate-bound tokens (RFC 8705).
      request.accessToken = await verifier.verify(match[1]!, {
        certificateThumbprint: presentedCertificate(request)?.thumbprint,
      });
    } catch {
      return problem(reply, {
        status: 401,
        code: 'ERR_INVALID_TOKEN',
        detail: 'The access token is not valid.',
        challenge: `${CHALLENGE}, error="invalid_token"`,
      });
    }
    const granted = request.accessToken.scopes;
    if (granted !== null && !scopes.every((scope) => granted.includes(scope))) {
      return problem(reply, {
        status: 403,
        code: 'ERR_INSUFFICIENT_SCOPE',
        detail: 'The credential lacks a required scope.',
        challenge: `${CHALLENGE}, error="insufficient_scope", scope="${scopes.join(' ')}"`,
      });
    }
    return undefined;
  };
}
