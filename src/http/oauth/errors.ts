import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isGatehouseError, OAUTH_ERRORS, type TokenErrorCode } from '../../core/errors/index.js';
import { oauthErrorAnswer } from '../../wire/index.js';
import { handleError } from '../error-handler.js';
import { sendAnswer } from '../problem.js';

/** An error of the OAuth endpoints, answered as RFC 6749 JSON rather than problem+json. */
export class OAuthError extends Error {
  /** `description` defaults to the registry's ({@link OAUTH_ERRORS}). */
  constructor(
    readonly error: TokenErrorCode,
    readonly description: string = OAUTH_ERRORS[error].description,
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
  if (error instanceof OAuthError) return sendAnswer(reply, oauthErrorAnswer(error.error, error.description));
  if ((error as FastifyError).validation) return sendAnswer(reply, oauthErrorAnswer('invalid_request'));
  if (isGatehouseError(error, 'ERR_INVALID_SCOPE'))
    return sendAnswer(reply, oauthErrorAnswer('invalid_scope', error.message));
  return handleError(error as FastifyError, request, reply);
}
