import type { IdTokenHint, IdTokens } from './id-tokens.js';
import type { ClientRecord } from '../store/index.js';

/** A checked RP-initiated logout request (OpenID Connect RP-Initiated Logout 1.0 §2). */
export interface LogoutRequest {
  /** The ID token the app sent, when it is one of ours. */
  hint: IdTokenHint | null;
  /** Where to send the browser afterwards (with `state`), or `null`: Gatehouse's own page. */
  redirect: string | null;
}

/** The validated parameters, to carry through a confirmation form unchanged. */
export type LogoutParameters = Partial<
  Record<'id_token_hint' | 'post_logout_redirect_uri' | 'state' | 'client_id', string>
>;

/**
 * Checks a logout request. `post_logout_redirect_uri` must be registered,
 * exactly, for the app named by the hint's audience or by `client_id` (the
 * two must agree): no open redirect. An `id_token_hint` must be an ID token
 * of this server (expired ones count).
 */
export async function checkLogoutRequest(
  params: Record<string, unknown>,
  deps: { idTokens: IdTokens; findClient: (id: string) => Promise<ClientRecord | null> },
): Promise<({ ok: true; parameters: LogoutParameters } & LogoutRequest) | { ok: false; description: string }> {
  const parameters: LogoutParameters = {};
  for (const name of ['id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id'] as const) {
    const value = params[name];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string' || value.length > 8192) {
      return { ok: false, description: `${name} is given more than once or is too long.` };
    }
    parameters[name] = value;
  }
  const hint = parameters.id_token_hint === undefined ? null : await deps.idTokens.readHint(parameters.id_token_hint);
  if (parameters.id_token_hint !== undefined && hint === null) {
    return { ok: false, description: 'The id_token_hint is not an ID token of this server.' };
  }
  if (hint && parameters.client_id !== undefined && parameters.client_id !== hint.clientId) {
    return { ok: false, description: 'client_id is not the audience of the id_token_hint.' };
  }
  const uri = parameters.post_logout_redirect_uri;
  if (uri === undefined) return { ok: true, parameters, hint, redirect: null };
  const clientId = hint?.clientId ?? parameters.client_id;
  const client = clientId === undefined || clientId.length > 64 ? null : await deps.findClient(clientId);
  if (!client) {
    return { ok: false, description: 'post_logout_redirect_uri needs the app: send id_token_hint or client_id.' };
  }
  if (!client.postLogoutRedirectUris.includes(uri)) {
    return { ok: false, description: 'The post_logout_redirect_uri is not one registered for this app.' };
  }
  const state = parameters.state === undefined ? '' : `state=${encodeURIComponent(parameters.state)}`;
  const redirect = state === '' ? uri : `${uri}${uri.includes('?') ? '&' : '?'}${state}`;
  return { ok: true, parameters, hint, redirect };
}
