/** A scope an operator added to the registry (the reserved ones are not stored). */
export interface ScopeRecord {
  name: string;
  description: string;
  /** Users with one of these roles may hold it; empty: every user (and service clients). */
  roles: string[];
  createdAt: number;
}

/** The scope registry. */
export interface ScopeStore {
  /** Returns `false` when the name is taken. */
  createScope(scope: ScopeRecord): Promise<boolean>;
  /** Every stored scope, by name. */
  listScopes(): Promise<ScopeRecord[]>;
  /**
   * Removes a scope and, in the same transaction, strips it from every
   * stored credential that carries it: API keys, client registrations,
   * refresh tokens, consents and authorization codes. Returns `false` (and
   * changes nothing) when there was no such scope.
   */
  deleteScope(name: string): Promise<boolean>;
}
