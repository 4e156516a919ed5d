import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isGatehouseError } from '../../core/errors/index.js';
import { handleError } from '../error-handler.js';

/** RFC 6749 §5.2 error codes (plus RFC 7009's `unsupported_token_type`). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  /** RFC 6750 §3.1's word, for an authenticated client lacking the scope an endpoint needs (introspection). */
  | 'insufficient_scope';

/** An error of the OAuth endpoints, answered as RFC 6749 JSON rather than problem+json. */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

/** The error handler of the `/oauth/*` routes. */
export function handleOAuthError(
  error: FastifyError | OAuthError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof OAuthError) return sendOAuthError(reply, error);
  if ((error as FastifyError).validation) {
    return sendOAuthError(reply, new OAuthError('invalid_request', 'A parameter is missing, repeated or malformed.'));
  }
  if (isGatehouseError(error, 'ERR_INVALID_SCOPE'))
    return sendOAuthError(reply, new OAuthError('invalid_scope', error.message));
  return handleError(error as FastifyError, request, reply);
}

function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  // RFC 6749 §5.2: invalid_client is 401 with a challenge for the scheme the client may use.
  const status = error.error === 'invalid_client' ? 401 : error.error === 'insufficient_scope' ? 403 : 400;
  if (status === 401) reply.header('www-authenticate', 'Basic realm="gatehouse"');
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('application/json; charset=utf-8')
    .send({ error: error.error, error_description: error.description });
}
