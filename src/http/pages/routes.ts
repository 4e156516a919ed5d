import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isGatehouseError } from '../../core/errors.js';
import { accountActorOf, actorOf, auditRequest } from '../audit.js';
import { sameSiteOnly } from '../csrf.js';
import { signedIn, type RouteContext } from '../plugin.js';
import { AUTH_BODY_LIMIT, IdParams } from '../schemas.js';
import { signIn, signOut } from '../sign-in.js';
import { FAVICON_SVG, SCRIPT, STYLESHEET } from './assets.js';
import { returnTo } from '../routes/forward-auth.js';
import { sendPage, sendReauthenticationFailure, sendWaitPage } from './send.js';
import { registerTwoFactorPageRoutes } from './two-factor-routes.js';
import { twoFactorSection, twoFactorSignInPage } from './two-factor-views.js';
import { accountPage, signInPage, type AccountNotice } from './views.js';

/** The one answer to every failed sign-in, as on `POST /login`: it never says which part was wrong. */
const WRONG = 'Invalid username or password.';

/** Messages a redirect may ask the account page to show: fixed words, never text from the request. */
const DONE: Record<string, string> = {
  password: 'Your password is changed; your other sessions are signed out.',
  'key-revoked': 'The API key is revoked.',
  'session-revoked': 'The session is signed out.',
  'sessions-revoked': 'Every other session is signed out.',
  'two-factor-off': 'Two-factor sign-in is off.',
};

/** Goes back to the page after a form post (303: the browser follows with GET), optionally with a {@link DONE} message. */
export function backHome(reply: FastifyReply, done?: keyof typeof DONE): FastifyReply {
  return reply
    .code(303)
    .header('location', done ? `/?done=${done}` : '/')
    .send();
}

const DAY_MS = 86_400_000;

/**
 * The web pages: `GET /` (the sign-in form, or the account page when signed
 * in) and the form posts behind them. Plain HTML forms, no script; every
 * post is same-origin only (the guards' CSRF check, or `sameSiteOnly` for
 * sign-in and sign-out).
 */
