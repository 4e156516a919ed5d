import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { RouteOptions } from 'fastify';
import { DEFAULT_BASIC_AUTH_MODE, type BasicAuthMode } from '../core/sign-in/index.js';
import { ERROR_CODES } from '../core/errors/index.js';
import { guardRequirement, type GuardRequirement } from './guards.js';
import { SESSION_COOKIE_NAME } from './session-cookie.js';

/** Options of {@link gatehouseOpenApi}. */
export interface OpenApiOptions {
  /** Document title. Default `Gatehouse`. */
  title?: string;
  /** The API's version. Default the package version given by the caller, else `0.0.0`. */
  version?: string;
  /** Name of the session cookie (the `session` security scheme). Default `__Host-gatehouse`. */
  cookieName?: string;
  /** Who may use HTTP Basic, as given to the plugin. Default `clients`. */
  basicAuth?: BasicAuthMode;
}

type HeaderDoc = { description: string; schema: { type: 'string' | 'integer' } };
const RETRY_AFTER: Record<string, HeaderDoc> = {
  'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } },
};
const PROBLEM_CONTENT = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
const OAUTH_CONTENT = { 'application/json': { schema: { $ref: '#/components/schemas/OAuthError' } } };

/**
 * The error answers routes share, by name. A route schema may list names in
 * `'x-problems'`; the rest are completed from its guards, body and rate limit.
 */
const ERROR_RESPONSES = {
  Problem400: {
    status: '400',
    description: 'The request is malformed (`ERR_VALIDATION` and kin).',
    content: PROBLEM_CONTENT,
  },
  Problem401: {
    status: '401',
    description: 'No acceptable credential (`ERR_UNAUTHENTICATED`, `ERR_INVALID_TOKEN`, `ERR_INVALID_CREDENTIALS`).',
    headers: {
      'WWW-Authenticate': {
        description: 'The challenge (RFC 9110 §11.6.1), `Bearer realm="gatehouse"`.',
        schema: { type: 'string' },
      },
    },
    content: PROBLEM_CONTENT,
  },
  Problem403: {
    status: '403',
    description:
      'Authenticated but not allowed: missing role or scope, or a cross-site cookie request (`ERR_FORBIDDEN`, `ERR_INSUFFICIENT_SCOPE`, `ERR_CROSS_SITE`).',
    content: PROBLEM_CONTENT,
  },
  Problem404: {
    status: '404',
    description:
      'No such thing, or not yours: the answer is the same (`ERR_USER_NOT_FOUND`, `ERR_SESSION_NOT_FOUND`, `ERR_API_KEY_NOT_FOUND`).',
    content: PROBLEM_CONTENT,
  },
  Problem409: { status: '409', description: 'It already exists (`ERR_USER_EXISTS`).', content: PROBLEM_CONTENT },
  Problem413: {
    status: '413',
    description: 'The body is larger than the route accepts (`ERR_PAYLOAD_TOO_LARGE`).',
    content: PROBLEM_CONTENT,
  },
  Problem415: {
    status: '415',
    description: 'The body is neither JSON nor form-encoded (`ERR_UNSUPPORTED_MEDIA_TYPE`).',
    content: PROBLEM_CONTENT,
  },
  Problem429: {
    status: '429',
    description: 'Too many attempts (`ERR_THROTTLED`).',
    headers: RETRY_AFTER,
    content: PROBLEM_CONTENT,
  },
  Problem503: {
    status: '503',
    description: 'The database is unreachable or too many sign-ins are being checked (`ERR_UNAVAILABLE`, `ERR_BUSY`).',
    headers: RETRY_AFTER,
    content: PROBLEM_CONTENT,
  },
  OAuthError400: {
    status: '400',
    description:
      'RFC 6749 §5.2: `invalid_request`, `invalid_grant`, `invalid_scope`, `unsupported_grant_type`, `unauthorized_client`.',
    content: OAUTH_CONTENT,
  },
  OAuthError401: {
    status: '401',
    description: 'RFC 6749 §5.2: `invalid_client`.',
    headers: { 'WWW-Authenticate': { description: '`Basic realm="gatehouse"`.', schema: { type: 'string' } } },
    content: OAUTH_CONTENT,
  },
} satisfies Record<
  string,
  { status: string; description: string; headers?: Record<string, HeaderDoc>; content: object }
