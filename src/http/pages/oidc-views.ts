import type { AuthorizationError } from '../../core/oidc/index.js';
import type { AppAccess } from '../../core/consents/index.js';
import type { ScopeDefinition } from '../../core/scopes/index.js';
import type { User } from '../../core/users/index.js';
import { html } from './html.js';
import { layout, when } from './html-views.js';

/** An authorization request that cannot go back to its app: what was wrong, and no link anywhere. */
export function authorizationErrorPage(error: AuthorizationError): string {
  return layout(
    'Sign-in request refused',
    html`<h1>This sign-in request cannot be answered</h1>
      <p class="error" role="alert">${error.description}</p>
      <p class="muted">
        Error: <code>${error.error}</code>. Go back to the app and try again; if it keeps happening, tell whoever runs
        it.
      </p>`,
  );
}

/** The consent page: what the app asks for, in the registry's words, and Allow or Deny (a same-origin form post). */
export function consentPage(options: {
  interaction: string;
  client: { name: string };
  user: User;
  scopes: ScopeDefinition[];
}): string {
  return layout(
    `Allow ${options.client.name}?`,
    html`<h1><span id="app-name">${options.client.name}</span> asks to use your account</h1>
      <p>Signed in as <strong>${options.user.username}</strong>. If you allow it, the app may:</p>
      <ul class="scopes">
        ${
          options.scopes.length === 0
            ? html`<li class="muted">know that you signed in here, nothing more</li>`
            : options.scopes.map(
                (scope) => html`<li data-scope="${scope.name}"><code>${scope.name}</code> ${scope.description}</li>`,
              )
        }
      </ul>
      <p class="muted">You can take this back at any time on your account page (Apps with access).</p>
      <form class="inline" method="post" action="oauth/authorize/consent">
        <input type="hidden" name="interaction" value="${options.interaction}" />
        <button type="submit" name="decision" value="allow">Allow</button>
        <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
      </form>`,
    options.user,
  );
}

/** RP-initiated logout without a hint that names this user: asked before signing out (OpenID Connect RP-Initiated Logout §2). */
export function logoutConfirmPage(options: { user: User; hidden: Record<string, string> }): string {
  return layout(
    'Sign out?',
    html`<h1>Sign out of Gatehouse?</h1>
      <p>An app asks to sign <strong>${options.user.username}</strong> out.</p>
      <form class="inline" method="post" action="oauth/logout/confirm">
        ${Object.entries(options.hidden).map(
          ([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`,
        )}
        <button type="submit">Sign out</button>
      </form>
      <p><a href="./">Stay signed in</a></p>`,
    options.user,
  );
}

/** The account page's "Apps with access": each app a user let in, what it may have, and Revoke. */
export function appsSection(apps: AppAccess[]) {
  return html`<h2>Apps with access</h2>
    ${
      apps.length === 0
        ? html`<p class="muted">No apps.</p>`
        : html`<ul class="sessions">
            ${apps.map(
              (app) =>
                html`<li data-app="${app.clientId}">
                  <span
                    >${app.name}
                    <span class="muted"
                      >· ${app.scopes.length > 0 ? app.scopes.join(' ') : 'sign-in only'} · allowed
                      ${when(app.updatedAt)}</span
                    ></span
                  >
                  <form class="inline" method="post" action="ui/apps/${app.clientId}/revoke">
                    <button type="submit" class="danger" aria-label="Revoke the access of ${app.name}">Revoke</button>
                  </form>
                </li>`,
            )}
          </ul>`
    }`;
}