export function registerPageRoutes(app: FastifyInstance, context: RouteContext): void {
  const { core, guards, origins, rateLimit } = context;
  const sameSite = sameSiteOnly(origins);

  /** The account page of the signed-in request, with a message. */
  async function renderAccount(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    message: AccountNotice,
  ): Promise<FastifyReply> {
    const { user, session } = signedIn(request);
    const [sessions, apiKeys, twoFactor] = await Promise.all([
      core.sessions.listSessions({ userId: user.id }),
      core.apiKeys.listApiKeys(user.id),
      core.twoFactor?.status(user.id),
    ]);
    return sendPage(
      reply,
      status,
      accountPage({
        user,
        sessions,
        currentId: session.id,
        apiKeys,
        message,
        twoFactor: twoFactor && twoFactorSection(twoFactor),
      }),
    );
  }

  app.get('/', async (request, reply) => {
    const principal = await guards.resolve(request);
    // Sent here by forward auth: back to the protected site once signed in (its origin must be configured).
    const back = returnTo(request.query, origins);
    if (principal?.credential !== 'session') return sendPage(reply, 200, signInPage({ returnTo: back }));
    if (back) return reply.code(303).header('location', back).send();
    request.auth = principal;
    const done = (request.query as Record<string, unknown>).done;
    return renderAccount(request, reply, 200, {
      notice: typeof done === 'string' && Object.hasOwn(DONE, done) ? DONE[done] : undefined,
    });
  });

  app.post(
    '/ui/sign-in',
    { config: { rateLimit }, onRequest: sameSite, bodyLimit: AUTH_BODY_LIMIT },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const username = typeof body.username === 'string' ? body.username : '';
      const password = typeof body.password === 'string' ? body.password : '';
      const back = returnTo(body, origins);
      let outcome;
      try {
        outcome = await signIn(context, request, reply, { username, password });
      } catch (error) {
        // A password over the size limit is just a wrong one to the person typing it.
        if (!isGatehouseError(error, 'ERR_VALIDATION')) throw error;
        outcome = { status: 'refused' } as const;
      }
      switch (outcome.status) {
        case 'signed-in':
          return back ? reply.code(303).header('location', back).send() : backHome(reply);
        case 'two-factor':
          // The password was right and a code is needed: the second step carries the challenge (and where to go back).
          return sendPage(reply, 200, twoFactorSignInPage({ challenge: outcome.challenge, returnTo: back }));
        case 'throttled':
        case 'busy':
          return sendWaitPage(reply, outcome, (message) => signInPage({ error: message, username, returnTo: back }));
        default:
          // 200, as sign-in pages do (Keycloak, Ory): the form is shown again; a
          // 401 here would only add an error to the browser's console.
          return sendPage(reply, 200, signInPage({ error: WRONG, username, returnTo: back }));
      }
    },
  );

  if (core.twoFactor) registerTwoFactorPageRoutes(app, context, { twoFactor: core.twoFactor, renderAccount, backHome });

  app.post('/ui/sign-out', { onRequest: sameSite, bodyLimit: AUTH_BODY_LIMIT }, async (request, reply) => {
    await signOut(context, request, reply);
    return backHome(reply);
  });

  const session = { preValidation: guards.requireSession(), bodyLimit: AUTH_BODY_LIMIT };
  const form = (request: FastifyRequest) => (request.body ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : '');

  app.post('/ui/sessions/:id/revoke', { ...session, schema: { params: IdParams } }, async (request, reply) => {
    const { user } = signedIn(request);
    const id = (request.params as { id: string }).id;
    // Only the user's own sessions: another id revokes nothing.
    if (await core.sessions.revokeSession(id, { ownerId: user.id })) {
      await auditRequest(core, request, { type: 'session.revoke', userId: user.id, detail: { sessionId: id } });
    }
    return backHome(reply, 'session-revoked');
  });
  app.post('/ui/sessions/revoke-others', session, async (request, reply) => {
    const { user, session: current } = signedIn(request);
    const count = await core.sessions.revokeUserSessions(user.id, { keepSessionId: current.id });
    await auditRequest(core, request, { type: 'session.revoke', userId: user.id, detail: { others: count } });
    return backHome(reply, 'sessions-revoked');
  });

  app.post('/ui/password', session, async (request, reply) => {
    const body = form(request);
    let changed;
    try {
      changed = await core.account.changePassword(accountActorOf(request), {
        current: text(body.currentPassword),
        next: text(body.newPassword),
      });
    } catch (error) {
      if (isGatehouseError(error, 'ERR_WEAK_PASSWORD') || isGatehouseError(error, 'ERR_VALIDATION')) {
        return renderAccount(request, reply, 200, { error: error.message });
      }
      throw error;
    }
    if (changed.status === 'changed') return backHome(reply, 'password');
    return sendReauthenticationFailure(reply, changed, (status, message) =>
      renderAccount(request, reply, status, { error: message }),
    );
  });

  app.post('/ui/api-keys', session, async (request, reply) => {
    const { user } = signedIn(request);
    const body = form(request);
    const days = Number(text(body.expiresInDays) || 'NaN');
    try {
      const { key, apiKey } = await core.apiKeys.createApiKey(
        user,
        {
          name: text(body.name),
          scopes: text(body.scopes),
          expiresAt: [30, 90, 365].includes(days) ? core.clock.now() + days * DAY_MS : null,
        },
        actorOf(request),
      );
      // Shown in this answer only (no redirect, so it is never in a URL or a history entry); only its hash is kept.
      return renderAccount(request, reply, 201, { newKey: { name: apiKey.name, key } });
    } catch (error) {
      if (isGatehouseError(error, 'ERR_VALIDATION') || isGatehouseError(error, 'ERR_INVALID_SCOPE'))
        return renderAccount(request, reply, 200, { error: error.message });
      throw error;
    }
  });
  app.post('/ui/api-keys/:id/revoke', { ...session, schema: { params: IdParams } }, async (request, reply) => {
    const { user } = signedIn(request);
    const id = (request.params as { id: string }).id;
    try {
      await core.apiKeys.revokeApiKey(user.id, id, actorOf(request));
    } catch (error) {
      // Another user's key, or one already gone: nothing to revoke, and nothing to tell.
      if (!isGatehouseError(error, 'ERR_API_KEY_NOT_FOUND')) throw error;
    }
    return backHome(reply, 'key-revoked');
  });

  // Cacheable: they hold nothing about anyone.
  app.get('/assets/app.css', async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(STYLESHEET),
  );
  app.get('/assets/app.js', async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').type('text/javascript; charset=utf-8').send(SCRIPT),
  );
  app.get('/favicon.svg', async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=86400').type('image/svg+xml').send(FAVICON_SVG),
  );
  app.get('/favicon.ico', async (_request, reply) => reply.code(301).header('location', '/favicon.svg').send());
}
