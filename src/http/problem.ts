import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';
import { BEARER_CHALLENGE } from '../core/authorization/index.js';
import { ERROR_CODES, type ErrorCode } from '../core/errors/index.js';

/** The HTTP status of every error code: the one place where errors meet HTTP. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  ERR_VALIDATION: 400,
  ERR_INVALID_CREDENTIALS: 401,
  ERR_UNAUTHENTICATED: 401,
  ERR_FORBIDDEN: 403,
  ERR_CURRENT_PASSWORD: 403,
  ERR_CROSS_SITE: 403,
  ERR_NOT_FOUND: 404,
  ERR_USER_NOT_FOUND: 404,
  ERR_SESSION_NOT_FOUND: 404,
  ERR_USER_EXISTS: 409,
  ERR_INVALID_USERNAME: 400,
  ERR_INVALID_ROLE: 400,
  ERR_WEAK_PASSWORD: 400,
  ERR_THROTTLED: 429,
  ERR_PAYLOAD_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_INVALID_SCOPE: 400,
  ERR_SCOPE_EXISTS: 409,
  ERR_SCOPE_NOT_FOUND: 404,
  ERR_SESSION_REQUIRED: 403,
  ERR_CLIENT_EXISTS: 409,
  ERR_CLIENT_NOT_FOUND: 404,
  ERR_INVALID_CLIENT_KEY: 400,
  ERR_API_KEY_NOT_FOUND: 404,
  ERR_INVALID_TOKEN: 401,
  ERR_INSUFFICIENT_SCOPE: 403,
  ERR_TWO_FACTOR_CHALLENGE: 401,
  ERR_TWO_FACTOR_ENABLED: 409,
  ERR_TWO_FACTOR_NOT_PENDING: 409,
  ERR_INVALID_CODE: 400,
  ERR_RECENT_SIGN_IN_REQUIRED: 403,
  ERR_PASSKEY_REFUSED: 400,
  ERR_PASSKEY_EXISTS: 409,
  ERR_PASSKEY_NOT_FOUND: 404,
  ERR_LAST_SIGN_IN_METHOD: 409,
  ERR_CONFIG: 500,
  ERR_UNAVAILABLE: 503,
  ERR_BUSY: 503,
  ERR_INTERNAL: 500,
};

/** An RFC 9457 problem document with Gatehouse's `code` extension member. */
export interface Problem {
  type: 'about:blank';
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
}

/** Builds the problem document for a code; `detail` defaults to the registry's message. */
export function createProblem(code: ErrorCode, detail?: string): Problem {
  const status = HTTP_STATUS[code];
  return {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    code,
    detail: detail ?? ERROR_CODES[code],
  };
}

const PROBLEM_CODE = Symbol('gatehouse.problemCode');

/** The error code of the problem a reply carries, if it carries one (for metrics and logs). */
export function problemCodeOf(reply: FastifyReply): ErrorCode | undefined {
  return (reply as FastifyReply & { [PROBLEM_CODE]?: ErrorCode })[PROBLEM_CODE];
}

/**
 * Sends a problem+json reply. The body is the same bytes for the same code
 * and detail, with no request id or time in it, so that failures of one
 * kind cannot be told apart (see the login route).
 */
export function sendProblem(
  reply: FastifyReply,
  code: ErrorCode,
  detail?: string,
  options: { challenge?: string; retryAfterSeconds?: number } = {},
): FastifyReply {
  const problem = createProblem(code, detail);
  (reply as FastifyReply & { [PROBLEM_CODE]?: ErrorCode })[PROBLEM_CODE] = code;
  if (options.challenge !== undefined) reply.header('www-authenticate', options.challenge);
  // RFC 9110 §11.6.1: every 401 carries a challenge.
  else if (problem.status === 401) reply.header('www-authenticate', BEARER_CHALLENGE);
  if (options.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(options.retryAfterSeconds))));
  else if (problem.status === 503) reply.header('retry-after', '5');
  return reply.code(problem.status).type('application/problem+json; charset=utf-8').send(problem);
}
