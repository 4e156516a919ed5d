/**
 * Gatehouse: secure authentication for REST APIs.
 *
 * - {@link gatehouse}: the Fastify plugin (routes + `app.auth` guards).
 * - {@link createAuthCore}: users, passwords and sessions, free of HTTP and SQL.
 * - {@link openStore}: the SQLite store the core keeps its data in.
 * - {@link gatehouseOpenApi}: @fastify/swagger options that document the routes and their guards.
 * - {@link startServer}: the whole HTTPS server, as `gatehouse serve` runs it.
 *
 * @example
 * import Fastify from 'fastify';
 * import { createAuthCore, gatehouse, openStore } from 'gatehouse';
 *
 * const core = createAuthCore({ store: await openStore({ url: 'sqlite:data/app.db' }) });
 * const app = Fastify({ https: { cert, key } });
 * await app.register(gatehouse, { core });
 * app.get('/orders', { onRequest: app.auth.required() }, async (request) => ({ owner: request.auth!.user.username }));
 */
export * from './core/index.js';
export { gatehouse, signedIn, type AuthGuard, type AuthGuards, type GatehousePluginOptions } from './http/plugin.js';
export { createProblem, HTTP_STATUS, type Problem } from './wire/index.js';
export { gatehouseOpenApi, type OpenApiOptions, type RouteDocs } from './http/openapi.js';
export type { SessionCookieOptions } from './http/session-cookie.js';
export { openStore, type OpenStoreOptions } from './store/index.js';
export { loadConfig, type LoadConfigOptions, type ServerConfig } from './server/config.js';
export { startServer, type RunningServer } from './server/start.js';
export { createDevelopmentCertificate } from './server/tls.js';
