/** A service client of the OAuth token endpoint. */
export interface ClientRecord {
  /** The public `client_id`. */
  id: string;
  name: string;
  /** SHA-256 of the client secret, or `null` for a client that authenticates with a key pair only. */
  secretHash: string | null;
  /** The client's public JWK for `private_key_jwt`, as JSON, or `null`. */
  publicJwk: string | null;
  /** RFC 8705 `tls_client_auth`: the subject DN of its CA-issued certificate, or `null`. */
  tlsSubject: string | null;
  /** RFC 8705 `self_signed_tls_client_auth`: the SHA-256 thumbprint of its certificate (base64url), or `null`. */
  tlsThumbprint: string | null;
  scopes: string[];
  createdAt: number;
  updatedAt: number;
}

/** Service clients. */
export interface ClientStore {
  /** Returns `false` when the name is taken. */
  createClient(client: ClientRecord): Promise<boolean>;
  findClientById(id: string): Promise<ClientRecord | null>;
  findClientByName(name: string): Promise<ClientRecord | null>;
  listClients(): Promise<ClientRecord[]>;
  /** Returns `false` when no such client exists. */
  updateClientSecret(id: string, secretHash: string, updatedAt: number): Promise<boolean>;
  deleteClient(id: string): Promise<boolean>;
}
