import { APPLICATION, type Actor, type AuditLog } from '../audit/index.js';
import type { Clock } from '../shared/index.js';
import { GatehouseError } from '../errors/index.js';
import { ADMIN_ROLE, parseRoles } from './roles.js';
import { parseScopes } from './scopes.js';
import type { ScopeRecord, ScopeStore } from '../store/index.js';

/** A scope a credential may hold, as the registry knows it. */
export interface ScopeDefinition {
  name: string;
  /** What holding it allows, in words: shown to operators and on consent pages. */
  description: string;
  /** Users with one of these roles may hold it; empty: every user. Only a scope without roles may be held by a service client. */
  roles: string[];
  /** Built into Gatehouse: it cannot be added, changed or removed. */
  reserved: boolean;
  /**
   * Who may hold it: `everyone` (users, and service clients registered with
   * it), `users` (users only, never a service client as itself), `clients`
   * (only service clients an operator registered with it, never a user's
   * credential), or `apps` (the OpenID Connect scopes: only tokens an app got
   * for a user from the authorization endpoint).
   */
  heldBy: 'everyone' | 'users' | 'clients' | 'apps';
  /**
   * When it was added, milliseconds since the epoch; 0 for a reserved one. A
   * credential issued before then never holds it (see {@link holdableScopes}):
   * a scope removed and added again is a new scope.
   */
  createdAt: number;
}

/** The scope that lets a delegated credential of an administrator use the admin routes. */
export const ADMIN_SCOPE = 'admin';
/** The scope a token or key needs to read `/metrics` from anywhere but loopback. */
export const METRICS_SCOPE = 'metrics';
/** The scope a client needs to use `/oauth/introspect`. */
export const INTROSPECT_SCOPE = 'introspect';
/** OpenID Connect Core §3.1.2.1: the scope that makes an authorization request an OpenID Connect one. */
export const OPENID_SCOPE = 'openid';
/** OpenID Connect Core §11: a refresh token that outlives the browser session. */
export const OFFLINE_ACCESS_SCOPE = 'offline_access';
/** The scopes of OpenID Connect itself: requested through apps a user signs in to. */
export const OIDC_SCOPES: readonly string[] = [OPENID_SCOPE, 'profile', 'email', OFFLINE_ACCESS_SCOPE];

/** The scopes built into every deployment. */
export const RESERVED_SCOPES: readonly ScopeDefinition[] = Object.freeze([
  {
    name: ADMIN_SCOPE,
    description: 'Administer users, service clients, signing keys and scopes (administrators only).',
    roles: [ADMIN_ROLE],
    reserved: true,
    heldBy: 'users',
    createdAt: 0,
  },
  {
    name: INTROSPECT_SCOPE,
    description: 'Ask whether tokens and API keys are active, and whose they are (/oauth/introspect).',
    roles: [],
    reserved: true,
    heldBy: 'clients',
    createdAt: 0,
  },
  {
    name: METRICS_SCOPE,
    description: 'Read the Prometheus metrics (/metrics).',
    roles: [],
    reserved: true,
    heldBy: 'clients',
    createdAt: 0,
  },
  {
    name: OPENID_SCOPE,
    description: 'Sign you in to the app: it learns who you are (an ID token with your user id).',
    roles: [],
    reserved: true,
    heldBy: 'apps',
    createdAt: 0,
  },
  {
    name: 'profile',
    description: 'Your username and roles.',
    roles: [],
    reserved: true,
    heldBy: 'apps',
    createdAt: 0,
  },
  {
    name: 'email',
    description: 'Your e-mail address, where Gatehouse has one.',
    roles: [],
    reserved: true,
    heldBy: 'apps',
    createdAt: 0,
  },
  {
    name: OFFLINE_ACCESS_SCOPE,
    description: 'Keep access while you are away: a refresh token that outlives your sign-in here.',
    roles: [],
    reserved: true,
    heldBy: 'apps',
    createdAt: 0,
  },
]);

/**
 * Who would hold a scope: a user with their roles now (their session, key or
 * token), an app acting for a user (a token from the authorization
 * endpoint), or a service client as itself.
 */
export type ScopeHolder = { kind: 'user' | 'app'; roles: readonly string[] } | { kind: 'client' };

/** Whether `holder` may hold `scope`. */
export function mayHoldScope(scope: ScopeDefinition, holder: ScopeHolder): boolean {
  if (holder.kind === 'client')
    return (scope.heldBy === 'everyone' || scope.heldBy === 'clients') && scope.roles.length === 0;
  if (scope.heldBy === 'clients' || (scope.heldBy === 'apps' && holder.kind !== 'app')) return false;
  return scope.roles.length === 0 || scope.roles.some((role) => holder.roles.includes(role));
}

/**
 * The names of every scope of `registry` that `holder` may hold, sorted.
 * With `issuedAt` (milliseconds, compared to the second like a JWT's `iat`),
 * only those that already existed when the credential was issued: removing
 * a scope and adding one of the same name does not give it back to the
 * access tokens issued before (issue #22).
 */
