import { fastifyCookie } from '@fastify/cookie';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isGatehouseError, type ErrorCode } from '../core/errors.js';
import type { AuthCore } from '../core/index.js';
import type { Principal } from '../core/principals.js';
import { hasScopes, parseScopes } from '../core/scopes.js';
import { readCredentialFrom } from '../http/credentials.js';
import { isCrossSite, isUnsafeMethod } from '../http/csrf.js';
import { createProblem, WWW_AUTHENTICATE } from '../http/problem.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the Gatehouse middleware: who the request acts for. */
    auth?: Principal | null;
  }
}

/** Options of {@link createExpressAuth}. */
export interface ExpressAuthOptions {
  /** The session cookie's name. Default `__Host-gatehouse`, as the server sets it. */
  cookieName?: string;
  /** Origins whose pages may make cookie-authenticated state changes. Default: the origin each request was addressed to. */
  origins?: string[];
}

/** The Express middleware of {@link createExpressAuth}. */
export interface ExpressAuth {
  /** Any valid credential: session cookie, access token or API key. Else 401. */
  required(): RequestHandler;
  /** A session cookie only. Else 401. */
  requireSession(): RequestHandler;
  /** Any valid credential whose user has the role. 401, or 403. */
  requireRole(role: string): RequestHandler;
  /** Any valid credential granted every one of the scopes (a session is not scope-limited). 401, or 403 `insufficient_scope`. */
  requireScope(...scopes: string[]): RequestHandler;
}

function sendProblem(res: Response, code: ErrorCode, challenge?: string): void {
  const problem = createProblem(code);
  if (challenge !== undefined) res.setHeader('www-authenticate', challenge);
  else if (problem.status === 401) res.setHeader('www-authenticate', WWW_AUTHENTICATE);
  if (problem.status === 503) res.setHeader('retry-after', '5');
  res.status(problem.status).type('application/problem+json; charset=utf-8').send(JSON.stringify(problem));
}

/**
 * Gatehouse's guards for Express 5 (`gatehouse/express`): the same credential
 * resolution, answers (problem+json, `WWW-Authenticate`), CSRF check and
 * codes as the Fastify plugin's `app.auth`, over the same core. The principal
 * is set on `req.auth`.
 *
 * @example
 * const auth = createExpressAuth(core);
 * app.get('/orders', auth.requireScope('orders:read'), (req, res) => res.json(listOrders(req.auth!)));
 */
export function createExpressAuth(core: AuthCore, options: ExpressAuthOptions = {}): ExpressAuth {
  const cookieName = options.cookieName ?? '__Host-gatehouse';
  const origins = options.origins?.map((origin) => origin.toLowerCase());
  const resolved = new WeakMap<Request, Promise<Principal | null>>();

  const credentialOf = (req: Request) =>
    readCredentialFrom(req.headers.authorization, () => {
      const header = req.headers.cookie;
      return header ? fastifyCookie.parse(header)[cookieName] : undefined;
    });

  function resolve(req: Request): Promise<Principal | null> {
    let principal = resolved.get(req);
    if (!principal) {
      const credential = credentialOf(req);
      principal =
        credential.kind === 'cookie'
          ? core.principals.fromSessionToken(credential.token)
          : credential.kind === 'bearer'
            ? core.principals.fromBearer(credential.token)
            : Promise.resolve(null);
      resolved.set(req, principal);
    }
    return principal;
  }

  /** Lets the request through with its principal, or answers; `check` may refuse a valid principal (403). */
  function guard(check: (principal: Principal, res: Response) => boolean, sessionOnly = false): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      resolve(req).then(
        (principal) => {
          if (principal && (!sessionOnly || principal.kind === 'session')) {
            const site = { headers: req.headers, protocol: req.protocol, host: req.host };
            if (principal.kind === 'session' && isUnsafeMethod(req.method) && isCrossSite(site, origins))
              return sendProblem(res, 'ERR_CROSS_SITE');
            req.auth = principal;
            if (check(principal, res)) next();
            return undefined;
          }
          const kind = credentialOf(req).kind;
          if (kind === 'bearer' || kind === 'malformed')
            return sendProblem(res, 'ERR_INVALID_TOKEN', `${WWW_AUTHENTICATE}, error="invalid_token"`);
          return sendProblem(res, 'ERR_UNAUTHENTICATED');
        },
        (error: unknown) =>
          isGatehouseError(error, 'ERR_UNAVAILABLE') ? sendProblem(res, 'ERR_UNAVAILABLE') : next(error),
      );
    };
  }

  return {
    required: () => guard(() => true),
    requireSession: () => guard(() => true, true),
    requireRole: (role) =>
      guard((principal, res) => {
        if (principal.roles.includes(role)) return true;
        sendProblem(res, 'ERR_FORBIDDEN');
        return false;
      }),
    requireScope: (...scopes) => {
      if (scopes.length === 0) throw new TypeError('requireScope() needs at least one scope');
      const needed = parseScopes(scopes).join(' ');
      return guard((principal, res) => {
        if (hasScopes(principal.scopes, scopes)) return true;
        sendProblem(
          res,
          'ERR_INSUFFICIENT_SCOPE',
          `${WWW_AUTHENTICATE}, error="insufficient_scope", scope="${needed}"`,
        );
        return false;
      });
    },
  };
}
