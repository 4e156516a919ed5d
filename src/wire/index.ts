/**
 * What every adapter (the Fastify plugin, `gatehouse/express`,
 * `gatehouse/verify`) writes and reads on the wire, with no framework:
 * answers as plain `{ status, headers, body }` (problem+json with each
 * code's status, RFC 6749 errors, challenges, `Retry-After`, the answer to a
 * failed credential check), the `Cookie` header, the TLS client certificate.
 */
export type { Answer } from './answer.js';
export {
  createProblem,
  HTTP_STATUS,
  problemAnswer,
  refusalAnswer,
  resolveFailureAnswer,
  retryAfterSeconds,
  type Problem,
  type ProblemOptions,
} from './problems.js';
export { CLIENT_CHALLENGE, oauthErrorAnswer, type OAuthErrorBody } from './oauth-errors.js';
export { readCookie } from './cookies.js';
export { certificateOfConnection, type PresentedCertificate } from './certificates.js';
