import type { ApiKey } from '../../core/tokens/index.js';
import type { Session } from '../../core/sessions/index.js';
import type { User } from '../../core/users/index.js';
import { html, SafeHtml } from './html.js';
import { passkeySignIn } from './passkey-views.js';

/**
 * Every link and form of the pages is relative to this base, which
 * `sendPage` sets to where the plugin is mounted (its `prefix`): the pages
 * work under any prefix without knowing it.
 */
export const BASE_TAG = '<base href="/" />';

/** The page shell: head, header with sign-out when signed in, main. */
export function layout(title: string, body: SafeHtml, user?: User): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        ${new SafeHtml(BASE_TAG)}
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Gatehouse</title>
        <link rel="stylesheet" href="assets/app.css" />
        <link rel="icon" href="favicon.svg" type="image/svg+xml" />
        <script src="assets/app.js" defer></script>
      </head>
      <body>
        <header>
          <a class="brand" href="./">Gatehouse</a>${
            user
              ? html`<nav>
                  ${user.roles.includes('admin') ? html`<a href="admin">Administration</a> ` : ''}
                  <form class="inline" method="post" action="ui/sign-out">
                    <button type="submit" class="secondary">Sign out</button>
                  </form>
                </nav>`
              : ''
          }
        </header>
        <main>${body}</main>
      </body>
    </html> `.value;
}

/**
 * The sign-in form, with an error message when a try failed. With
 * `passkeys`, also "Sign in with a passkey", and the browser's autofill
 * offers passkeys in the username field (conditional UI).
 */
export function signInPage(
  options: { error?: string; username?: string; returnTo?: string | null; passkeys?: boolean } = {},
): string {
  return layout(
    'Sign in',
    html`<h1>Sign in</h1>
      ${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
      <form class="stack" method="post" action="ui/sign-in">
        ${options.returnTo ? html`<input type="hidden" name="return_to" value="${options.returnTo}" />` : ''}
        <label for="username"
          >Username
          <input
            id="username"
            name="username"
            autocomplete="${options.passkeys ? 'username webauthn' : 'username'}"
            required
            maxlength="256"
            value="${options.username ?? ''}"
            autofocus
        /></label>
        ${currentPasswordField('password')}
        <button type="submit">Sign in</button>
      </form>
      ${options.passkeys ? passkeySignIn({ returnTo: options.returnTo }) : ''}`,
  );
}

/** The labelled field of a current password (signing in, or asked again before a sensitive change), by its element id. */
export function currentPasswordField(id: string): SafeHtml {
  return html`<label for="${id}"
    >Password
    <input id="${id}" name="password" type="password" autocomplete="current-password" required maxlength="1024"
  /></label>`;
}

/** A time for people: minutes, UTC. */
export const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

/** What the account page shows besides the user's data: at most one message, and a key made just now. */
export interface AccountNotice {
  error?: string;
  notice?: string;
  /** A new API key: shown this once. */
  newKey?: { name: string; key: string };
}

/** The account page: who I am, my roles, my sessions, password change, my API keys. */
export function accountPage({
  user,
  sessions,
  currentId,
  apiKeys,
  message = {},
  twoFactor,
  apps,
  passkeys,
  passwordMinLength,
}: {
  user: User;
  sessions: Session[];
  /** The session showing the page. */
  currentId: string;
  apiKeys: ApiKey[];
  message?: AccountNotice;
  /** The two-factor section, when the deployment offers it. */
  twoFactor?: SafeHtml;
  /** "Apps with access", when the deployment is an OpenID Provider. */
  apps?: SafeHtml;
  /** The passkeys section, when the deployment offers passkeys. */
  passkeys?: SafeHtml;
  /** The password policy's shortest password, for the browser's own check. */
  passwordMinLength: number;
}): string {
  const others = sessions.filter((session) => session.id !== currentId).length;
  return layout(
    'Your account',
    html`<h1>Signed in as <span id="whoami">${user.username}</span></h1>
      ${message.error ? html`<p class="error" role="alert">${message.error}</p>` : ''}
      ${message.notice ? html`<p class="notice" role="status">${message.notice}</p>` : ''}
      <p>Roles: ${user.roles.length > 0 ? user.roles.join(', ') : html`<span class="muted">none</span>`}</p>
      <h2>Your sessions</h2>
      <ul class="sessions">
        ${sessions.map(
          (session) =>
            html`<li data-session="${session.id}">
              <span
                >${session.userAgent ?? 'unknown device'}
                <span class="muted">· ${session.ip ?? 'unknown address'} · last seen ${when(session.lastSeenAt)}</span
                >${session.id === currentId ? html`<span class="tag">this session</span>` : ''}</span
              >
              ${
                session.id === currentId
                  ? ''
                  : html`<form class="inline" method="post" action="ui/sessions/${session.id}/revoke">
                      <button
                        type="submit"
                        class="danger"
                        aria-label="Revoke the session from ${session.ip ?? 'an unknown address'}"
                      >
                        Revoke
                      </button>
                    </form>`
              }
            </li>`,
        )}
      </ul>
      ${
        others > 0
          ? html`<form method="post" action="ui/sessions/revoke-others">
              <p><button type="submit" class="danger">Sign out everywhere else</button></p>
            </form>`
          : ''
      }
      <h2>Change password</h2>
      <form class="stack" method="post" action="ui/password">
        <label for="current-password"
          >Current password
          <input
            id="current-password"
            name="currentPassword"
            type="password"
            autocomplete="current-password"
            required
            maxlength="1024"
        /></label>
        <label for="new-password"
          >New password
          <input
            id="new-password"
            name="newPassword"
            type="password"
            autocomplete="new-password"
            required
            minlength="${passwordMinLength}"
            maxlength="1024"
        /></label>
        <button type="submit">Change password</button>
      </form>
      ${twoFactor ?? ''} ${passkeys ?? ''} ${apps ?? ''}
      <h2>API keys</h2>
      ${
        message.newKey
          ? html`<div class="new-key" role="status">
              <p>Your new key <strong>${message.newKey.name}</strong>. Copy it now: it is shown only this once.</p>
              <p>
                <input id="new-key" readonly value="${message.newKey.key}" aria-label="The new API key" />
                <button type="button" class="secondary" data-copy="new-key">Copy</button>
              </p>
            </div>`
          : ''
      }
      ${
        apiKeys.length === 0
          ? html`<p class="muted">No API keys.</p>`
          : html`<ul class="sessions">
              ${apiKeys.map(
                (key) =>
                  html`<li data-api-key="${key.id}">
                    <span
                      >${key.name}
                      <span class="muted"
                        >· ${key.scopes.length > 0 ? key.scopes.join(' ') : 'no scopes'} ·
                        ${key.expiresAt === null ? 'no expiry' : `expires ${when(key.expiresAt)}`} ·
                        ${key.lastUsedAt === null ? 'never used' : `last used ${when(key.lastUsedAt)}`}</span
                      ></span
                    >
                    <form class="inline" method="post" action="ui/api-keys/${key.id}/revoke">
                      <button type="submit" class="danger" aria-label="Revoke the API key ${key.name}">Revoke</button>
                    </form>
                  </li>`,
              )}
            </ul>`
      }
      <form class="stack" method="post" action="ui/api-keys">
        <label for="key-name">Name <input id="key-name" name="name" required maxlength="128" /></label>
        <label for="key-scopes"
          >Scopes <input id="key-scopes" name="scopes" maxlength="4096" placeholder="space-separated, e.g. orders:read"
        /></label>
        <label for="key-expiry"
          >Expires
          <select id="key-expiry" name="expiresInDays">
            <option value="30">in 30 days</option>
            <option value="90">in 90 days</option>
            <option value="365">in a year</option>
            <option value="">never</option>
          </select></label
        >
        <button type="submit">Create API key</button>
      </form>`,
    user,
  );
}
