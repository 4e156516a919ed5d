import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { defineRequirement, type Refusal } from '../../core/authorization/index.js';
import { isGatehouseError } from '../../core/errors/index.js';
import type { Principal } from '../../core/principals/index.js';
import { ADMIN_ROLE } from '../../core/scopes/index.js';
import { actorOf } from '../actor.js';
import { signedIn, type RouteContext } from '../route-context.js';
import { HTTP_STATUS } from '../../wire/index.js';
import { AUTH_BODY_LIMIT, IdParams, ScopeNameParams, UserConsentParams } from '../schemas.js';
import { adminPage, forbiddenPage, type AdminData } from './admin-views.js';
import { lines, NewClientForm, NewScopeForm, NewUserForm, CurrentPasswordForm, RolesForm, words } from './forms.js';
import { redirectToPage, sendPage } from './send.js';

/** Messages a redirect may ask the page to show: fixed words, never text from the request. */
const DONE: Record<string, string> = {
  'user-created': 'The user is created.',
  'user-updated': 'The user is updated.',
  'sessions-revoked': "The user is signed out everywhere: sessions, tokens and every app's access ended.",
  'consent-revoked': "The user's consent to the app is revoked; every token of it ended.",
  'two-factor-reset': "The user's two-factor sign-in is off; they sign in with their password and may set it up again.",
  'client-removed': 'The client is removed.',
  'client-created': 'The client is registered; it has no secret (a public app).',
  'scope-added': 'The scope is added.',
  'scope-removed': 'The scope is removed; credentials that carried it no longer hold it.',
  'key-rotated': 'A new signing key is active; the old one stays published until its tokens expire.',
};

/** What the admin pages need: a session (these are forms) of a user with the `admin` role. */
const ADMIN_PAGES = defineRequirement({ credentials: 'session', role: ADMIN_ROLE });

/** Most listed users whose consents the page shows (one read each). */
const CONSENT_LIST_USERS = 50;

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * `GET /admin` and its form posts, for users with the `admin` role: users
 * (search, create, roles, disable/enable, password reset, sign out
 * everywhere), service clients (create, rotate secret, remove), signing keys
 * (rotate) and the audit log. Every action is audited as its API twin is.
 */
