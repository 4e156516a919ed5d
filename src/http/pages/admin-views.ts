import type { AuditRecord } from '../../core/store/index.js';
import type { Client } from '../../core/clients/index.js';
import type { AppAccess } from '../../core/consents/index.js';
import type { SigningKeyInfo } from '../../core/jwt/index.js';
import type { ScopeDefinition } from '../../core/scopes/index.js';
import type { User } from '../../core/users/index.js';
import { html } from './html.js';
import { layout, when } from './html-views.js';

/** Everything the administration page shows. */
export interface AdminData {
  users: User[];
  query: string;
  clients: Client[];
  keys: SigningKeyInfo[];
  scopes: ScopeDefinition[];
  audit: AuditRecord[];
  auditFilter: { type: string; user: string };
  /** The apps each listed user let in (their consents), by user id. */
  consents: Map<string, AppAccess[]>;
  /** Names of user ids in the audit log. */
  names: Map<string, string>;
  error?: string;
  notice?: string;
  /** A client secret made just now: shown this once. */
  secret?: { client: string; secret: string };
}

/** The administration page: users, service clients, signing keys, audit log. */
export function adminPage(admin: User, data: AdminData): string {
  const name = (id: string | null) => (id === null ? '' : (data.names.get(id) ?? id));
  return layout(
    'Administration',
    html`<h1>Administration</h1>
      ${data.error ? html`<p class="error" role="alert">${data.error}</p>` : ''}
      ${data.notice ? html`<p class="notice" role="status">${data.notice}</p>` : ''}
      <h2 id="users">Users</h2>
      <form class="row" method="get" action="admin">
        <label for="q">Search <input id="q" name="q" value="${data.query}" /></label>
        <button type="submit" class="secondary">Search</button>
      </form>
      <table>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Roles</th>
            <th scope="col">Status</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          ${data.users.map((user) =>
            user.id === admin.id
              ? html`<tr data-user="${user.username}">
                  <td>${user.username}</td>
                  <td>${user.roles.join(' ')}</td>
                  <td>active</td>
                  <td class="muted">
                    You: change your own password and two-factor sign-in from <a href="./">your account</a>.
                  </td>
                </tr>`
              : html`<tr data-user="${user.username}">
                  <td>${user.username}</td>
                  <td>
                    <form class="inline" method="post" action="admin/ui/users/${user.id}/roles">
                      <input
                        name="roles"
                        value="${user.roles.join(' ')}"
                        aria-label="Roles of ${user.username}"
                        maxlength="1024"
                      />
                      <button type="submit" class="secondary">Save roles</button>
                    </form>
                  </td>
                  <td>${user.disabled ? 'disabled' : 'active'}</td>
                  <td class="actions">
                    <form
                      class="inline"
                      method="post"
                      action="admin/ui/users/${user.id}/${user.disabled ? 'enable' : 'disable'}"
                    >
                      <button type="submit" class="secondary">
                        ${user.disabled ? 'Enable' : 'Disable'} ${user.username}
                      </button>
                    </form>
                    <form class="inline" method="post" action="admin/ui/users/${user.id}/revoke-sessions">
                      <button type="submit" class="danger">Sign out ${user.username} everywhere</button>
                    </form>
                    <form class="inline" method="post" action="admin/ui/users/${user.id}/two-factor/reset">
                      <button type="submit" class="secondary">Reset two-factor for ${user.username}</button>
                    </form>
                    ${(data.consents.get(user.id) ?? []).map(
                      (app) =>
                        html`<form
                          class="inline"
                          method="post"
                          action="admin/ui/users/${user.id}/consents/${app.clientId}/revoke"
                          data-consent="${app.name}"
                        >
                          <button type="submit" class="danger">
                            Revoke ${app.name} (${app.scopes.join(' ')}) for ${user.username}
                          </button>
                        </form>`,
                    )}
                    <form class="inline" method="post" action="admin/ui/users/${user.id}/password">
                      <input
                        name="password"
                        type="password"
                        autocomplete="new-password"
                        aria-label="New password for ${user.username}"
                        maxlength="1024"
                        required
                      />
                      <button type="submit" class="secondary">Reset password</button>
                    </form>
                  </td>
                </tr>`,
          )}
        </tbody>
      </table>
      <form class="stack" method="post" action="admin/ui/users">
        <h3>New user</h3>
        <label for="new-username"
          >Username <input id="new-username" name="username" required maxlength="256" autocomplete="off"
        /></label>
        <label for="new-user-password"
          >Password
          <input
            id="new-user-password"
            name="password"
            type="password"
            required
            maxlength="1024"
            autocomplete="new-password"
        /></label>
        <label for="new-roles"
          >Roles <input id="new-roles" name="roles" maxlength="1024" placeholder="space-separated, e.g. admin"
        /></label>
        <button type="submit">Create user</button>
      </form>
      <h2 id="clients">Clients: services and apps</h2>
      ${
        data.secret
          ? html`<div class="new-key" role="status">
              <p>The secret of <strong>${data.secret.client}</strong>. Copy it now: it is shown only this once.</p>
              <p>
                <input id="client-secret" readonly value="${data.secret.secret}" aria-label="The client secret" />
                <button type="button" class="secondary" data-copy="client-secret">Copy</button>
              </p>
            </div>`
          : ''
      }
      <ul class="sessions">
        ${data.clients.map(
          (client) =>
            html`<li data-client="${client.name}">
              <span
                >${client.name}
                <span class="muted"
                  >· ${client.id} · ${client.type} · ${client.grantTypes.join(', ')} ·
                  ${client.scopes.join(' ') || 'no scopes'}${
                    client.redirectUris.length > 0 ? ` · ${client.redirectUris.join(' ')}` : ''
                  }${client.firstParty ? ' · first-party' : ''}</span
                ></span
              >
              <span
                >${
                  client.authMethods.includes('client_secret_basic')
                    ? html`<form class="inline" method="post" action="admin/ui/clients/${client.id}/rotate">
                        <button type="submit" class="secondary">Rotate secret of ${client.name}</button>
                      </form>`
                    : ''
                }
                <form class="inline" method="post" action="admin/ui/clients/${client.id}/remove">
                  <button type="submit" class="danger">Remove ${client.name}</button>
                </form></span
              >
            </li>`,
        )}
      </ul>
      <form class="stack" method="post" action="admin/ui/clients">
        <h3>New client</h3>
        <label for="client-name">Name <input id="client-name" name="name" required maxlength="64" /></label>
        <label for="client-scopes"
          >Scopes <input id="client-scopes" name="scopes" maxlength="4096" placeholder="space-separated"
        /></label>
        <label for="client-type"
          >Type
          <select id="client-type" name="type">
            <option value="confidential">confidential (a service, or an app with a server: gets a secret)</option>
            <option value="public">public (a browser or native app: no secret)</option>
          </select></label
        >
        <label for="client-redirects"
          >Redirect URIs, one per line (an app users sign in to)
          <textarea id="client-redirects" name="redirectUris" maxlength="8192" rows="2"></textarea>
        </label>
        <label for="client-logout-redirects"
          >Post-logout redirect URIs, one per line
          <textarea id="client-logout-redirects" name="postLogoutRedirectUris" maxlength="8192" rows="1"></textarea>
        </label>
        <label for="client-first-party"
          ><input id="client-first-party" name="firstParty" type="checkbox" value="on" /> First-party: users are not
          asked to consent</label
        >
        <button type="submit">Create client</button>
      </form>
      <h2 id="scopes">Scopes</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Scope</th>
            <th scope="col">Held by</th>
            <th scope="col">Description</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          ${data.scopes.map(
            (scope) =>
              html`<tr data-scope="${scope.name}">
                <td><code>${scope.name}</code></td>
                <td>
                  ${
                    scope.heldBy === 'clients'
                      ? 'service clients'
                      : scope.heldBy === 'apps'
                        ? 'apps users sign in to'
                        : scope.roles.length > 0
                          ? `users with ${scope.roles.join(' or ')}`
                          : 'everyone'
                  }
                </td>
                <td>${scope.description}</td>
                <td>
                  ${
                    scope.reserved
                      ? html`<span class="muted">reserved</span>`
                      : html`<form class="inline" method="post" action="admin/ui/scopes/${scope.name}/remove">
                          <button type="submit" class="danger">Remove ${scope.name}</button>
                        </form>`
                  }
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
      <form class="stack" method="post" action="admin/ui/scopes">
        <h3>New scope</h3>
        <label for="scope-name"
          >Scope <input id="scope-name" name="name" required maxlength="128" placeholder="e.g. orders:read"
        /></label>
        <label for="scope-description"
          >What it allows <input id="scope-description" name="description" required maxlength="200"
        /></label>
        <label for="scope-roles"
          >Only for roles
          <input id="scope-roles" name="roles" maxlength="1024" placeholder="space-separated; empty: everyone"
        /></label>
        <button type="submit">Add scope</button>
      </form>
      <h2 id="keys">Signing keys</h2>
      <ul class="sessions">
        ${data.keys.map(
          (key) =>
            html`<li>
              <span
                ><code>${key.kid}</code>
                <span class="muted"
                  >· ${key.alg} · ${key.status} · made
                  ${when(key.createdAt)}${
                    key.expiresAt === null ? '' : ` · published until ${when(key.expiresAt)}`
                  }</span
                ></span
              >
            </li>`,
        )}
      </ul>
      <form method="post" action="admin/ui/keys/rotate">
        <p><button type="submit" class="danger">Rotate the signing key</button></p>
      </form>
      <h2 id="audit">Audit log</h2>
      <form class="row" method="get" action="admin#audit">
        <label for="audit-type"
          >Event <input id="audit-type" name="type" value="${data.auditFilter.type}" placeholder="e.g. login.failure"
        /></label>
        <label for="audit-user">User <input id="audit-user" name="user" value="${data.auditFilter.user}" /></label>
        <button type="submit" class="secondary">Filter</button>
      </form>
      <table class="audit">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Event</th>
            <th scope="col">User</th>
            <th scope="col">By</th>
            <th scope="col">Address</th>
          </tr>
        </thead>
        <tbody>
          ${data.audit.map(
            (event) =>
              html`<tr>
                <td>${when(event.at)}</td>
                <td>${event.type}</td>
                <td>${name(event.userId)}</td>
                <td>${name(event.actor)}</td>
                <td>${event.ip ?? ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>`,
    admin,
  );
}

/** The answer to a signed-in user without the admin role. */
export function forbiddenPage(user: User): string {
  return layout(
    'Not allowed',
    html`<h1>Not allowed</h1>
      <p>Administration needs the <code>admin</code> role. <a href="./">Back to your account</a>.</p>`,
    user,
  );
}
