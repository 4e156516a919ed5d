/**
 * The seed lesson's design rebuilt on plain Fastify, for comparison only:
 * users with plaintext passwords in a dict, random tokens in an in-memory
 * dict, a cookie, and `/get-info` that looks the token up. Nothing survives a
 * restart and nothing is hashed: this is what Gatehouse must not be, measured
 * so that the cost of doing it securely is visible.
 */
import { randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import Fastify from 'fastify';
import { announce, peerTLS } from './tls.js';

const users: Record<string, string> = { bench: 'bench password 1' };
const tokens = new Map<string, string>();

const app = Fastify({ https: peerTLS() });
await app.register(fastifyCookie);
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
  done(null, Object.fromEntries(new URLSearchParams(body as string)));
});
app.post('/login', async (request, reply) => {
  const { username, password } = request.body as Record<string, string>;
  if (username === undefined || users[username] !== password) return reply.code(401).send({ error: 'invalid' });
  const token = randomBytes(16).toString('hex');
  tokens.set(token, username);
  return reply.setCookie('token', token, { path: '/', httpOnly: true, secure: true }).send({ ok: true });
});
app.get('/get-info', async (request, reply) => {
  const token = request.cookies.token;
  if (token === undefined || !tokens.has(token)) return reply.code(401).send({ error: 'unauthenticated' });
  return { 'Secret-number': 42 };
});
await app.listen({ host: '127.0.0.1', port: 0 });
announce((app.server.address() as { port: number }).port);
