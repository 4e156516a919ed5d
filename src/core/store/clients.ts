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
  /** The scopes it may have: as itself (client credentials) or, as an app, asked of a user beside OpenID Connect's. */
  scopes: string[];
  /** `public` (a browser or native app: no credential of its own, RFC 6749 §2.1) or `confidential`. */
  type: 'confidential' | 'public';
  /** The grants it may use (RFC 7591 `grant_types`). */
  grantTypes: string[];
  /** Where the authorization endpoint may send the browser back, exactly (RFC 9700 §4.1.3). */
  redirectUris: string[];
  /** Where RP-initiated logout may send the browser afterwards. */
  postLogoutRedirectUris: string[];
  /** Operated by the deployment itself: users are not asked to consent. */
  firstParty: boolean;
  /** `id_token_signed_response_alg`, or `null` for the default (RS256). */
  idTokenAlg: string | null;
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
