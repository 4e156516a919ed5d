import type { TokenErrorCode } from '../errors/index.js';

/** Tokens a grant issued. */
export interface IssuedTokens {
  accessToken: string;
  expiresIn: number;
  refreshToken?: string;
  /** OpenID Connect: for a code grant with the `openid` scope. */
  idToken?: string;
  /** The granted scopes (RFC 6749 §5.1 `scope`). */
  scopes: string[];
}

/** A grant refused, with its RFC 6749 §5.2 error. */
export interface GrantRefusal {
  error: TokenErrorCode;
  description: string;
}

/** The outcome of a grant: tokens, or a refusal. */
export type GrantResult = ({ ok: true } & IssuedTokens) | ({ ok: false } & GrantRefusal);