export function registerAdminPageRoutes(app: FastifyInstance, context: RouteContext): void {
  const { core, guards } = context;
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    extra: Pick<AdminData, 'error' | 'notice' | 'secret'>,
  ) {
    const query = request.query as Record<string, unknown>;
    const search = text(query.q).trim().toLowerCase();
    const auditFilter = { type: text(query.type).trim(), user: text(query.user).trim() };
    const all = await core.users.listUsers();
    const names = new Map(all.map((user) => [user.id, user.username]));
    const auditUser =
      auditFilter.user === ''
        ? undefined
        : ((await core.users.findUserByName(auditFilter.user))?.id ?? auditFilter.user);
    const users = search === '' ? all : all.filter((user) => user.username.toLowerCase().includes(search));
    // Each listed user's apps, while the list is short enough to read them all (search narrows it).
    const consents = new Map(
      core.openId && users.length <= CONSENT_LIST_USERS
        ? await Promise.all(users.map(async (user) => [user.id, await core.consents.listForUser(user.id)] as const))
        : [],
    );
    const data: AdminData = {
      users,
      consents,
      query: text(query.q),
      clients: await core.clients.listClients(),
      keys: core.tokens ? await core.tokens.keys.listKeys() : [],
      scopes: await core.scopes.list(),
      audit: await core.audit.list({ type: auditFilter.type || undefined, userId: auditUser, limit: 50 }),
      auditFilter,
      names,
      ...extra,
    };
    return sendPage(reply, status, adminPage(signedIn(request).user, data));
  }

  /** Runs an action; a refusal the admin can fix (4xx) shows on the page, anything else is a failure. */
  async function act(
    request: FastifyRequest,
    reply: FastifyReply,
    action: () => Promise<FastifyReply>,
  ): Promise<FastifyReply> {
    try {
      return await action();
    } catch (error) {
      if (isGatehouseError(error) && HTTP_STATUS[error.code] < 500)
        return render(request, reply, 200, { error: error.message });
      throw error;
    }
  }
  const done = (reply: FastifyReply, what: keyof typeof DONE) => redirectToPage(reply, `admin?done=${what}`);

  // The forms: the core's decision, as the JSON admin routes ask it; a signed-in user without the role
  // sees the page that says why, every other refusal is the guards' problem+json.
  const forbidden = (reply: FastifyReply, refusal: Refusal, principal: Principal | null) =>
    refusal.code === 'ERR_FORBIDDEN' && principal?.user
      ? sendPage(reply, 403, forbiddenPage(principal.user))
      : undefined;
  const adminOnly = async (request: FastifyRequest, reply: FastifyReply) =>
    (await guards.check(request, reply, ADMIN_PAGES, {
      answerRefusal: (refusal, principal) => forbidden(reply, refusal, principal),
    }))
      ? undefined
      : reply;
  const post = { preValidation: adminOnly, bodyLimit: AUTH_BODY_LIMIT };
  const withId = { ...post, schema: { params: IdParams } };

  app.get('/admin', async (request, reply) => {
    // The same decision; the page only maps it: a signed-in user without the role sees why, anyone else signs in.
    const { principal, decision } = await guards.decide(request, ADMIN_PAGES);
    if (!decision.allowed) return forbidden(reply, decision, principal) ?? redirectToPage(reply, '');
    request.auth = principal;
    const what = (request.query as Record<string, unknown>).done;
    return render(request, reply, 200, {
      notice: typeof what === 'string' && Object.hasOwn(DONE, what) ? DONE[what] : undefined,
    });
  });

  routes.post('/admin/ui/users', { ...post, schema: { body: NewUserForm } }, (request, reply) =>
    act(request, reply, async () => {
      const { username, password, roles } = request.body;
      await core.users.createUser({ username, password, roles: words(roles) }, actorOf(request));
      return done(reply, 'user-created');
    }),
  );
  // Each operation on a user refuses the administrator's own account (the core decides; the page shows why).
  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    routes.post(`/admin/ui/users/:id/${action}`, withId, (request, reply) =>
      act(request, reply, async () => {
        await core.users.setDisabled(request.params.id, disabled, actorOf(request));
        return done(reply, 'user-updated');
      }),
    );
  }
  routes.post('/admin/ui/users/:id/two-factor/reset', withId, (request, reply) =>
    act(request, reply, async () => {
      await core.users.resetTwoFactor(request.params.id, actorOf(request));
      return done(reply, 'two-factor-reset');
    }),
  );
  routes.post(
    '/admin/ui/users/:id/roles',
    { ...post, schema: { params: IdParams, body: RolesForm } },
    (request, reply) =>
      act(request, reply, async () => {
        await core.users.setRoles(request.params.id, words(request.body.roles), actorOf(request));
        return done(reply, 'user-updated');
      }),
  );
  routes.post(
    '/admin/ui/users/:id/password',
    { ...post, schema: { params: IdParams, body: CurrentPasswordForm } },
    (request, reply) =>
      act(request, reply, async () => {
        await core.users.resetPassword(request.params.id, request.body.password, actorOf(request));
        return done(reply, 'user-updated');
      }),
  );
  routes.post('/admin/ui/users/:id/revoke-sessions', withId, (request, reply) =>
    act(request, reply, async () => {
      await core.users.signOutEverywhere(request.params.id, actorOf(request));
      return done(reply, 'sessions-revoked');
    }),
  );

  routes.post(
    '/admin/ui/users/:id/consents/:clientId/revoke',
    { ...post, schema: { params: UserConsentParams } },
    (request, reply) =>
      act(request, reply, async () => {
        await core.consents.revoke(request.params.id, request.params.clientId, actorOf(request));
        return done(reply, 'consent-revoked');
      }),
  );

  routes.post('/admin/ui/clients', { ...post, schema: { body: NewClientForm } }, (request, reply) =>
    act(request, reply, async () => {
      const { name, scopes, type, redirectUris, postLogoutRedirectUris, firstParty } = request.body;
      const { client, secret } = await core.clients.createClient(
        {
          name,
          scopes: scopes ?? '',
          type,
          redirectUris: lines(redirectUris),
          postLogoutRedirectUris: lines(postLogoutRedirectUris),
          firstParty: firstParty === 'on' || undefined,
        },
        actorOf(request),
      );
      // Shown in this answer only; only its hash is kept. A public client has none.
      if (secret === null) return done(reply, 'client-created');
      return render(request, reply, 201, { secret: { client: client.name, secret } });
    }),
  );
  routes.post('/admin/ui/clients/:id/rotate', withId, (request, reply) =>
    act(request, reply, async () => {
      const { client, secret } = await core.clients.rotateClientSecret(request.params.id, actorOf(request));
      return render(request, reply, 200, { secret: { client: client.name, secret } });
    }),
  );
  routes.post('/admin/ui/clients/:id/remove', withId, (request, reply) =>
    act(request, reply, async () => {
      await core.clients.removeClient(request.params.id, actorOf(request));
      return done(reply, 'client-removed');
    }),
  );
  routes.post('/admin/ui/scopes', { ...post, schema: { body: NewScopeForm } }, (request, reply) =>
    act(request, reply, async () => {
      const { name, description, roles } = request.body;
      await core.scopes.create({ name, description, roles: words(roles) }, actorOf(request));
      return done(reply, 'scope-added');
    }),
  );
  routes.post('/admin/ui/scopes/:name/remove', { ...post, schema: { params: ScopeNameParams } }, (request, reply) =>
    act(request, reply, async () => {
      await core.scopes.remove(request.params.name, actorOf(request));
      return done(reply, 'scope-removed');
    }),
  );
  app.post('/admin/ui/keys/rotate', post, (request, reply) =>
    act(request, reply, async () => {
      await core.tokens!.keys.rotate(actorOf(request));
      return done(reply, 'key-rotated');
    }),
  );
}
