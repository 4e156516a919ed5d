/**
 * What each credential may do: the decision table of core/authorization/authorization.ts
 * as data. `decision-table.test.ts` sends every credential kind to every
 * route class over HTTPS and holds the answers to this table; docs/security.md
 * shows it, rendered by {@link renderDecisionTable} (the test fails when the
 * two differ: `npx tsx test/security/decision-table.ts --write` renders it again).
 */
import { askedToWrite, docsBlock } from '../helpers/docs-block.js';

/** A route class, and the route of the test's deployment that stands for it. */
export interface RouteClass {
  id: string;
  title: string;
  method: 'GET' | 'POST';
  path: string;
  /** The Express app on the same core instead of the Gatehouse server. */
  express?: boolean;
  /** A Fastify service behind `gatehouse/verify`'s hook instead of the Gatehouse server. */
  verify?: boolean;
  /** The door accepts no HTTP Basic: its 401 challenge names Bearer only. */
  bearerOnly?: boolean;
  headers?: Record<string, string>;
  /** The scope a `403 scope` answer names in its challenge. */
  scope?: string;
}

export const ROUTE_CLASSES: readonly RouteClass[] = [
  { id: 'open', title: 'open (`/healthz`)', method: 'GET', path: '/healthz' },
  { id: 'any', title: 'any credential (`/get-info`)', method: 'GET', path: '/get-info' },
  { id: 'session', title: 'session only (`/sessions`)', method: 'GET', path: '/sessions' },
  { id: 'admin', title: 'admin (`/admin/users`)', method: 'GET', path: '/admin/users', scope: 'admin' },
  { id: 'scope', title: 'scope `orders:read`', method: 'GET', path: '/orders', scope: 'orders:read' },
  // Through a proxy: a loopback client not behind one reads /metrics without a credential.
  {
    id: 'metrics',
    title: '`/metrics`',
    method: 'GET',
    path: '/metrics',
    headers: { 'x-forwarded-for': '203.0.113.5' },
    scope: 'metrics',
  },
  { id: 'forward', title: 'forward auth (`/auth/verify`)', method: 'GET', path: '/auth/verify' },
  {
    id: 'express',
    title: 'Express, scope `orders:read`',
    method: 'GET',
    path: '/orders',
    express: true,
    scope: 'orders:read',
  },
  // A page: a browser without a session is sent to sign in; a signed-in user without the role sees why, as HTML.
  { id: 'adminPage', title: 'admin page (`GET /admin`, HTML)', method: 'GET', path: '/admin' },
  // Offline JWT verification: access tokens only, revocation seen at expiry (or through /oauth/introspect).
  {
    id: 'verify',
    title: '`gatehouse/verify`, scope `orders:read`',
    method: 'GET',
    path: '/orders',
    verify: true,
    bearerOnly: true,
    scope: 'orders:read',
  },
];

/** A credential kind as the test presents it; `bearer`: sent as `Authorization: Bearer`. */
export interface CredentialRow {
  id: string;
  title: string;
  bearer: boolean;
  /** `X-Auth-Kind` of forward auth when it is accepted. */
  kind?: string;
}

export const CREDENTIALS: readonly CredentialRow[] = [
  { id: 'none', title: 'none', bearer: false },
  { id: 'session', title: 'session cookie (an admin)', bearer: false, kind: 'session' },
  { id: 'sessionUser', title: 'session cookie (not an admin)', bearer: false, kind: 'session' },
  { id: 'basicUser', title: 'Basic, user password (an admin)', bearer: false, kind: 'basic_user' },
  { id: 'basicClient', title: 'Basic, client id and secret (`orders:read`)', bearer: false, kind: 'basic_client' },
  { id: 'keyScoped', title: 'API key with `orders:read` (an admin)', bearer: true, kind: 'api_key' },
  { id: 'keyAdmin', title: 'API key with `admin` (an admin)', bearer: true, kind: 'api_key' },
  { id: 'keyNone', title: 'API key without scopes (an admin)', bearer: true, kind: 'api_key' },
  { id: 'tokenScoped', title: 'user token with `orders:read` (an admin)', bearer: true, kind: 'user_token' },
  { id: 'tokenNone', title: 'user token without scopes (an admin)', bearer: true, kind: 'user_token' },
  {
    id: 'appScoped',
    title: 'app token, code flow, with `openid orders:read` (an admin)',
    bearer: true,
    kind: 'user_token',
  },
  { id: 'appOpenId', title: 'app token, code flow, with `openid` only (an admin)', bearer: true, kind: 'user_token' },
  {
    id: 'appRevoked',
    title: 'app token of a revoked consent (consented to again since)',
    bearer: true,
  },
  { id: 'appReplayed', title: 'app token from a refresh of a grant whose code was replayed', bearer: true },
  { id: 'clientToken', title: 'client token (`orders:read`)', bearer: true, kind: 'client_token' },
  { id: 'metricsToken', title: 'client token (`metrics`)', bearer: true, kind: 'client_token' },
  {
    id: 'boundWith',
    title: 'certificate-bound client token, with its certificate',
    bearer: true,
    kind: 'client_token',
  },
  { id: 'boundWithout', title: 'certificate-bound client token, without it', bearer: true },
  { id: 'forged', title: 'a forged or unknown bearer token', bearer: true },
];

