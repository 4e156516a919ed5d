/** An RFC 9457 problem document as Gatehouse sends it. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
}

/**
 * A Gatehouse error answer: `status` is the HTTP status, `code` the stable
 * Gatehouse code (`ERR_INVALID_CREDENTIALS`, …) or the OAuth `error`.
 * The message never contains a password, token or cookie.
 */
export class GatehouseClientError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  /** The problem document (or OAuth error body) as received. */
  readonly problem: Record<string, unknown>;

  constructor(status: number, body: Record<string, unknown>) {
    const code =
      typeof body.code === 'string' ? body.code : typeof body.error === 'string' ? body.error : `HTTP_${status}`;
    const detail =
      typeof body.detail === 'string'
        ? body.detail
        : typeof body.error_description === 'string'
          ? body.error_description
          : '';
    super(`${status} ${code}${detail ? `: ${detail}` : ''}`);
    this.name = 'GatehouseClientError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.problem = body;
  }
}

/**
 * The password was right and the account has two-factor sign-in or a
 * passkey: answer `challenge` (within `expiresIn` seconds) with one of
 * `methods`: a code with {@link GatehouseClient.completeTwoFactor} (or a
 * `code` for `login()`), a passkey with {@link GatehouseClient.loginWithPasskey}.
 */
export class TwoFactorRequiredError extends Error {
  constructor(
    readonly challenge: string,
    readonly expiresIn: number,
    readonly methods: string[] = ['totp', 'recovery_code'],
  ) {
    super(`This account needs a second factor: ${methods.join(', ')}`);
    this.name = 'TwoFactorRequiredError';
  }
}
