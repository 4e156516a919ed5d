import type { FastifyReply } from 'fastify';
import type { ErrorCode } from '../core/errors/index.js';
import { problemAnswer, type Answer, type ProblemOptions } from '../wire/index.js';

/** Sends an answer of the wire module (`src/wire/`) on a Fastify reply. */
export function sendAnswer(reply: FastifyReply, answer: Answer): FastifyReply {
  return reply.headers(answer.headers).code(answer.status).send(answer.body);
}

const PROBLEM_CODE = Symbol('gatehouse.problemCode');

/** The error code of the problem a reply carries, if it carries one (for metrics and logs). */
export function problemCodeOf(reply: FastifyReply): ErrorCode | undefined {
  return (reply as FastifyReply & { [PROBLEM_CODE]?: ErrorCode })[PROBLEM_CODE];
}

/**
 * Sends a problem+json reply ({@link problemAnswer}), and leaves its code on
 * the reply for metrics. The body is the same bytes for the same code and
 * detail, so that failures of one kind cannot be told apart (see the login
 * route).
 */
export function sendProblem(
  reply: FastifyReply,
  code: ErrorCode,
  detail?: string,
  options: Omit<ProblemOptions, 'detail'> = {},
): FastifyReply {
  return sendProblemAnswer(reply, problemAnswer(code, { ...options, ...(detail !== undefined && { detail }) }));
}

/** Sends a problem answer made by the wire module, leaving its code on the reply for metrics. */
export function sendProblemAnswer(reply: FastifyReply, answer: Answer<{ code: ErrorCode }>): FastifyReply {
  (reply as FastifyReply & { [PROBLEM_CODE]?: ErrorCode })[PROBLEM_CODE] = answer.body.code;
  return sendAnswer(reply, answer);
}
