import { STATUS_CODES } from 'node:http';
import { BEARER_CHALLENGE } from '../core/authorization/index.js';
import { ERROR_CODES, isGatehouseError, type ErrorCode } from '../core/errors/index.js';
import type { Answer } from './answer.js';

/** The HTTP status of every error code: the one place where problem codes meet HTTP. */
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

/** How a problem answer is made: its detail, challenge and wait. */
export interface ProblemOptions {
  /** Default: the registry's message for the code. Never a secret. */
  detail?: string;
  /** The `WWW-Authenticate` value. Default on a 401: `Bearer realm="gatehouse"`. */
  challenge?: string;
  /** Seconds to wait, sent as `Retry-After` in whole seconds (at least 1). Default on a 503: 5. */
  retryAfterSeconds?: number;
}

/** The `Retry-After` value of a wait: whole seconds, rounded up, at least 1 (RFC 9110 §10.2.3). */
export function retryAfterSeconds(seconds: number): number {
  return Math.max(1, Math.ceil(seconds));
}

/**
 * The problem+json answer of a code. Every 401 carries a challenge (RFC 9110
 * §11.6.1), every 503 a `Retry-After`. The body is the same for the same
 * code and detail, with no request id or time in it, so that failures of one
 * kind cannot be told apart.
 *
 * @example
 * problemAnswer('ERR_THROTTLED', { retryAfterSeconds: 2.5 })
 * // { status: 429, headers: { 'retry-after': '3', 'content-type': 'application/problem+json; charset=utf-8' }, body: {…} }
 */
export function problemAnswer(code: ErrorCode, options: ProblemOptions = {}): Answer<Problem> {
  const body = createProblem(code, options.detail);
  const headers: Record<string, string> = {};
  if (options.challenge !== undefined) headers['www-authenticate'] = options.challenge;
  else if (body.status === 401) headers['www-authenticate'] = BEARER_CHALLENGE;
  if (options.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(retryAfterSeconds(options.retryAfterSeconds));
  else if (body.status === 503) headers['retry-after'] = '5';
  headers['content-type'] = 'application/problem+json; charset=utf-8';
  return { status: body.status, headers, body };
}

/** The answer to a refusal of the core's `authorize()`: its code and challenge (the adapter clears a dead cookie). */
export function refusalAnswer(refusal: { code: ErrorCode; challenge?: string }): Answer<Problem> {
  return problemAnswer(refusal.code, refusal.challenge === undefined ? {} : { challenge: refusal.challenge });
}

/**
 * The answer to a credential check that failed to run: throttled (429) or
 * too busy (503), with the wait the core gave (1 s if none), or the store
 * unavailable (503). `null` for any other error, which the adapter passes on.
 */
export function resolveFailureAnswer(error: unknown): Answer<Problem> | null {
  if (isGatehouseError(error, 'ERR_THROTTLED') || isGatehouseError(error, 'ERR_BUSY'))
    return problemAnswer(error.code, { retryAfterSeconds: Number(error.details?.retryAfterSeconds ?? 1) });
  if (isGatehouseError(error, 'ERR_UNAVAILABLE')) return problemAnswer('ERR_UNAVAILABLE', { detail: error.message });
  return null;
}
