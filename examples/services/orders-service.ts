/**
 * A resource service that knows nothing of Gatehouse but its URL: it checks
 * access tokens offline against the published keys (gatehouse/verify).
 *
 *   GATEHOUSE_URL=https://localhost:8443 GATEHOUSE_CA=data/tls/cert.pem npx tsx examples/services/orders-service.ts
 *
 * Prints `orders service listening on https://127.0.0.1:PORT`.
 */
import Fastify from 'fastify';
import { createDevelopmentCertificate } from '../../src/server/tls.js';
import { createFastifyVerifierHook, createVerifier } from '../../src/verify/index.js';

const issuer = process.env.GATEHOUSE_URL ?? 'https://localhost:8443';
const verifier = createVerifier({
  issuer,
  audience: process.env.GATEHOUSE_AUDIENCE ?? issuer,
  caFile: process.env.GATEHOUSE_CA ?? 'data/tls/cert.pem',
});

// This service's own TLS certificate; a real one comes from your CA.
const tls = await createDevelopmentCertificate();
const app = Fastify({ https: tls });

app.get(
  '/orders',
  { onRequest: createFastifyVerifierHook(verifier, { scopes: ['orders:read'] }) },
  async (request) => ({
    caller: request.accessToken!.client_id,
    orders: [{ id: 1, item: 'tea', quantity: 2 }],
  }),
);

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const { port } = app.server.address() as { port: number };
process.stdout.write(`orders service listening on https://127.0.0.1:${port}\n${tls.cert}`);
process.on('SIGTERM', () => void app.close().then(() => verifier.close()));
