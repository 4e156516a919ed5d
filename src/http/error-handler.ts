import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isGatehouseError, type ErrorCode } from '../core/errors/index.js';
import { sendProblem } from './problem.js';

// Fastify's own client-error codes, mapped to ours. Anything else with a 4xx
// status becomes ERR_VALIDATION; anything 5xx is an internal error.
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'ERR_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'ERR_UNSUPPORTED_MEDIA_TYPE',
};

/**
 * Maps every error to problem+json. Validation messages name the field but
 * never repeat its value; 5xx details are logged, never sent.
 */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isGatehouseError(error)) {
    const retryAfterSeconds = error.details?.retryAfterSeconds;
    return sendProblem(
      reply,
      error.code,
      error.message,
      typeof retryAfterSeconds === 'number' ? { retryAfterSeconds } : {},
    );
  }
  if (error.validation) {
    return sendProblem(reply, 'ERR_VALIDATION', `${error.validationContext ?? 'request'}${describeValidation(error)}`);
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code: ErrorCode = (error.code ? FASTIFY_CODES[error.code] : undefined) ?? 'ERR_VALIDATION';
    return sendProblem(reply, code, code === 'ERR_VALIDATION' ? 'The request is malformed.' : undefined);
  }
  request.log.error({ err: error }, 'request failed');
  return sendProblem(reply, 'ERR_INTERNAL');
}

function describeValidation(error: FastifyError): string {
  const first = error.validation?.[0];
  if (!first) return ' is not valid';
  const path = first.instancePath ? first.instancePath.replaceAll('/', '.') : '';
  const missing = (first.params as { missingProperty?: string } | undefined)?.missingProperty;
  const extra = (first.params as { additionalProperty?: string } | undefined)?.additionalProperty;
  if (missing) return `${path}.${missing} is required`;
  if (extra) return `${path} has an unknown field ${JSON.stringify(extra.slice(0, 64))}`;
  return `${path} ${first.message ?? 'is not valid'}`;
}
