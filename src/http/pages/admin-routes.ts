import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isGatehouseError } from '../../core/errors.js';
import { ADMIN_ROLE } from '../../core/roles.js';
import { actorOf, auditRequest } from '../audit.js';
import { signedIn, type RouteContext } from '../plugin.js';
import { HTTP_STATUS } from '../problem.js';
import { AUTH_BODY_LIMIT, IdParams, ScopeNameParams } from '../schemas.js';
import { adminPage, forbiddenPage, type AdminData } from './admin-views.js';
import { sendPage } from './send.js';

/** Messages a redirect may ask the page to show: fixed words, never text from the request. */
const DONE: Record<string, string> = {
  'user-created': 'The user is created.',
  'user-updated': 'The user is updated.',
  'sessions-revoked': "The user's sessions are signed out.",
  'two-factor-reset': "The user's two-factor sign-in is off; they sign in with their password and may set it up again.",
  'client-removed': 'The client is removed.',
  'scope-added': 'The scope is added.',
  'scope-removed': 'The scope is removed; credentials that carried it no longer hold it.',
  'key-rotated': 'A new signing key is active; the old one stays published until its tokens expire.',
};

const words = (value: unknown) => (typeof value === 'string' ? value.split(/\s+/).filter(Boolean) : []);
const text = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * `GET /admin` and its form posts, for users with the `admin` role: users
 * (search, create, roles, disable/enable, password reset, sign out
 * everywhere), service clients (create, rotate secret, remove), signing keys
 * (rotate) and the audit log. Every action is audited as its API twin is.
 */
export function registerAdminPageRoutes(app: FastifyInstance, context: RouteContext): void {
  const { core, guards } = context;

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
    const data: AdminData = {
      users: search === '' ? all : all.filter((user) => user.username.toLowerCase().includes(search)),
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
  const done = (reply: FastifyReply, what: keyof typeof DONE) =>
    reply.code(303).header('location', `/admin?done=${what}`).send();

  // Signed in with a session (these are forms), and an administrator; anyone else sees why not.
  const adminOnly = [
    guards.requireSession(),
    async (request: FastifyRequest, reply: FastifyReply) =>
      signedIn(request).user.roles.includes(ADMIN_ROLE)
        ? undefined
        : sendPage(reply, 403, forbiddenPage(signedIn(request).user)),
  ];
  const post = { preValidation: adminOnly, bodyLimit: AUTH_BODY_LIMIT };
  const withId = { ...post, schema: { params: IdParams } };
  const body = (request: FastifyRequest) => (request.body ?? {}) as Record<string, unknown>;
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;

  app.get('/admin', async (request, reply) => {
    const principal = await guards.resolve(request);
    if (principal?.credential !== 'session') return reply.code(303).header('location', '/').send();
    request.auth = principal;
    if (!principal.user!.roles.includes(ADMIN_ROLE)) return sendPage(reply, 403, forbiddenPage(principal.user!));
    const what = (request.query as Record<string, unknown>).done;
    return render(request, reply, 200, {
      notice: typeof what === 'string' && Object.hasOwn(DONE, what) ? DONE[what] : undefined,
    });
  });

  app.post('/admin/ui/users', post, (request, reply) =>
    act(request, reply, async () => {
      const form = body(request);
      await core.users.createUser(
        { username: text(form.username), password: text(form.password), roles: words(form.roles) },
        actorOf(request),
      );
      return done(reply, 'user-created');
    }),
  );
  // Each operation on a user refuses the administrator's own account (the core decides; the page shows why).
  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post(`/admin/ui/users/:id/${action}`, withId, (request, reply) =>
      act(request, reply, async () => {
        await core.users.setDisabled(id(request), disabled, actorOf(request));
        return done(reply, 'user-updated');
      }),
    );
  }
  app.post('/admin/ui/users/:id/two-factor/reset', withId, (request, reply) =>
    act(request, reply, async () => {
      await core.users.resetTwoFactor(id(request), actorOf(request));
      return done(reply, 'two-factor-reset');
    }),
  );
  app.post('/admin/ui/users/:id/roles', withId, (request, reply) =>
    act(request, reply, async () => {
      await core.users.setRoles(id(request), words(body(request).roles), actorOf(request));
      return done(reply, 'user-updated');
    }),
  );
  app.post('/admin/ui/users/:id/password', withId, (request, reply) =>
    act(request, reply, async () => {
      await core.users.resetPassword(id(request), text(body(request).password), actorOf(request));
      return done(reply, 'user-updated');
    }),
  );
  app.post('/admin/ui/users/:id/revoke-sessions', withId, (request, reply) =>
    act(request, reply, async () => {
      const count = await core.sessions.revokeUserSessions(id(request));
      await auditRequest(core, request, { type: 'session.revoke', userId: id(request), detail: { count } });
      return done(reply, 'sessions-revoked');
    }),
  );

  app.post('/admin/ui/clients', post, (request, reply) =>
    act(request, reply, async () => {
      const form = body(request);
      const { client, secret } = await core.clients.createClient(
        { name: text(form.name), scopes: text(form.scopes) },
        actorOf(request),
      );
      // Shown in this answer only; only its hash is kept.
      return render(request, reply, 201, { secret: { client: client.name, secret: secret! } });
    }),
  );
  app.post('/admin/ui/clients/:id/rotate', withId, (request, reply) =>
    act(request, reply, async () => {
      const { client, secret } = await core.clients.rotateClientSecret(id(request), actorOf(request));
      return render(request, reply, 200, { secret: { client: client.name, secret } });
    }),
  );
  app.post('/admin/ui/clients/:id/remove', withId, (request, reply) =>
    act(request, reply, async () => {
      await core.clients.removeClient(id(request), actorOf(request));
      return done(reply, 'client-removed');
    }),
  );
  app.post('/admin/ui/scopes', post, (request, reply) =>
    act(request, reply, async () => {
      const form = body(request);
      await core.scopes.create(
        { name: text(form.name), description: text(form.description), roles: words(form.roles) },
        actorOf(request),
      );
      return done(reply, 'scope-added');
    }),
  );
  app.post('/admin/ui/scopes/:name/remove', { ...post, schema: { params: ScopeNameParams } }, (request, reply) =>
    act(request, reply, async () => {
      await core.scopes.remove((request.params as { name: string }).name, actorOf(request));
      return done(reply, 'scope-removed');
    }),
  );
  app.post('/admin/ui/keys/rotate', post, (request, reply) =>
    act(request, reply, async () => {
      const rotated = await core.tokens!.keys.rotate();
      await auditRequest(core, request, { type: 'key.rotate', detail: { kid: rotated.kid, alg: rotated.alg } });
      return done(reply, 'key-rotated');
    }),
  );
}