>;

/**
 * Documentation keys a Gatehouse route schema may carry besides the standard
 * ones: `'x-problems'` (shared error answers) and `'x-success'` (status and
 * description when the route does not answer a plain 200).
 */
export type RouteDocs = { 'x-problems'?: ErrorResponseName[]; 'x-success'?: [number, string] };

/** The name of a shared error answer, as listed in a route schema's `'x-problems'`. */
export type ErrorResponseName = keyof typeof ERROR_RESPONSES;

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'An RFC 9457 problem document with a stable `code` (docs/errors.md).',
  required: ['type', 'title', 'status', 'code', 'detail'] as string[],
  properties: {
    type: { type: 'string', const: 'about:blank' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    code: { type: 'string', enum: Object.keys(ERROR_CODES) },
    detail: { type: 'string' },
  },
} as const;

const OAUTH_ERROR_SCHEMA = {
  type: 'object',
  description: 'An RFC 6749 §5.2 error.',
  required: ['error'] as string[],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
} as const;

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The guard requirement of a route, from its `onRequest`, `preValidation` or `preHandler` hooks. */
function requirementOf(route: RouteOptions): GuardRequirement | undefined {
  for (const hooks of [route.onRequest, route.preValidation, route.preHandler]) {
    for (const hook of [hooks].flat()) {
      const requirement = guardRequirement(hook);
      if (requirement) return requirement;
    }
  }
  return undefined;
}

/** OpenAPI security requirements of a guard: the session cookie, or it, a bearer credential or (when accepted) Basic. */
export function securityOf(requirement: GuardRequirement, basicAuth: BasicAuthMode): Record<string, string[]>[] {
  // OpenAPI 3.1 §4.8.30: for schemes other than OAuth2, the array lists the roles (here, scopes) required.
  // A delegated credential exercises a role only with the scope of that name (core/authorization/authorization.ts).
  const scopes = [...(requirement.scopes ?? [])];
  const bearerScopes = requirement.role === undefined ? scopes : [...scopes, requirement.role];
  if (requirement.credentials === 'session') return [{ session: [] }];
  return basicAuth === 'off'
    ? [{ session: [] }, { bearer: bearerScopes }]
    : [{ session: [] }, { bearer: bearerScopes }, { basic: scopes }];
}

function errorResponsesOf(
  route: RouteOptions,
  schema: Record<string, unknown>,
  requirement: GuardRequirement | undefined,
): ErrorResponseName[] {
  const declared = (schema['x-problems'] as ErrorResponseName[] | undefined) ?? [];
  const derived: ErrorResponseName[] = [];
  if (schema.body || schema.querystring || schema.params) derived.push('Problem400');
  if (schema.body) derived.push('Problem413', 'Problem415');
  if (requirement) {
    derived.push('Problem401', 'Problem503');
    const methods = [route.method].flat();
    if (
      requirement.role ||
      requirement.scopes ||
      requirement.credentials === 'session' ||
      methods.some((method) => UNSAFE_METHODS.has(method))
    )
      derived.push('Problem403');
  }
  if ((route.config as { rateLimit?: unknown } | undefined)?.rateLimit) derived.push('Problem429');
  // What a route declares wins over what is derived for the same status (the OAuth routes' 400 and 401).
  const statuses = new Set(declared.map((name) => ERROR_RESPONSES[name].status));
  return [...new Set([...declared, ...derived.filter((name) => !statuses.has(ERROR_RESPONSES[name].status))])];
}

/**
 * Options for `@fastify/swagger` that describe Gatehouse's routes as an
 * OpenAPI 3.1 document: the security scheme of each route read from its
 * Gatehouse guard (`app.auth.*`), and the problem+json answers it can give.
 * Routes without tags (the web pages, assets) are left out: they are for
 * browsers, not API clients.
 *
 * Register `@fastify/swagger` with these options before the Gatehouse plugin;
 * the host app's own guarded routes are documented the same way once they
 * carry `tags`.
 *
 * @example
 * await app.register(fastifySwagger, gatehouseOpenApi({ title: 'Orders', version: '1.2.0' }));
 * await app.register(gatehouse, { core });
 * app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
 */
