/**
 * What each event ends: the life-cycle table as data (issue #22).
 * `lifecycle-table.test.ts` makes every kind of credential for a fresh user,
 * makes the event happen over HTTPS, then presents each credential again
 * and holds the answers to this table; docs/security.md shows it, rendered
 * by {@link renderLifecycleTable} (the test fails when the two differ:
 * `npx tsx test/security/lifecycle-table.ts --write` renders it again).
 */
import { askedToWrite, docsBlock } from '../helpers/docs-block.js';

/** A credential the user (or the app's client) holds when the event happens. */
export interface CredentialKind {
  id: string;
  title: string;
}

export const CREDENTIAL_KINDS = [
  { id: 'thisSession', title: 'this session' },
  { id: 'otherSession', title: 'another session' },
  { id: 'userToken', title: 'user token (`POST /token`)' },
  { id: 'appRefresh', title: 'app refresh token' },
  { id: 'offlineRefresh', title: 'app `offline_access` refresh token' },
  { id: 'appToken', title: 'app access token' },
  { id: 'offlineToken', title: 'app `offline_access` access token' },
  { id: 'apiKey', title: 'API key' },
  { id: 'serviceToken', title: "the app's client credentials token" },
] as const satisfies readonly CredentialKind[];

export type KindId = (typeof CREDENTIAL_KINDS)[number]['id'];

/** An event, and where it happens: `this session` is the browser session it happens in (or the user's session, for an admin's event). */
export interface LifecycleEvent {
  id: string;
  title: string;
}

export const EVENTS = [
  { id: 'signOut', title: 'sign-out (`POST /logout`)' },
  { id: 'reauthenticate', title: 'the same user signs in again (`POST /login` with the cookie)' },
  { id: 'passwordChange', title: 'own password change (`POST /password`)' },
  { id: 'passwordReset', title: 'an admin resets the password (`PATCH /admin/users/:id`, `gatehouse user passwd`)' },
  { id: 'twoFactorOn', title: 'two-factor turned on (`POST /two-factor/confirm`)' },
  { id: 'twoFactorOff', title: 'two-factor turned off (`POST /two-factor/disable`)' },
  { id: 'passkeyAdded', title: 'first passkey added (`POST /passkeys/registration`)' },
  { id: 'passkeyRemoved', title: 'a passkey removed (`DELETE /passkeys/:id`)' },
  { id: 'adminSignOut', title: 'an admin signs the user out everywhere (`DELETE /admin/users/:id/sessions`)' },
  { id: 'userDeleted', title: 'user deleted (`DELETE /admin/users/:id`)' },
  { id: 'clientRemoved', title: "the app's client removed (`DELETE /admin/clients/:id`)" },
  { id: 'consentRevoked', title: 'the user revokes the app (Apps with access → Revoke)' },
] as const satisfies readonly LifecycleEvent[];

export type EventId = (typeof EVENTS)[number]['id'];

/**
 * `ends`: refused from then on; `lives`: still accepted; `new token`: the
 * session lives on (same id, same `sid`) under a new cookie value, and the
 * old value is refused (the session-fixation defence).
 */
export type Fate = 'ends' | 'lives' | 'new token';

type Row = Record<KindId, Fate>;
const row = (fates: Fate[]): Row =>
  Object.fromEntries(CREDENTIAL_KINDS.map((kind, index) => [kind.id, fates[index]!])) as Row;
const E = 'ends';
const L = 'lives';

// Columns: this session, another session, user token, app refresh, offline refresh,
// app access token, offline access token, API key, client credentials token.
export const LIFECYCLE: Record<EventId, Row> = {
  signOut: row([E, L, E, E, L, E, L, L, L]),
  reauthenticate: row(['new token', L, L, L, L, L, L, L, L]),
  passwordChange: row([L, E, L, E, E, E, E, L, L]),
  passwordReset: row([E, E, E, E, E, E, E, E, L]),
  twoFactorOn: row([L, E, L, E, E, E, E, L, L]),
  twoFactorOff: row([L, L, L, L, L, L, L, L, L]),
  passkeyAdded: row([L, E, L, E, E, E, E, L, L]),
  passkeyRemoved: row([L, L, L, L, L, L, L, L, L]),
  adminSignOut: row([E, E, E, E, E, E, E, L, L]),
  userDeleted: row([E, E, E, E, E, E, E, E, L]),
  clientRemoved: row([L, L, L, E, E, E, E, L, E]),
  consentRevoked: row([L, L, L, E, E, E, E, L, L]),
};

/** The table of docs/security.md, from the data above. */
export function renderLifecycleTable(): string {
  const header = `| event | ${CREDENTIAL_KINDS.map((kind) => kind.title).join(' | ')} |`;
  const rule = `|---|${CREDENTIAL_KINDS.map(() => '---').join('|')}|`;
  const rows = EVENTS.map(
    (event) => `| ${event.title} | ${CREDENTIAL_KINDS.map((kind) => LIFECYCLE[event.id][kind.id]).join(' | ')} |`,
  );
  return [header, rule, ...rows].join('\n');
}

/** The table's block in docs/security.md. */
export const LIFECYCLE_TABLE_DOCS = docsBlock('security.md', 'lifecycle-table', 'test/security/lifecycle-table.ts');

// `npx tsx test/security/lifecycle-table.ts --write`: renders the table into docs/security.md.
if (askedToWrite(import.meta.url)) LIFECYCLE_TABLE_DOCS.write(renderLifecycleTable());
