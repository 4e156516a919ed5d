import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Actor } from '../../core/audit/index.js';
import { type AuthorizeOutcome, type SignedIn, checkLogoutRequest } from '../../core/oidc/index.js';
import { isGatehouseError } from '../../core/errors/index.js';
import { actorOf, originOf } from '../actor.js';
import { sameSiteOnly } from '../csrf.js';
import { signedIn, type RouteContext } from '../route-context.js';
import { AUTH_BODY_LIMIT } from '../schemas.js';
import { signOut } from '../sign-in.js';
import { backHome } from '../pages/account-page.js';
import { authorizationErrorPage, consentPage, logoutConfirmPage } from '../pages/oidc-views.js';
import { resumeUrl } from '../pages/return-to.js';
import { formTarget, redirectToPage, sendPage } from '../pages/send.js';

const strict = { additionalProperties: false } as const;
const Interaction = Type.String({ minLength: 1, maxLength: 64 });
const ConsentForm = Type.Object(
  { interaction: Interaction, decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]) },
  strict,
);
const ResumeQuery = Type.Object({ interaction: Interaction });
const Param = Type.Optional(Type.String({ maxLength: 8192 }));
const LogoutForm = Type.Object(
  { id_token_hint: Param, post_logout_redirect_uri: Param, state: Param, client_id: Param },
  strict,
);
const ClientParams = Type.Object({ clientId: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * The browser side of OpenID Connect: the authorization endpoint (`GET` and
 * `POST /oauth/authorize`), its resumption after sign-in and its consent
 * page, RP-initiated logout (`/oauth/logout`), and "Apps with access" on the
 * account page. Every decision is the core's (the authorization endpoint,
 * consents, `checkLogoutRequest`); this module only turns outcomes into
 * pages and redirects. Needs the pages (the sign-in form).
 */
export function registerAuthorizeRoutes(app: FastifyInstance, context: RouteContext): void {
  const { core, guards, origins } = context;
  const endpoint = core.openId!.authorization;
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  /** The browser's user, when it carries a session cookie that stands. */
  async function browserUser(request: FastifyRequest): Promise<SignedIn | null> {
    const principal = await guards.resolve(request).catch(() => null);
    if (principal?.credential !== 'session') return null;
    request.auth = principal;
    return { user: principal.user!, session: principal.session! };
  }
  const actorFor = (request: FastifyRequest, user: SignedIn | null): Actor =>
    user ? actorOf(request) : { id: 'anonymous', kind: 'user', ...originOf(request) };

  async function answer(reply: FastifyReply, outcome: AuthorizeOutcome): Promise<FastifyReply> {
    reply.header('cache-control', 'no-store');
    switch (outcome.kind) {
      case 'error-page':
        return sendPage(reply, 400, authorizationErrorPage(outcome.error));
      case 'redirect':
        return reply.code(303).header('location', outcome.location).send();
      case 'sign-in': {
        const query = new URLSearchParams({ return_to: resumeUrl(reply, outcome.interaction) });
        if (outcome.reauthenticate) query.set('prompt', 'login');
        if (outcome.loginHint !== null) query.set('login_hint', outcome.loginHint);
        return redirectToPage(reply, `?${query.toString()}`);
      }
      case 'consent': {
        const redirectUri = await endpoint.pendingRedirectUri(outcome.interaction);
        return sendPage(reply, 200, consentPage(outcome), {
          formTargets: [redirectUri === null ? null : formTarget(redirectUri)],
        });
      }
    }
  }

  const authorize = async (request: FastifyRequest, reply: FastifyReply, params: unknown) => {
    const user = await browserUser(request);
    const outcome = await endpoint.authorize((params ?? {}) as Record<string, unknown>, user, actorFor(request, user));
    return answer(reply, outcome);
  };
  const docs = { tags: ['openid'], hide: true };
  app.get('/oauth/authorize', { schema: docs }, (request, reply) => authorize(request, reply, request.query));
  // OpenID Connect Core §3.1.2.1: the authorization endpoint takes POST (form-encoded) too.
  app.post('/oauth/authorize', { schema: docs, bodyLimit: AUTH_BODY_LIMIT }, (request, reply) =>
    authorize(request, reply, request.body),
  );

  routes.get('/oauth/authorize/resume', { schema: { ...docs, querystring: ResumeQuery } }, async (request, reply) => {
    const user = await browserUser(request);
    return answer(reply, await endpoint.resume(request.query.interaction, user, actorFor(request, user)));
  });

  // A same-origin form post of the signed-in user (the guards' cross-site rule): the decision, Allow or Deny.
  routes.post(
    '/oauth/authorize/consent',
    { preValidation: guards.requireSession(), bodyLimit: AUTH_BODY_LIMIT, schema: { ...docs, body: ConsentForm } },
    async (request, reply) => {
      const outcome = await endpoint.answerConsent(
        request.body.interaction,
        signedIn(request),
        request.body.decision === 'allow',
        actorOf(request),
      );
      return answer(reply, outcome);
    },
  );

  /** RP-initiated logout: signs out at once for the user an ID token names, else asks first. */
  async function logout(request: FastifyRequest, reply: FastifyReply, params: unknown, confirmed: boolean) {
    reply.header('cache-control', 'no-store');
    const checked = await checkLogoutRequest((params ?? {}) as Record<string, unknown>, {
      idTokens: core.openId!.idTokens,
      findClient: (id) => core.store.findClientById(id),
    });
    if (!checked.ok) {
      return sendPage(
        reply,
        400,
        authorizationErrorPage({ error: 'invalid_request', description: checked.description }),
      );
    }
    const user = await browserUser(request);
    if (user && !confirmed && checked.hint?.sub !== user.user.id) {
      return sendPage(reply, 200, logoutConfirmPage({ user: user.user, hidden: checked.parameters }), {
        formTargets: [checked.redirect === null ? null : formTarget(checked.redirect)],
      });
    }
    await signOut(context, request, reply);
    return checked.redirect === null
      ? redirectToPage(reply, '')
      : reply.code(303).header('location', checked.redirect).send();
  }
  const logoutDocs = { tags: ['openid'], summary: 'RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0)' };
  app.get('/oauth/logout', { schema: logoutDocs }, (request, reply) => logout(request, reply, request.query, false));
  app.post('/oauth/logout', { schema: logoutDocs, bodyLimit: AUTH_BODY_LIMIT }, (request, reply) =>
    logout(request, reply, request.body, false),
  );
  routes.post(
    '/oauth/logout/confirm',
    { onRequest: sameSiteOnly(origins), bodyLimit: AUTH_BODY_LIMIT, schema: { ...docs, body: LogoutForm } },
    (request, reply) => logout(request, reply, request.body, true),
  );

  routes.post(
    '/ui/apps/:clientId/revoke',
    { preValidation: guards.requireSession(), bodyLimit: AUTH_BODY_LIMIT, schema: { params: ClientParams } },
    async (request, reply) => {
      try {
        await core.consents.revoke(signedIn(request).user.id, request.params.clientId, actorOf(request));
      } catch (error) {
        // Already revoked, or never given: nothing to do, and nothing to tell.
        if (!isGatehouseError(error, 'ERR_NOT_FOUND')) throw error;
      }
      return backHome(reply, 'app-revoked');
    },
  );
}
