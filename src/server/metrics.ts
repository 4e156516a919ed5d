import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditEventInput } from '../core/audit/index.js';
import type { ErrorCode } from '../core/errors/index.js';
import type { AuthCore } from '../core/index.js';
import { METRICS_SCOPE } from '../core/scopes/index.js';
import { readCredential } from '../http/credentials.js';
import { problemCodeOf } from '../http/problem.js';

export { METRICS_SCOPE };

/** Counting live sessions scans an index: at most once per this many milliseconds, whatever the scrape rate. */
const SESSION_COUNT_MAX_AGE_MS = 15_000;

// Loopback peers; a request that came through a proxy on the same host is not "local".
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

/**
 * Gatehouse's Prometheus metrics (prom-client): sign-in outcomes, throttling,
 * token issuance, credential rejections, problem answers by code, live
 * sessions, and request latency per route, plus Node's process metrics.
 *
 * Created before the core (which reports its audit events to
 * {@link ServerMetrics.observeAuditEvent}), then attached to the app.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly logins = new Counter({
    name: 'gatehouse_logins_total',
    help: 'Sign-ins by outcome: success, failure, throttled, busy, two_factor_required.',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly tokens = new Counter({
    name: 'gatehouse_tokens_issued_total',
    help: 'Access tokens issued, by grant: session, client_credentials, authorization_code, refresh_token.',
    labelNames: ['grant'],
    registers: [this.registry],
  });
  private readonly authorizations = new Counter({
    name: 'gatehouse_authorizations_total',
    help: 'Authorization requests answered with a code, or sent back refused, by outcome: code, or the RFC 6749 error (access_denied, login_required, consent_required).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly codes = new Counter({
    name: 'gatehouse_authorization_codes_total',
    help: 'Authorization codes by event: issued, redeemed, replayed (by its app with its verifier: the grant ends), replay_refused (a spent code without them: nothing ends).',
    labelNames: ['event'],
    registers: [this.registry],
  });
  private readonly consents = new Counter({
    name: 'gatehouse_consents_total',
    help: 'Consents to apps by event: granted (asked, or first-party), revoked.',
    labelNames: ['event'],
    registers: [this.registry],
  });
  private readonly passkeys = new Counter({
    name: 'gatehouse_passkey_ceremonies_total',
    help: 'Passkey (WebAuthn) ceremonies answered, by ceremony (registration, authentication) and outcome (success, failure; counter_regressed besides the failure it is).',
    labelNames: ['ceremony', 'outcome'],
    registers: [this.registry],
  });
  private readonly throttled = new Counter({
    name: 'gatehouse_throttled_total',
    help: 'Requests answered 429 (account or address throttle, or rate limit), by route.',
    labelNames: ['route'],
    registers: [this.registry],
  });
  private readonly rejections = new Counter({
    name: 'gatehouse_credential_rejections_total',
    help: 'Requests whose presented credential was not accepted, by kind: cookie, bearer (access token or API key), malformed.',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  private readonly problems = new Counter({
    name: 'gatehouse_problems_total',
    help: 'Problem answers by error code (docs/errors.md).',
    labelNames: ['code'],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'Time from request to response, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status_code'],
    // Signed-in requests take about a millisecond, sign-ins tens of milliseconds (Argon2id).
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts the events that are metrics too. Given to the core as its audit observer. */
  observeAuditEvent = (event: AuditEventInput): void => {
    this.observePasskeyEvent(event);
    if (event.type === 'login.success') this.logins.inc({ outcome: 'success' });
    else if (event.type === 'login.failure') this.logins.inc({ outcome: 'failure' });
    else if (event.type === 'login.throttled') this.logins.inc({ outcome: 'throttled' });
    else if (event.type === 'login.two_factor_required') this.logins.inc({ outcome: 'two_factor_required' });
    else if (event.type === 'token.issue') this.tokens.inc({ grant: String(event.detail?.grant ?? 'unknown') });
    else if (event.type === 'authorize.refused') this.authorizations.inc({ outcome: String(event.detail?.error) });
    else if (event.type === 'authorization_code.issue') {
      this.authorizations.inc({ outcome: 'code' });
      this.codes.inc({ event: 'issued' });
    } else if (event.type === 'authorization_code.redeem') {
      this.codes.inc({ event: 'redeemed' });
      this.tokens.inc({ grant: 'authorization_code' });
    } else if (event.type === 'authorization_code.replay') this.codes.inc({ event: 'replayed' });
    else if (event.type === 'authorization_code.replay_refused') this.codes.inc({ event: 'replay_refused' });
    else if (event.type === 'consent.grant') this.consents.inc({ event: 'granted' });
    else if (event.type === 'consent.revoke') this.consents.inc({ event: 'revoked' });
  };

  private observePasskeyEvent(event: AuditEventInput): void {
    const passkeySignIn = event.detail?.method === 'passkey';
    if (event.type === 'passkey.register') this.passkeys.inc({ ceremony: 'registration', outcome: 'success' });
    else if (event.type === 'passkey.refused')
      this.passkeys.inc({ ceremony: String(event.detail?.ceremony ?? 'registration'), outcome: 'failure' });
    else if (event.type === 'passkey.counter_regressed')
      this.passkeys.inc({ ceremony: 'authentication', outcome: 'counter_regressed' });
    else if (passkeySignIn && event.type === 'login.success')
      this.passkeys.inc({ ceremony: 'authentication', outcome: 'success' });
    else if (passkeySignIn && event.type === 'login.failure')
      this.passkeys.inc({ ceremony: 'authentication', outcome: 'failure' });
  }

  /**
   * Times every request, counts problem answers, and serves `GET /metrics`
   * to loopback clients (not through a proxy) and to bearer credentials with
   * the `metrics` scope.
   */
  attach(app: FastifyInstance, core: AuthCore, cookieName: string): void {
    const cookie = { name: cookieName };
    let sessions = { value: 0, at: -Infinity };
    new Gauge({
      name: 'gatehouse_sessions',
      help: `Sessions not yet expired (counted at most every ${SESSION_COUNT_MAX_AGE_MS / 1000} s).`,
      registers: [this.registry],
      collect: async function (this: Gauge) {
        const now = core.clock.now();
        if (now - sessions.at >= SESSION_COUNT_MAX_AGE_MS)
          sessions = { value: await core.store.countSessions(now), at: now };
        this.set(sessions.value);
      },
    });

    // A callback hook, not async: no promise per request on the hot path.
    app.addHook('onResponse', (request, reply, done) => {
      // The route pattern, never the raw URL: a label per path would grow without bound.
      const route = request.routeOptions.url ?? 'unmatched';
      this.duration.observe({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000);
      const code = problemCodeOf(reply);
      if (code !== undefined) this.countProblem(code, route, request, cookie);
      done();
    });

    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (!(await this.mayRead(app, request, reply))) return reply;
      reply.header('cache-control', 'no-store').type(this.registry.contentType);
      return this.registry.metrics();
    });
  }

  private countProblem(code: ErrorCode, route: string, request: FastifyRequest, cookie: { name: string }): void {
    this.problems.inc({ code });
    if (code === 'ERR_THROTTLED') this.throttled.inc({ route });
    else if (code === 'ERR_BUSY' && route.endsWith('/login')) this.logins.inc({ outcome: 'busy' });
    else if (code === 'ERR_INVALID_TOKEN' || code === 'ERR_UNAUTHENTICATED' || code === 'ERR_INVALID_CREDENTIALS') {
      const presented = readCredential(request, cookie).kind;
      // A failed POST /login is a sign-in failure (counted above), not a rejected credential.
      if (presented !== 'none' && (code !== 'ERR_INVALID_CREDENTIALS' || presented === 'basic'))
        this.rejections.inc({ kind: presented });
    }
  }

  private async mayRead(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const local =
      LOOPBACK.has(request.socket.remoteAddress ?? '') &&
      !FORWARDING_HEADERS.some((name) => request.headers[name] !== undefined);
    if (local) return true;
    // The core decides, as for every guarded route: a credential holding `metrics` (service clients an operator granted it to).
    return (await app.auth.check(request, reply, { scopes: [METRICS_SCOPE] })) !== null;
  }
}
