/** Baseline: a bare Fastify 5 hello server over HTTPS, no logging, no hooks. */
import Fastify from 'fastify';
import { announce, peerTLS } from './tls.js';

const app = Fastify({ https: peerTLS() });
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: 0 });
announce((app.server.address() as { port: number }).port);
