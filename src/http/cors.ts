import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * CORS for the endpoints browser apps call from their own origin with a
 * bearer token or their client id, never a cookie: discovery, the JWKS, the
 * token, revocation and userinfo endpoints. Any origin may read their
 * answers, without credentials (`Access-Control-Allow-Credentials` is never
 * sent, so the browser sends no cookie and exposes nothing a cookie earns).
 */
export async function anyOrigin(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.headers.origin !== undefined) reply.header('access-control-allow-origin', '*').header('vary', 'origin');
}

/** Answers the CORS preflight of `paths` (their requests carry `Authorization`, or a content type beyond the simple ones). */
export function answerPreflights(app: FastifyInstance, paths: readonly string[]): void {
  for (const path of paths) {
    app.options(path, { schema: { hide: true } }, async (_request, reply) =>
      reply
        .code(204)
        .header('access-control-allow-origin', '*')
        .header('access-control-allow-methods', 'GET, POST')
        .header('access-control-allow-headers', 'authorization, content-type')
        .header('access-control-max-age', '600')
        .send(),
    );
  }
}