/**
 * An answer, as the table writes it: `200`; `401` (no credential),
 * `401 token` (a bearer credential that is not valid), `401 basic`;
 * `403 session` (`ERR_SESSION_REQUIRED`), `403 role` (`ERR_FORBIDDEN`),
 * `403 scope` (`ERR_INSUFFICIENT_SCOPE`), `403 cross-site` (`ERR_CROSS_SITE`);
 * for an HTML page, `303 sign-in` (to the sign-in page, no challenge) and
 * `403 page` (the page that says which role is missing, no challenge).
 */
export type Cell =
  | '200'
  | '401'
  | '401 token'
  | '403 session'
  | '403 role'
  | '403 scope'
  | '403 cross-site'
  | '303 sign-in'
  | '403 page';

type Row = Record<(typeof ROUTE_CLASSES)[number]['id'], Cell>;
const row = (cells: Cell[]): Row =>
  Object.fromEntries(ROUTE_CLASSES.map((route, index) => [route.id, cells[index]!])) as Row;

// Columns: open, any, session, admin, scope, metrics, forward, express, admin page, verify.
// gatehouse/verify reads bearer JWTs offline: a cookie is no credential there (401), a Basic header or an
// API key is a bearer credential that is not a valid token (401 token), and a revoked grant's tokens
// still verify until they expire (tokens.md: a service that must see revocation at once introspects).
// prettier-ignore
export const EXPECTED: Record<string, Row> = {
  none: row(['200', '401', '401', '401', '401', '401', '401', '401', '303 sign-in', '401']),
  session: row(['200', '200', '200', '200', '200', '403 scope', '200', '200', '200', '401']),
  sessionUser: row(['200', '200', '200', '403 role', '200', '403 scope', '200', '200', '403 page', '401']),
  basicUser: row(['200', '200', '403 session', '200', '200', '403 scope', '200', '200', '303 sign-in', '401 token']),
  basicClient: row(['200', '200', '403 session', '403 role', '200', '403 scope', '200', '200', '303 sign-in', '401 token']),
  keyScoped: row(['200', '200', '403 session', '403 scope', '200', '403 scope', '200', '200', '303 sign-in', '401 token']),
  keyAdmin: row(['200', '200', '403 session', '200', '403 scope', '403 scope', '200', '403 scope', '303 sign-in', '401 token']),
  keyNone: row(['200', '200', '403 session', '403 scope', '403 scope', '403 scope', '200', '403 scope', '303 sign-in', '401 token']),
  tokenScoped: row(['200', '200', '403 session', '403 scope', '200', '403 scope', '200', '200', '303 sign-in', '200']),
  tokenNone: row(['200', '200', '403 session', '403 scope', '403 scope', '403 scope', '200', '403 scope', '303 sign-in', '403 scope']),
  appScoped: row(['200', '200', '403 session', '403 scope', '200', '403 scope', '200', '200', '303 sign-in', '200']),
  appOpenId: row(['200', '200', '403 session', '403 scope', '403 scope', '403 scope', '200', '403 scope', '303 sign-in', '403 scope']),
  // Issue #22: revoking a grant refuses every token of it at once, whatever its scopes (offline: at expiry).
  appRevoked: row(['200', '401 token', '401 token', '401 token', '401 token', '401 token', '401 token', '401 token', '303 sign-in', '200']),
  appReplayed: row(['200', '401 token', '401 token', '401 token', '401 token', '401 token', '401 token', '401 token', '303 sign-in', '200']),
  clientToken: row(['200', '200', '403 session', '403 role', '200', '403 scope', '200', '200', '303 sign-in', '200']),
  metricsToken: row(['200', '200', '403 session', '403 role', '403 scope', '200', '200', '403 scope', '303 sign-in', '403 scope']),
  boundWith: row(['200', '200', '403 session', '403 role', '200', '403 scope', '200', '200', '303 sign-in', '200']),
  boundWithout: row(['200', '401 token', '401 token', '401 token', '401 token', '401 token', '401 token', '401 token', '303 sign-in', '401 token']),
  forged: row(['200', '401 token', '401 token', '401 token', '401 token', '401 token', '401 token', '401 token', '303 sign-in', '401 token']),
};

