import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { isGatehouseError } from '../../core/errors/index.js';
import { accountActorOf, actorOf } from '../actor.js';
import { sameSiteOnly } from '../csrf.js';
import { signedIn, type RouteContext } from '../route-context.js';
import { AUTH_BODY_LIMIT, IdParams } from '../schemas.js';
import { signIn, signOut } from '../sign-in.js';
import { accountNotice, backHome, renderAccount } from './account-page.js';
import { FAVICON_SVG, SCRIPT, STYLESHEET } from './assets.js';
import { ApiKeyForm, PasswordChangeForm, SignInForm } from './forms.js';
import { formTargetsFor, signInReturn } from './return-to.js';
import { redirectToPage, sendPage, sendReauthenticationFailure, sendWaitPage } from './send.js';
import { twoFactorSignInPage } from './two-factor-views.js';
import { signInPage } from './html-views.js';
import { BY_ADDRESS } from '../rate-limit.js';

/** The one answer to every failed sign-in, as on `POST /login`: it never says which part was wrong. */
const WRONG = 'Invalid username or password.';

const DAY_MS = 86_400_000;

/**
 * The web pages: `GET /` (the sign-in form, or the account page when signed
 * in) and the form posts behind them. Plain HTML forms, no script; every
 * post is same-origin only (the guards' CSRF check, or `sameSiteOnly` for
 * sign-in and sign-out); every form is validated by its schema (forms.ts).
 */
export function registerPageRoutes(app: FastifyInstance, context: RouteContext): void {
  const { core, guards, origins } = context;
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const sameSite = sameSiteOnly(origins);
  const passkeys = core.passkeys !== null;

  app.get('/', async (request, reply) => {
    const principal = await guards.resolve(request);
    // Sent here by forward auth (back to the protected site once signed in; its origin must be configured) or by
    // the authorization endpoint (back to the app's waiting request; `prompt=login`: sign in again, `login_hint`).
    const back = signInReturn(request.query, origins, reply);
    const query = request.query as Record<string, unknown>;
    const again = back !== null && query.prompt === 'login';
    if (principal?.credential !== 'session' || again) {
      const username = typeof query.login_hint === 'string' ? query.login_hint.slice(0, 256) : undefined;
      return sendPage(reply, 200, signInPage({ returnTo: back, username, passkeys }), {
        formTargets: await formTargetsFor(back, core, reply),
      });
    }
    if (back) return reply.code(303).header('location', back).send();
    request.auth = principal;
    return renderAccount(core, request, reply, { status: 200, message: { notice: accountNotice(request.query) } });
  });

  routes.post(
    '/ui/sign-in',
    {
      config: { rateLimit: BY_ADDRESS },
      onRequest: sameSite,
      bodyLimit: AUTH_BODY_LIMIT,
      schema: { body: SignInForm },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const back = signInReturn(request.body, origins, reply);
      const formTargets = await formTargetsFor(back, core, reply);
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
          return sendPage(
            reply,
            200,
            twoFactorSignInPage({ challenge: outcome.challenge, returnTo: back, methods: outcome.methods }),
            { formTargets },
          );
        case 'throttled':
        case 'busy':
          return sendWaitPage(
            reply,
            outcome,
            (message) => signInPage({ error: message, username, returnTo: back, passkeys }),
            formTargets,
          );
        default:
          // 200, as sign-in pages do (Keycloak, Ory): the form is shown again; a
          // 401 here would only add an error to the browser's console.
          return sendPage(reply, 200, signInPage({ error: WRONG, username, returnTo: back, passkeys }), {
            formTargets,
          });
      }
    },
  );

  app.post('/ui/sign-out', { onRequest: sameSite, bodyLimit: AUTH_BODY_LIMIT }, async (request, reply) => {
    await signOut(context, request, reply);
    return backHome(reply);
  });

  const session = { preValidation: guards.requireSession(), bodyLimit: AUTH_BODY_LIMIT };

  routes.post('/ui/sessions/:id/revoke', { ...session, schema: { params: IdParams } }, async (request, reply) => {
    // Only the user's own sessions: another id revokes nothing.
    await core.sessions.revokeSession(request.params.id, {
      ownerId: signedIn(request).user.id,
      actor: actorOf(request),
    });
    return backHome(reply, 'session-revoked');
  });
  app.post('/ui/sessions/revoke-others', session, async (request, reply) => {
    const { user, session: current } = signedIn(request);
    await core.sessions.revokeUserSessions(user.id, { keepSessionId: current.id, actor: actorOf(request) });
    return backHome(reply, 'sessions-revoked');
  });

  routes.post('/ui/password', { ...session, schema: { body: PasswordChangeForm } }, async (request, reply) => {
    const failed = (status: number, message: string) =>
      renderAccount(core, request, reply, { status, message: { error: message } });
    let changed;
    try {
      changed = await core.account.changePassword(accountActorOf(request), {
        current: request.body.currentPassword,
        next: request.body.newPassword,
      });
    } catch (error) {
      if (isGatehouseError(error, 'ERR_WEAK_PASSWORD') || isGatehouseError(error, 'ERR_VALIDATION')) {
        return failed(200, error.message);
      }
      throw error;
    }
    if (changed.status === 'changed') return backHome(reply, 'password');
    return sendReauthenticationFailure(reply, changed, failed);
  });

  routes.post('/ui/api-keys', { ...session, schema: { body: ApiKeyForm } }, async (request, reply) => {
    const { name, scopes, expiresInDays } = request.body;
    try {
      const { key, apiKey } = await core.apiKeys.createApiKey(
        signedIn(request).user,
        {
          name,
          scopes: scopes ?? '',
          expiresAt: expiresInDays ? core.clock.now() + Number(expiresInDays) * DAY_MS : null,
        },
        actorOf(request),
      );
      // Shown in this answer only (no redirect, so it is never in a URL or a history entry); only its hash is kept.
      return renderAccount(core, request, reply, { status: 201, message: { newKey: { name: apiKey.name, key } } });
    } catch (error) {
      if (isGatehouseError(error, 'ERR_VALIDATION') || isGatehouseError(error, 'ERR_INVALID_SCOPE'))
        return renderAccount(core, request, reply, { status: 200, message: { error: error.message } });
      throw error;
    }
  });
  routes.post('/ui/api-keys/:id/revoke', { ...session, schema: { params: IdParams } }, async (request, reply) => {
    try {
      await core.apiKeys.revokeApiKey(signedIn(request).user.id, request.params.id, actorOf(request));
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
  app.get('/favicon.ico', async (_request, reply) => redirectToPage(reply, 'favicon.svg', 301));
}
