/** One audit event as stored. */
export interface AuditRecord {
  id: string;
  at: number;
  type: string;
  actor: string | null;
  userId: string | null;
  ip: string | null;
  userAgent: string | null;
  /** Event-specific fields; never a secret. */
  detail: Record<string, unknown>;
}

/** The audit log: append and read, never change. */
export interface AuditStore {
  appendAuditEvent(event: AuditRecord): Promise<void>;
  /** Events newest first, filtered, at most `limit`. */
  listAuditEvents(filter: { userId?: string; type?: string; since?: number; limit: number }): Promise<AuditRecord[]>;
}