export function holdableScopes(
  registry: readonly ScopeDefinition[],
  holder: ScopeHolder,
  options: { issuedAt?: number } = {},
): string[] {
  const { issuedAt } = options;
  return registry
    .filter(
      (scope) =>
        mayHoldScope(scope, holder) &&
        (issuedAt === undefined || Math.floor(scope.createdAt / 1000) <= Math.floor(issuedAt / 1000)),
    )
    .map((scope) => scope.name);
}

/**
 * The requested scopes (a space-separated string or a list), parsed, when
 * every one is among `available` (see {@link holdableScopes}). With
 * `registry` (an operator registering a client), a scope that does not exist
 * at all is told apart from one this holder may not hold, and the message
 * says how to add it.
 *
 * @throws {GatehouseError} `ERR_INVALID_SCOPE` naming the first scope that is not available.
 */
export function checkRequestedScopes(
  requested: string | readonly string[],
  available: readonly string[],
  holder: 'user' | 'client',
  options: { registry?: readonly ScopeDefinition[] } = {},
): string[] {
  const scopes = parseScopes(requested);
  const refused = scopes.find((scope) => !available.includes(scope));
  if (refused === undefined) return scopes;
  const name = JSON.stringify(refused);
  const known = options.registry?.some((scope) => scope.name === refused);
  throw new GatehouseError('ERR_INVALID_SCOPE', {
    message:
      options.registry === undefined
        ? `The scope ${name} does not exist or is not available to this ${holder}.`
        : known
          ? `The scope ${name} is not available to this ${holder}.`
          : `The scope ${name} does not exist; add it with: gatehouse scope add ${refused} --description "…"`,
    details: { scope: refused },
  });
}

const DESCRIPTION_MAX = 200;

function toDefinition(record: ScopeRecord): ScopeDefinition {
  return {
    name: record.name,
    description: record.description,
    roles: [...record.roles],
    reserved: false,
    heldBy: 'everyone',
    createdAt: record.createdAt,
  };
}

/** The scope registry; see {@link createScopeRegistry}. */
export type ScopeRegistry = ReturnType<typeof createScopeRegistry>;

/**
 * The scopes of a deployment: the reserved ones and those an operator
 * added, each with a description and the roles whose users may hold it.
 * Credentials are granted only scopes that exist here and that their holder
 * may hold; a scope removed here stops counting on every credential at once,
 * and is stripped from the stored ones (API keys, clients, refresh tokens,
 * consents, codes): added again, it starts with no holder.
 */
export function createScopeRegistry({ store, clock, audit }: { store: ScopeStore; clock: Clock; audit: AuditLog }) {
  return {
    /** Every scope, reserved ones included, by name. */
    async list(): Promise<ScopeDefinition[]> {
      const stored = (await store.listScopes()).map(toDefinition);
      return [...RESERVED_SCOPES, ...stored].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    /**
     * Adds a scope.
     * @throws {GatehouseError} `ERR_INVALID_SCOPE` (name, or a reserved one), `ERR_VALIDATION` (description), `ERR_INVALID_ROLE`, `ERR_SCOPE_EXISTS`.
     */
    async create(
      input: { name: string; description: string; roles?: readonly string[] },
      actor: Actor = APPLICATION,
    ): Promise<ScopeDefinition> {
      const [name, ...more] = parseScopes(input.name);
      if (name === undefined || more.length > 0)
        throw new GatehouseError('ERR_INVALID_SCOPE', { message: 'Give one scope name.' });
      if (RESERVED_SCOPES.some((scope) => scope.name === name)) {
        throw new GatehouseError('ERR_INVALID_SCOPE', { message: `The scope ${JSON.stringify(name)} is reserved.` });
      }
      const description = input.description.trim();
      if (description === '' || [...description].length > DESCRIPTION_MAX || /[\p{Cc}\p{Cf}]/u.test(description)) {
        throw new GatehouseError('ERR_VALIDATION', {
          message: `A scope description has 1 to ${DESCRIPTION_MAX} printable characters.`,
        });
      }
      const record: ScopeRecord = { name, description, roles: parseRoles(input.roles ?? []), createdAt: clock.now() };
      if (!(await store.createScope(record))) throw new GatehouseError('ERR_SCOPE_EXISTS');
      await audit.record({ type: 'scope.create', ...audit.from(actor), detail: { scope: name, roles: record.roles } });
      return toDefinition(record);
    },

    /**
     * Removes a scope: every credential that carries it stops holding it, the
     * stored ones lose it, and the access tokens issued before never hold a
     * scope of the same name added later.
     * @throws {GatehouseError} `ERR_INVALID_SCOPE` for a reserved scope, `ERR_SCOPE_NOT_FOUND`.
     */
    async remove(name: string, actor: Actor = APPLICATION): Promise<void> {
      if (RESERVED_SCOPES.some((scope) => scope.name === name)) {
        throw new GatehouseError('ERR_INVALID_SCOPE', { message: `The scope ${JSON.stringify(name)} is reserved.` });
      }
      if (!(await store.deleteScope(name))) throw new GatehouseError('ERR_SCOPE_NOT_FOUND');
      await audit.record({ type: 'scope.remove', ...audit.from(actor), detail: { scope: name } });
    },
  };
}
