import { readFileSync } from 'node:fs';
import { CookieJar } from 'tough-cookie';
import { Agent, fetch, type RequestInit, type Response } from 'undici';
import { GatehouseClientError, TwoFactorRequiredError } from './errors.js';
import type {
  ApiKeyView,
  ConsentView,
  PasskeyView,
  ScopeView,
  SessionView,
  SignedIn,
  TokenResponse,
  UserView,
  WebAuthnJSON,
} from './types.js';

export { GatehouseClientError, TwoFactorRequiredError, type ProblemDocument } from './errors.js';
export type * from './types.js';

/** Options of {@link GatehouseClient}. */
export interface GatehouseClientOptions {
  /** The server, e.g. `https://localhost:8443`. Required. */
  baseUrl: string;
  /** PEM of the CA (or self-signed certificate) to trust, like `requests`' `verify=`. */
  ca?: string | Buffer;
  /** Path of that PEM file, e.g. `data/tls/cert.pem`. */
  caFile?: string;
  /**
   * Credentials sent with every request as `Authorization: Basic` (RFC 7617,
   * UTF-8): a service client's id and secret, or a user's name and password
   * where the server allows it (`--basic-auth`). No sign-in, no cookie needed.
   */
  basic?: { username: string; password: string };
  /**
   * A client certificate and its private key (PEM, or the files'
   * paths), presented on every connection: for `tls_client_auth` /
   * `self_signed_tls_client_auth` at `/oauth/token`, and for calls with the
   * certificate-bound tokens it gets (RFC 8705).
   */
  certificate?: { cert?: string | Buffer; key?: string | Buffer; certFile?: string; keyFile?: string };
}

/**
 * A typed Gatehouse client with its own cookie jar, like `requests.Session`:
 * sign in once, and later calls carry the session cookie.
 *
 * @example
 * const client = new GatehouseClient({ baseUrl: 'https://localhost:8443', caFile: 'data/tls/cert.pem' });
 * await client.login('alice', 'correct horse battery staple');
 * console.log(await client.getInfo()); // { 'Secret-number': 42 }
 * await client.close();
 */
export class GatehouseClient {
  readonly baseUrl: string;
  /** The cookie jar; inspect it as you would `requests.Session().cookies`. */
  readonly cookies = new CookieJar();
  readonly #dispatcher: Agent;
  readonly #authorization: string | undefined;

