import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  authorize,
  defineRequirement,
  isCrossSite,
  type Refusal,
  type Requirement,
  readPresentedCredential,
} from '../core/authorization/index.js';
import { DEFAULT_BASIC_AUTH_MODE, type BasicAuthMode } from '../core/sign-in/index.js';
import type { AuthCore } from '../core/index.js';
import type { Principal } from '../core/principals/index.js';
import { SESSION_COOKIE_NAME } from '../core/sessions/index.js';
import {
  certificateOfConnection,
  readCookie,
  refusalAnswer,
  resolveFailureAnswer,
  type Answer,
} from '../wire/index.js';

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
  /** Who may send `Authorization: Basic`: `clients` (default), `users`, `both` or `off`, as the server's `--basic-auth`. */
  basicAuth?: BasicAuthMode;
}

/** The Express middleware of {@link createExpressAuth}. */
export interface ExpressAuth {
  /** Any valid credential: session cookie, access token, API key or Basic. Else 401. */
  required(): RequestHandler;
  /** A session cookie only. 401, or 403 `ERR_SESSION_REQUIRED`. */
  requireSession(): RequestHandler;
  /** A user with the role; a delegated credential (API key, token) also needs the scope of that name. 401, or 403. */
  requireRole(role: string): RequestHandler;
  /** A credential holding every one of the scopes. 401, or 403 `insufficient_scope`. */
  requireScope(...scopes: string[]): RequestHandler;
  /** Middleware for any requirement. */
  require(requirement: Requirement): RequestHandler;
}

/** Sends an answer of the wire module (`src/wire/`) on an Express response. */
function sendAnswer(res: Response, answer: Answer): void {
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.status(answer.status).send(JSON.stringify(answer.body));
}

/**
 * Gatehouse's guards for Express 5 (`gatehouse/express`): the same credential
 * resolution (session cookie, access tokens bound or not to a client
 * certificate, API keys, Basic), the same decision (the core's
 * `authorize`), answers (problem+json, `WWW-Authenticate`) and codes as the
 * Fastify plugin's `app.auth`, over the same core. The principal is set on
 * `req.auth`.
 *
 * @example
 * const auth = createExpressAuth(core);
 * app.get('/orders', auth.requireScope('orders:read'), (req, res) => res.json(listOrders(req.auth!)));
 */
export function createExpressAuth(core: AuthCore, options: ExpressAuthOptions = {}): ExpressAuth {
  const cookieName = options.cookieName ?? SESSION_COOKIE_NAME;
  const origins = options.origins?.map((origin) => origin.toLowerCase());
  const basicAuth = options.basicAuth ?? DEFAULT_BASIC_AUTH_MODE;
  const resolved = new WeakMap<Request, Promise<Principal | null>>();

  const credentialOf = (req: Request) =>
    readPresentedCredential(req.headers.authorization, () => readCookie(req.headers.cookie, cookieName));

  function resolve(req: Request): Promise<Principal | null> {
    let principal = resolved.get(req);
    if (!principal) {
      principal = core.principals.resolve(credentialOf(req), {
        basicAuth,
        connection: { certificateThumbprint: () => certificateOfConnection(req.socket)?.thumbprint },
        origin: { ip: req.ip ?? null, userAgent: req.headers['user-agent'] ?? null },
      });
      resolved.set(req, principal);
    }
    return principal;
  }

  function guard(requirement: Requirement): RequestHandler {
    const defined = defineRequirement(requirement);
    return (req: Request, res: Response, next: NextFunction) => {
      resolve(req).then(
        (principal) => {
          const decision = authorize(principal, defined, {
            method: req.method,
            crossSite: isCrossSite({ headers: req.headers, protocol: req.protocol, host: req.host }, origins),
            presented: credentialOf(req).kind,
            basicAuth,
          });
          if (!decision.allowed) return refuse(res, decision);
          req.auth = principal;
          next();
          return undefined;
        },
        (error: unknown) => {
          // Throttled, busy or unavailable is answered here, as the Fastify guards answer it; the rest goes on.
          const answer = resolveFailureAnswer(error);
          return answer === null ? next(error) : sendAnswer(res, answer);
        },
      );
    };
  }

  function refuse(res: Response, refusal: Refusal): void {
    if (refusal.clearCookie) res.clearCookie(cookieName, { path: '/', secure: true, httpOnly: true });
    sendAnswer(res, refusalAnswer(refusal));
  }

  return {
    require: guard,
    required: () => guard({ credentials: 'any' }),
    requireSession: () => guard({ credentials: 'session' }),
    requireRole: (role) => guard({ credentials: 'any', role }),
    requireScope: (...scopes) => guard({ credentials: 'any', scopes }),
  };
}
