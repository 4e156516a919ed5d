/**
 * The seed lesson's service, rebuilt on Gatehouse: POST /login with a form,
 * a session cookie, and GET /get-info for signed-in callers only.
 *
 *   npx tsx examples/lesson/server.ts        # https://localhost:5001, data in ./lesson-data
 *   PORT=0 DATA=/tmp/lesson npx tsx examples/lesson/server.ts
 */
import Fastify from 'fastify';
import { createAuthCore, gatehouse, openStore } from '../../src/index.js';
import { loadTLS } from '../../src/server/tls.js';

const data = process.env.DATA ?? 'lesson-data';
// The lesson's users, with passwords long enough for Gatehouse's policy.
const USERS = { Alice: 'alice-lesson-pw-2021', Bob: 'bob-lesson-pw-2021', Carlos: 'carlos-lesson-pw-2021' };

const core = createAuthCore({ store: await openStore({ url: `sqlite:${data}/lesson.db` }) });
for (const [username, password] of Object.entries(USERS)) {
  if (!(await core.users.findUserByName(username))) await core.users.createUser({ username, password });
}

// Like the lesson's pubkey.pem/private.pem: a self-signed certificate, made once.
const tls = await loadTLS({ data });
const app = Fastify({ https: { cert: tls.cert, key: tls.key } });
await app.register(gatehouse, { core }); // /login, /logout, /session, … and the lesson's /get-info

await app.listen({ host: 'localhost', port: Number(process.env.PORT ?? 5001) });
const { port } = app.server.address() as { port: number };
process.stdout.write(`lesson service on https://localhost:${port} (verify='${tls.certFile}')\n`);
process.on('SIGTERM', () => void app.close().then(() => core.store.close()));