  constructor(options: GatehouseClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const ca = options.ca ?? (options.caFile === undefined ? undefined : readFileSync(options.caFile));
    const pem = options.certificate;
    const cert = pem?.cert ?? (pem?.certFile === undefined ? undefined : readFileSync(pem.certFile));
    const key = pem?.key ?? (pem?.keyFile === undefined ? undefined : readFileSync(pem.keyFile));
    this.#dispatcher = new Agent({
      connect: { ...(ca !== undefined && { ca }), ...(cert !== undefined && key !== undefined && { cert, key }) },
    });
    const { basic } = options;
    this.#authorization =
      basic && `Basic ${Buffer.from(`${basic.username}:${basic.password}`, 'utf8').toString('base64')}`;
  }

  /**
   * Any request, with cookies sent and stored: the escape hatch for routes
   * without a method here. Returns the raw response; does not throw on 4xx.
   */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const url = new URL(path, `${this.baseUrl}/`).toString();
    const headers = new Headers(init.headers as HeadersInit | undefined);
    const cookie = await this.cookies.getCookieString(url);
    if (cookie && !headers.has('cookie')) headers.set('cookie', cookie);
    if (this.#authorization && !headers.has('authorization')) headers.set('authorization', this.#authorization);
    const response = await fetch(url, {
      ...init,
      headers: headers as RequestInit['headers'],
      dispatcher: this.#dispatcher,
    });
    for (const line of response.headers.getSetCookie()) await this.cookies.setCookie(line, url, { ignoreError: true });
    return response;
  }

  /** Sends a request and returns its JSON; throws {@link GatehouseClientError} for any 4xx/5xx. */
  async #call<T>(
    method: string,
    path: string,
    body?: { json?: unknown; form?: Record<string, string> },
    headers: Record<string, string> = {},
  ): Promise<T> {
    const init: RequestInit = { method, headers: { accept: 'application/json', ...headers } };
    if (body?.json !== undefined) {
      init.body = JSON.stringify(body.json);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    } else if (body?.form !== undefined) {
      init.body = new URLSearchParams(body.form).toString();
      (init.headers as Record<string, string>)['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await this.fetch(path, init);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw new GatehouseClientError(response.status, (parsed as Record<string, unknown>) ?? {});
    return parsed as T;
  }

  /**
   * Signs in (a form post, as the lesson's client does); the session cookie
   * goes into the jar. For an account with two-factor sign-in, `code` is
   * asked for the TOTP or recovery code.
   * @throws {GatehouseClientError} 401 `ERR_INVALID_CREDENTIALS`.
   * @throws {TwoFactorRequiredError} when a second factor is needed and no `code` was given.
   */
  async login(
    username: string,
    password: string,
    options: { code?: () => string | Promise<string> } = {},
  ): Promise<SignedIn> {
    const answer = await this.#call<
      SignedIn | { status: 'two-factor'; challenge: string; expiresIn: number; methods?: string[] }
    >('POST', '/login', { form: { username, password } });
    if (!('status' in answer)) return answer;
    const methods = answer.methods ?? ['totp', 'recovery_code'];
    // Only a passkey may answer (a role that requires one): a code cannot.
    if (!options.code || !methods.includes('totp'))
      throw new TwoFactorRequiredError(answer.challenge, answer.expiresIn, methods);
    return this.completeTwoFactor(answer.challenge, await options.code());
  }

  /** Answers a sign-in's challenge with a TOTP or recovery code. @throws {GatehouseClientError} 401 `ERR_INVALID_CREDENTIALS`, `ERR_TWO_FACTOR_CHALLENGE`. */
  completeTwoFactor(challenge: string, code: string): Promise<SignedIn> {
    return this.#call('POST', '/login/two-factor', { json: { challenge, code } });
  }

  /**
   * The options of a passkey sign-in, for `navigator.credentials.get()`: any
   * passkey, or with a sign-in's `challenge` that user's (its second step).
   */
  passkeyLoginOptions(challenge?: string): Promise<WebAuthnJSON> {
    return this.#call('POST', '/login/passkey/options', { json: challenge === undefined ? {} : { challenge } });
  }

  /**
   * Signs in with a passkey's assertion (the cookie goes into the jar),
   * alone or as the second step of the sign-in whose `challenge` is given.
   * @throws {GatehouseClientError} 401 `ERR_INVALID_CREDENTIALS` for every kind of wrong.
   */
  loginWithPasskey(response: WebAuthnJSON, challenge?: string): Promise<SignedIn> {
    return this.#call('POST', '/login/passkey', {
      json: challenge === undefined ? { response } : { response, challenge },
    });
  }

  /**
   * Starts adding a passkey: options for `navigator.credentials.create()`.
   * `password`: needed when the sign-in is older than five minutes.
   * @throws {GatehouseClientError} 403 `ERR_RECENT_SIGN_IN_REQUIRED`, `ERR_CURRENT_PASSWORD`.
   */
  passkeyRegistrationOptions(password?: string): Promise<WebAuthnJSON> {
    return this.#call('POST', '/passkeys/registration/options', { json: password === undefined ? {} : { password } });
  }

  /** Finishes adding a passkey with the authenticator's answer. @throws {GatehouseClientError} 400 `ERR_PASSKEY_REFUSED`, 409 `ERR_PASSKEY_EXISTS`. */
  addPasskey(name: string, response: WebAuthnJSON): Promise<PasskeyView & { sessionsEnded: number }> {
    return this.#call('POST', '/passkeys/registration', { json: { name, response } });
  }

  /** My passkeys. */
  async passkeys(): Promise<PasskeyView[]> {
    return (await this.#call<{ passkeys: PasskeyView[] }>('GET', '/passkeys')).passkeys;
  }

  /** Renames one of my passkeys. */
  renamePasskey(id: string, name: string): Promise<PasskeyView> {
    return this.#call('PATCH', `/passkeys/${encodeURIComponent(id)}`, { json: { name } });
  }

  /** Removes one of my passkeys. @throws {GatehouseClientError} 409 `ERR_LAST_SIGN_IN_METHOD`. */
  async removePasskey(id: string): Promise<void> {
    await this.#call('DELETE', `/passkeys/${encodeURIComponent(id)}`);
  }

  /** Ends the session on the server and drops the cookie. */
  async logout(): Promise<void> {
    await this.#call('POST', '/logout');
  }

  /** Who am I; `null` when not signed in. */
  async session(): Promise<SignedIn | null> {
    try {
      return await this.#call<SignedIn>('GET', '/session');
    } catch (error) {
      if (error instanceof GatehouseClientError && error.status === 401) return null;
      throw error;
    }
  }

  /** My live sessions; `current` marks this one. */
  async sessions(): Promise<SessionView[]> {
    return (await this.#call<{ sessions: SessionView[] }>('GET', '/sessions')).sessions;
  }

  /** Ends one of my sessions. @throws {GatehouseClientError} 404 `ERR_SESSION_NOT_FOUND`. */
  async revokeSession(id: string): Promise<void> {
    await this.#call('DELETE', `/sessions/${encodeURIComponent(id)}`);
  }

  /** Changes my password; my other sessions end. @throws {GatehouseClientError} 403 `ERR_CURRENT_PASSWORD`, 400 `ERR_WEAK_PASSWORD`. */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await this.#call('POST', '/password', { json: { currentPassword, newPassword } });
  }

  /** The lesson's resource: `{ 'Secret-number': 42 }`. */
  getInfo(): Promise<{ 'Secret-number': number }> {
    return this.#call('GET', '/get-info');
  }

  /** An access token and a refresh token for this session, holding the scopes asked for in `scope` (none otherwise). */
  token(options: { scope?: string } = {}): Promise<TokenResponse> {
    return this.#call('POST', '/token', { json: options });
  }

  /**
   * A service client's access token (`client_credentials`). Authenticates
   * with `secret` (`client_secret_basic`), or, without one, with the
   * client certificate given to the constructor (RFC 8705): then the token is
   * bound to that certificate and works only on connections presenting it.
   */
  clientToken(clientId: string, options: { secret?: string; scope?: string } = {}): Promise<TokenResponse> {
    const form: Record<string, string> = {
      grant_type: 'client_credentials',
      ...(options.scope !== undefined && { scope: options.scope }),
    };
    if (options.secret === undefined)
      return this.#call('POST', '/oauth/token', { form: { ...form, client_id: clientId } });
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(options.secret)}`).toString(
      'base64',
    );
    return this.#call('POST', '/oauth/token', { form }, { authorization: `Basic ${basic}` });
  }

  /** Exchanges a refresh token for new tokens (the old refresh token is spent). */
  refresh(refreshToken: string): Promise<TokenResponse> {
    return this.#call('POST', '/oauth/token', { form: { grant_type: 'refresh_token', refresh_token: refreshToken } });
  }

  /** Creates a personal API key; `key` is in the answer, once. */
  createApiKey(input: {
    name: string;
    scopes?: string;
    expiresInSeconds?: number;
  }): Promise<ApiKeyView & { key: string }> {
    return this.#call('POST', '/api-keys', { json: input });
  }

  /** My API keys (never the keys themselves). */
  async apiKeys(): Promise<ApiKeyView[]> {
    return (await this.#call<{ apiKeys: ApiKeyView[] }>('GET', '/api-keys')).apiKeys;
  }

  /** Revokes one of my API keys. */
  async revokeApiKey(id: string): Promise<void> {
    await this.#call('DELETE', `/api-keys/${encodeURIComponent(id)}`);
  }

  /** The admin routes (role `admin`). */
  readonly admin = {
    listUsers: async (): Promise<UserView[]> => (await this.#call<{ users: UserView[] }>('GET', '/admin/users')).users,
    createUser: (input: { username: string; password: string; roles?: string[] }): Promise<UserView> =>
      this.#call('POST', '/admin/users', { json: input }),
    updateUser: (id: string, changes: { roles?: string[]; disabled?: boolean; password?: string }): Promise<UserView> =>
      this.#call('PATCH', `/admin/users/${encodeURIComponent(id)}`, { json: changes }),
    deleteUser: async (id: string): Promise<void> => {
      await this.#call('DELETE', `/admin/users/${encodeURIComponent(id)}`);
    },
    listUserSessions: async (id: string): Promise<SessionView[]> =>
      (await this.#call<{ sessions: SessionView[] }>('GET', `/admin/users/${encodeURIComponent(id)}/sessions`))
        .sessions,
    revokeUserSessions: async (id: string): Promise<number> =>
      (await this.#call<{ revoked: number }>('DELETE', `/admin/users/${encodeURIComponent(id)}/sessions`)).revoked,
    listUserConsents: async (id: string): Promise<ConsentView[]> =>
      (await this.#call<{ consents: ConsentView[] }>('GET', `/admin/users/${encodeURIComponent(id)}/consents`))
        .consents,
    revokeUserConsent: async (id: string, clientId: string): Promise<void> => {
      await this.#call('DELETE', `/admin/users/${encodeURIComponent(id)}/consents/${encodeURIComponent(clientId)}`);
    },
    listScopes: async (): Promise<ScopeView[]> =>
      (await this.#call<{ scopes: ScopeView[] }>('GET', '/admin/scopes')).scopes,
    createScope: (input: { name: string; description: string; roles?: string[] }): Promise<ScopeView> =>
      this.#call('POST', '/admin/scopes', { json: input }),
    removeScope: async (name: string): Promise<void> => {
      await this.#call('DELETE', `/admin/scopes/${encodeURIComponent(name)}`);
    },
  };

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}
