import type { FastifyReply, FastifyRequest } from 'fastify';
import { isCrossSite } from '../core/authorization/index.js';
import { sendProblem } from './problem.js';

/**
 * A hook that refuses a cross-site request with 403 `ERR_CROSS_SITE` whether
 * or not it carries a credential: for sign-in (login CSRF: another site must
 * not sign the browser into an account of its choosing) and sign-out. The
 * rule itself (`isCrossSite`) is the core's.
 */
export function sameSiteOnly(allowedOrigins: readonly string[] | undefined) {
  return async function sameSiteOnly(request: FastifyRequest, reply: FastifyReply) {
    return isCrossSite(request, allowedOrigins) ? sendProblem(reply, 'ERR_CROSS_SITE') : undefined;
  };
}
