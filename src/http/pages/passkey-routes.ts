import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { isGatehouseError } from '../../core/errors/index.js';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '../../core/passkeys/index.js';
import { accountActorOf } from '../actor.js';
import { sameSiteOnly } from '../csrf.js';
import type { RouteContext } from '../route-context.js';
import { AUTH_BODY_LIMIT, IdParams, PasskeyAuthenticationResponse, PasskeyRegistrationResponse } from '../schemas.js';
import { signInWithPasskey } from '../sign-in.js';
import { backHome, renderAccount } from './account-page.js';
import { PASSKEY_SCRIPT } from './passkey-script.js';
import { PasskeyAddForm, PasskeyRenameForm, PasskeySignInForm } from './forms.js';
import { formTargetsFor, signInReturn } from './return-to.js';
import { sendPage, sendWaitPage } from './send.js';
import { twoFactorSignInPage } from './two-factor-views.js';
import { signInPage } from './html-views.js';
import { BY_ADDRESS } from '../rate-limit.js';

/** The answer the passkey script put in a form field, if it is one of the `schema`'s shape. */
function parseAnswer<T>(text: string, schema: TSchema): T | null {
  try {
    const value: unknown = JSON.parse(text);
    return Value.Check(schema, value) ? (value as T) : null;
  } catch {
    return null;
  }
}

/**
 * The pages' side of passkeys: the form posts of the passkey script
 * (`assets/passkeys.js`, served here): signing in with a passkey (alone or
 * as the second step), and adding, renaming and removing passkeys from the
 * account page. Registered when the deployment has passkeys.
 */
export function registerPasskeyPageRoutes(app: FastifyInstance, context: RouteContext): void {
  const { core, guards, origins } = context;
  const passkeys = core.passkeys!;
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const session = { preValidation: guards.requireSession(), bodyLimit: AUTH_BODY_LIMIT };
  const accountError = (request: FastifyRequest, reply: FastifyReply, message: string) =>
    renderAccount(core, request, reply, { status: 200, message: { error: message } });

  routes.post(
    '/ui/sign-in/passkey',
    {
      config: { rateLimit: BY_ADDRESS },
      onRequest: sameSiteOnly(origins),
      bodyLimit: AUTH_BODY_LIMIT,
      schema: { body: PasskeySignInForm },
    },
    async (request, reply) => {
      const { challenge } = request.body;
      const back = signInReturn(request.body, origins, reply);
      const formTargets = await formTargetsFor(back, core, reply);
      const again = (error: string) =>
        challenge === undefined
          ? signInPage({ error, returnTo: back, passkeys: true })
          : twoFactorSignInPage({ challenge, error, returnTo: back, methods: ['passkey'] });
      const response = parseAnswer<AuthenticationResponseJSON>(request.body.response, PasskeyAuthenticationResponse);
      const outcome = response
        ? await signInWithPasskey(context, request, reply, { response, challenge })
        : ({ status: 'refused' } as const);
      switch (outcome.status) {
        case 'signed-in':
          return back ? reply.code(303).header('location', back).send() : backHome(reply);
        case 'throttled':
        case 'busy':
          return sendWaitPage(reply, outcome, again, formTargets);
        case 'expired':
          return sendPage(
            reply,
            200,
            signInPage({ error: 'That sign-in expired; sign in again.', returnTo: back, passkeys: true }),
            {
              formTargets,
            },
          );
        default:
          return sendPage(reply, 200, again('That passkey did not sign you in.'), { formTargets });
      }
    },
  );

  routes.post('/ui/passkeys', { ...session, schema: { body: PasskeyAddForm } }, async (request, reply) => {
    const response = parseAnswer<RegistrationResponseJSON>(request.body.response, PasskeyRegistrationResponse);
    // Without the script (or a browser without WebAuthn) the form arrives empty.
    if (!response)
      return accountError(request, reply, 'Adding a passkey needs JavaScript and a browser with passkeys.');
    try {
      await passkeys.finishRegistration(accountActorOf(request), { name: request.body.name, response });
    } catch (error) {
      if (
        isGatehouseError(error, 'ERR_PASSKEY_REFUSED') ||
        isGatehouseError(error, 'ERR_PASSKEY_EXISTS') ||
        isGatehouseError(error, 'ERR_VALIDATION')
      )
        return accountError(request, reply, error.message);
      throw error;
    }
    return backHome(reply, 'passkey-added');
  });

  routes.post(
    '/ui/passkeys/:id/rename',
    { ...session, schema: { params: IdParams, body: PasskeyRenameForm } },
    async (request, reply) => {
      try {
        await passkeys.rename(accountActorOf(request), request.params.id, request.body.name);
      } catch (error) {
        if (isGatehouseError(error, 'ERR_VALIDATION')) return accountError(request, reply, error.message);
        // Another user's passkey, or one already gone: nothing to rename, and nothing to tell.
        if (!isGatehouseError(error, 'ERR_PASSKEY_NOT_FOUND')) throw error;
      }
      return backHome(reply, 'passkey-renamed');
    },
  );

  routes.post('/ui/passkeys/:id/remove', { ...session, schema: { params: IdParams } }, async (request, reply) => {
    try {
      await passkeys.remove(accountActorOf(request), request.params.id);
    } catch (error) {
      if (isGatehouseError(error, 'ERR_LAST_SIGN_IN_METHOD')) return accountError(request, reply, error.message);
      if (!isGatehouseError(error, 'ERR_PASSKEY_NOT_FOUND')) throw error;
    }
    return backHome(reply, 'passkey-removed');
  });

  // Cacheable: it holds nothing about anyone.
  app.get('/assets/passkeys.js', async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').type('text/javascript; charset=utf-8').send(PASSKEY_SCRIPT),
  );
}
