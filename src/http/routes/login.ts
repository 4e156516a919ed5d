import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { sameSiteOnly } from '../csrf.js';
import type { RouteContext } from '../plugin.js';
import { AUTH_BODY_LIMIT, LoginBody } from '../schemas.js';
import { signIn, signOut } from '../sign-in.js';
import { sessionView, userView } from '../views.js';

/** `POST /login` and `POST /logout`. */
export function registerLoginRoutes(app: FastifyInstance, context: RouteContext): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const sameSite = sameSiteOnly(context.origins);

  // Form-encoded (what the seed lesson's client and HTML forms send) or JSON.
  routes.post('/login', { config: { rateLimit: context.rateLimit }, onRequest: sameSite, schema: { tags: ['sign-in'], summary: 'Sign in with a username and password; sets the session cookie', body: LoginBody, 'x-problems': ['Problem401', 'Problem503'] }, bodyLimit: AUTH_BODY_LIMIT }, async (request, reply) => {
    const { session, user } = await signIn(context, request, reply, request.body);
    return { user: userView(user), session: sessionView(session, session.id) };
  });

  routes.post('/logout', { schema: { tags: ['sign-in'], summary: 'Sign out: ends the session and clears the cookie', 'x-problems': ['Problem403'], 'x-success': [204, 'Signed out (also when there was no session)'] }, onRequest: sameSite, bodyLimit: AUTH_BODY_LIMIT }, async (request, reply) => {
    await signOut(context, request, reply);
    return reply.code(204).send();
  });
}
