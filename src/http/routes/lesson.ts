import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../route-context.js';

/**
 * The seed lesson's protected resource, kept so that the lesson's own client
 * runs unchanged against Gatehouse. Unlike the lesson, a request with no
 * cookie (or a forged one) gets 401, not the secret.
 */
export function registerLessonRoutes(app: FastifyInstance, { guards }: RouteContext): void {
  app.get(
    '/get-info',
    { preValidation: guards.required(), schema: { tags: ['sign-in'], summary: "The lesson's protected resource" } },
    async () => ({ 'Secret-number': 42 }),
  );
}
