import type { Session } from '../../core/sessions.js';
import type { User } from '../../core/users.js';
import { html, type SafeHtml } from './html.js';

function layout(title: string, body: SafeHtml, user?: User): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Gatehouse</title>
<link rel="stylesheet" href="/assets/app.css">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
</head>
<body>
<header><a class="brand" href="/">Gatehouse</a>${
    user
      ? html`<form class="inline" method="post" action="/ui/sign-out"><button type="submit" class="secondary">Sign out</button></form>`
      : ''
  }</header>
<main>
${body}
</main>
</body>
</html>
`.value;
}

/** The sign-in form, with an error message when a try failed. */
export function signInPage(options: { error?: string; username?: string } = {}): string {
  return layout(
    'Sign in',
    html`<h1>Sign in</h1>
${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
<form class="stack" method="post" action="/ui/sign-in">
<label for="username">Username <input id="username" name="username" autocomplete="username" required maxlength="256" value="${options.username ?? ''}" autofocus></label>
<label for="password">Password <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>
<button type="submit">Sign in</button>
</form>`,
  );
}

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

/** The account page: who I am, my roles, my sessions with revoke buttons. */
export function accountPage(user: User, sessions: Session[], currentId: string): string {
  const others = sessions.filter((session) => session.id !== currentId).length;
  return layout(
    'Your account',
    html`<h1>Signed in as <span id="whoami">${user.username}</span></h1>
<p>Roles: ${user.roles.length > 0 ? user.roles.join(', ') : html`<span class="muted">none</span>`}</p>
<h2>Your sessions</h2>
<ul class="sessions">
${sessions.map(
  (session) => html`<li data-session="${session.id}">
<span>${session.userAgent ?? 'unknown device'} <span class="muted">· ${session.ip ?? 'unknown address'} · last seen ${when(session.lastSeenAt)}</span>${
    session.id === currentId ? html`<span class="tag">this session</span>` : ''
  }</span>
${
  session.id === currentId
    ? ''
    : html`<form class="inline" method="post" action="/ui/sessions/${session.id}/revoke"><button type="submit" class="danger" aria-label="Revoke the session from ${session.ip ?? 'an unknown address'}">Revoke</button></form>`
}
</li>`,
)}
</ul>
${
  others > 0
    ? html`<form method="post" action="/ui/sessions/revoke-others"><p><button type="submit" class="danger">Sign out everywhere else</button></p></form>`
    : ''
}`,
    user,
  );
}