/** A state change from another site: credentials a browser sends by itself are refused, bearer ones are not. */
export const CROSS_SITE_ROUTES: readonly RouteClass[] = [
  { id: 'post', title: 'POST, any credential', method: 'POST', path: '/any' },
  {
    id: 'forward',
    title: 'forward auth, original method POST',
    method: 'GET',
    path: '/auth/verify',
    headers: { 'x-original-method': 'POST' },
  },
  { id: 'express', title: 'Express POST, any credential', method: 'POST', path: '/any', express: true },
];

export const CROSS_SITE_EXPECTED: Record<string, Record<string, Cell>> = {
  session: { post: '403 cross-site', forward: '403 cross-site', express: '403 cross-site' },
  basicUser: { post: '403 cross-site', forward: '403 cross-site', express: '403 cross-site' },
  basicClient: { post: '403 cross-site', forward: '403 cross-site', express: '403 cross-site' },
  keyScoped: { post: '200', forward: '200', express: '200' },
  tokenScoped: { post: '200', forward: '200', express: '200' },
  appScoped: { post: '200', forward: '200', express: '200' },
  clientToken: { post: '200', forward: '200', express: '200' },
};

const BEARER = 'Bearer realm="gatehouse"';
const BASIC = 'Basic realm="gatehouse", charset="UTF-8"';

/** The code and exact `WWW-Authenticate` (or none) a cell means for a credential on a route. */
export function expectedAnswer(
  cell: Cell,
  credential: CredentialRow,
  route: RouteClass,
): { status: number; code?: string; challenge?: string; location?: string; html?: boolean } {
  switch (cell) {
    case '200':
      return { status: 200 };
    case '401':
      return { status: 401, code: 'ERR_UNAUTHENTICATED', challenge: withBasic(BEARER, route) };
    case '401 token':
      return {
        status: 401,
        code: 'ERR_INVALID_TOKEN',
        challenge: withBasic(`${BEARER}, error="invalid_token"`, route),
      };
    case '403 session':
      return {
        status: 403,
        code: 'ERR_SESSION_REQUIRED',
        ...(credential.bearer && { challenge: `${BEARER}, error="insufficient_scope"` }),
      };
    case '403 role':
      return {
        status: 403,
        code: 'ERR_FORBIDDEN',
        ...(credential.bearer && { challenge: `${BEARER}, error="insufficient_scope", scope="${route.scope}"` }),
      };
    case '403 scope':
      return {
        status: 403,
        code: 'ERR_INSUFFICIENT_SCOPE',
        challenge: `${BEARER}, error="insufficient_scope", scope="${route.scope}"`,
      };
    case '403 cross-site':
      return { status: 403, code: 'ERR_CROSS_SITE' };
    case '303 sign-in':
      return { status: 303, location: '/' };
    case '403 page':
      return { status: 403, html: true };
  }
}

/** A 401's challenge: every accepted scheme, Basic too unless the door takes bearer tokens only. */
function withBasic(bearer: string, route: RouteClass): string {
  return route.bearerOnly ? bearer : `${bearer}, ${BASIC}`;
}

/** The table of docs/security.md, from the data above. */
export function renderDecisionTable(): string {
  const header = `| credential | ${ROUTE_CLASSES.map((route) => route.title).join(' | ')} |`;
  const rule = `|---|${ROUTE_CLASSES.map(() => '---').join('|')}|`;
  const rows = CREDENTIALS.map(
    (credential) =>
      `| ${credential.title} | ${ROUTE_CLASSES.map((route) => EXPECTED[credential.id]![route.id]).join(' | ')} |`,
  );
  const crossHeader = `| cross-site state change | ${CROSS_SITE_ROUTES.map((route) => route.title).join(' | ')} |`;
  const crossRule = `|---|${CROSS_SITE_ROUTES.map(() => '---').join('|')}|`;
  const crossRows = Object.entries(CROSS_SITE_EXPECTED).map(
    ([id, cells]) =>
      `| ${CREDENTIALS.find((credential) => credential.id === id)!.title} | ${CROSS_SITE_ROUTES.map((route) => cells[route.id]).join(' | ')} |`,
  );
  return [header, rule, ...rows, '', crossHeader, crossRule, ...crossRows].join('\n');
}

/** The table's block in docs/security.md. */
export const DECISION_TABLE_DOCS = docsBlock('security.md', 'decision-table', 'test/security/decision-table.ts');

// `npx tsx test/security/decision-table.ts --write`: renders the table into docs/security.md.
if (askedToWrite(import.meta.url)) DECISION_TABLE_DOCS.write(renderDecisionTable());
