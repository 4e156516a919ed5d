import { type Clock, createId } from '../shared/index.js';
import type { AuditRecord, AuditStore } from '../store/index.js';

/** The kinds of audit events. */
export type AuditEventType =
  | 'login.success'
  | 'login.failure'
  | 'login.throttled'
  | 'logout'
  | 'session.revoke'
  | 'session.rotate'
  | 'password.change'
  | 'user.create'
  | 'user.update'
  | 'user.delete'
  | 'token.issue'
  | 'token.revoke'
  | 'token.refresh_denied'
  | 'client.create'
  | 'client.remove'
  | 'client.rotate_secret'
  | 'key.rotate'
  | 'api_key.create'
  | 'api_key.revoke'
  | 'login.two_factor_required'
  | 'two_factor.enable'
  | 'two_factor.disable'
  | 'scope.create'
  | 'scope.remove'
  | 'authorize.refused'
  | 'authorization_code.issue'
  | 'authorization_code.redeem'
  | 'authorization_code.replay'
  | 'authorization_code.replay_refused'
  | 'grant.end'
  | 'consent.grant'
  | 'consent.revoke'
  | 'passkey.register'
  | 'passkey.rename'
  | 'passkey.remove'
  | 'passkey.refused'
  | 'passkey.counter_regressed';

/**
 * Who performs an operation, and from where: the core operation that
 * changes state records it in its audit event; the HTTP, page and CLI doors
 * only say who and where.
 */
export interface Actor {
  /** A user id, a client id, or `cli` for the operator's command line. */
  id: string;
  kind: 'user' | 'client' | 'operator';
  ip?: string | null;
  userAgent?: string | null;
}

/** The operator at the command line (`gatehouse …`): may act on any account. */
export const OPERATOR: Actor = Object.freeze({ id: 'cli', kind: 'operator' });

/** The application embedding the core, when a call names no actor: an operator too. */
export const APPLICATION: Actor = Object.freeze({ id: 'application', kind: 'operator' });

/** What an event records. `detail` holds names, ids, counts and reasons: never a secret. */
export interface AuditEventInput {
  type: AuditEventType;
  /** Who acted: a user id, a client id, or `cli`. */
  actor?: string | null;
  /** The user the event is about. */
  userId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  detail?: Record<string, string | number | boolean | string[] | null>;
}

/** The audit log; see {@link createAuditLog}. */
export type AuditLog = ReturnType<typeof createAuditLog>;

/**
 * The audit log (ASVS 7.2): who did what, when, from where. Recording never
 * fails the operation it records: a store error is reported to `onError`
 * and the request goes on.
 */
export function createAuditLog({
  store,
  clock,
  onError = () => undefined,
  onEvent,
}: {
  store: AuditStore;
  clock: Clock;
  onError?: (error: unknown) => void;
  /** Told of every event as it is recorded (metrics count them); must not throw. */
  onEvent?: (event: AuditEventInput) => void;
}) {
  return {
    /** The actor, address and user agent fields of an event, from an {@link Actor}. */
    from(actor: Actor): Pick<AuditEventInput, 'actor' | 'ip' | 'userAgent'> {
      return { actor: actor.id, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null };
    },

    /** Appends one event. Never throws. */
    async record(event: AuditEventInput): Promise<void> {
      onEvent?.(event);
      const record: AuditRecord = {
        id: createId(),
        at: clock.now(),
        type: event.type,
        actor: event.actor ?? null,
        userId: event.userId ?? null,
        ip: event.ip ?? null,
        userAgent: event.userAgent?.slice(0, 512) ?? null,
        detail: event.detail ?? {},
      };
      try {
        await store.appendAuditEvent(record);
      } catch (error) {
        onError(error);
      }
    },

    /** Events newest first; `limit` defaults to 100 and is at most 1000. */
    list(filter: { userId?: string; type?: string; since?: number; limit?: number } = {}): Promise<AuditRecord[]> {
      return store.listAuditEvents({ ...filter, limit: Math.min(Math.max(filter.limit ?? 100, 1), 1000) });
    },
  };
}