export function gatehouseOpenApi(options: OpenApiOptions = {}): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: options.title ?? 'Gatehouse',
        version: options.version ?? '0.0.0',
        description:
          'Authentication for REST APIs: sessions, access tokens, API keys, service clients. Errors are RFC 9457 problem documents.',
      },
      components: {
        securitySchemes: {
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: options.cookieName ?? SESSION_COOKIE_NAME,
            description: 'The session cookie set by `POST /login`.',
          },
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An access token (JWT from `/token` or `/oauth/token`) or a personal API key (`gh_…`).',
          },
          basic: {
            type: 'http',
            scheme: 'basic',
            description: `Credentials on every request (RFC 7617, UTF-8): ${
              {
                clients: "a service client's `client_id:client_secret`",
                users: "a user's `username:password` (throttled like sign-in)",
                both: "a service client's `client_id:client_secret` or a user's `username:password`",
                off: 'not accepted by this deployment',
              }[options.basicAuth ?? DEFAULT_BASIC_AUTH_MODE]
            }.`,
          },
          client: {
            type: 'http',
            scheme: 'basic',
            description:
              'A service client: `client_id:client_secret` (`client_secret_basic`); the same may instead be sent in the form body, or a `private_key_jwt` assertion.',
          },
        },
        schemas: { Problem: PROBLEM_SCHEMA, OAuthError: OAUTH_ERROR_SCHEMA },
        responses: Object.fromEntries(
          Object.entries(ERROR_RESPONSES).map(([name, { status: _status, ...response }]) => [name, response]),
        ),
      },
      tags: [
        { name: 'sign-in', description: "Sessions for people: the lesson's `/login` and its cookie." },
        { name: 'account', description: "A signed-in user's own sessions, password, API keys and tokens." },
        { name: 'admin', description: 'User administration and the audit log (the `admin` role).' },
        {
          name: 'oauth',
          description: 'OAuth 2.0 for services: token, revocation, introspection (form bodies, RFC 6749 errors).',
        },
        { name: 'discovery', description: 'Public keys and metadata for offline verification.' },
        { name: 'proxy', description: 'Forward auth for reverse proxies.' },
        { name: 'operations', description: 'Health and readiness.' },
      ],
    },
    hideUntagged: true,
    transform: ({ schema, url, route }) => {
      const base = (schema ?? {}) as Record<string, unknown>;
      const requirement = requirementOf(route);
      const documented: Record<string, unknown> = { ...base };
      if (requirement && !base.security)
        documented.security = securityOf(requirement, options.basicAuth ?? DEFAULT_BASIC_AUTH_MODE);
      // Gatehouse's bodies are JSON or form-encoded alike (the lesson posts a form).
      if (base.body && !base.consumes) documented.consumes = ['application/json', 'application/x-www-form-urlencoded'];
      const problems = errorResponsesOf(route, base, requirement);
      if (problems.length > 0) documented['x-problems'] = problems;
      return { schema: documented as typeof schema, url };
    },
    transformObject: (document) => {
      if (!('openapiObject' in document)) return document.swaggerObject;
      const { openapiObject } = document;
      // Each declared problem becomes a reference to one shared response.
      for (const item of Object.values(openapiObject.paths ?? {})) {
        for (const operation of Object.values(item as Record<string, Record<string, unknown>>)) {
          const responses = operation.responses as Record<string, unknown>;
          // `'x-success'`: the route's success status and what it means, when not a plain 200.
          const success = operation['x-success'] as [number, string] | undefined;
          if (success) {
            delete operation['x-success'];
            delete responses['200'];
            responses[String(success[0])] = { description: success[1] };
          }
          const names = operation['x-problems'] as ErrorResponseName[] | undefined;
          if (!names) continue;
          delete operation['x-problems'];
          for (const name of names)
            responses[ERROR_RESPONSES[name].status] = { $ref: `#/components/responses/${name}` };
        }
      }
      return openapiObject;
    },
  };
}
