/**
 * `gatehouse/verify`: offline verification of Gatehouse access tokens in
 * other services, and a Fastify hook that asks the same decision as
 * Gatehouse's own guards.
 */
export * from './verifier.js';
export { createFastifyVerifierHook } from './fastify.js';
