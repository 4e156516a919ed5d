/**
 * The one registry of Gatehouse error codes.
 *
 * Every failure Gatehouse reports, from the core, the HTTP layer or the CLI,
 * carries one of these codes. The codes are stable: clients may switch on
 * them. `docs/errors.md` lists the same table, and a test keeps the two in
 * step. Messages are generic on purpose: they never echo a password, token,
 * cookie or hash back to the caller.
 */
export const ERROR_CODES = {
  ERR_VALIDATION: 'The request is malformed.',
  ERR_INVALID_CREDENTIALS: 'Invalid username or password.',
  ERR_UNAUTHENTICATED: 'Authentication is required.',
  ERR_FORBIDDEN: 'You are not allowed to do this.',
  ERR_CURRENT_PASSWORD: 'The current password is not correct.',
  ERR_CROSS_SITE: 'Cross-site requests are not allowed here.',
  ERR_NOT_FOUND: 'Not found.',
  ERR_USER_NOT_FOUND: 'No such user.',
  ERR_SESSION_NOT_FOUND: 'No such session.',
  ERR_USER_EXISTS: 'A user with this name already exists.',
  ERR_INVALID_USERNAME: 'The username is not acceptable.',
  ERR_INVALID_ROLE: 'The role name is not acceptable.',
  ERR_WEAK_PASSWORD: 'The password does not meet the password policy.',
  ERR_THROTTLED: 'Too many attempts; try again later.',
  ERR_PAYLOAD_TOO_LARGE: 'The request body is too large.',
  ERR_UNSUPPORTED_MEDIA_TYPE: 'The request content type is not supported.',
  ERR_METHOD_NOT_ALLOWED: 'The method is not allowed here.',
  ERR_INVALID_SCOPE: 'The scope is not valid or not allowed.',
  ERR_SCOPE_EXISTS: 'A scope with this name already exists.',
  ERR_SCOPE_NOT_FOUND: 'No such scope.',
  ERR_SESSION_REQUIRED: 'Only a signed-in session may do this; tokens and keys cannot manage the account.',
  ERR_CLIENT_EXISTS: 'A client with this name already exists.',
  ERR_CLIENT_NOT_FOUND: 'No such client.',
  ERR_INVALID_CLIENT_KEY: 'The client public key is not acceptable.',
  ERR_API_KEY_NOT_FOUND: 'No such API key.',
  ERR_INVALID_TOKEN: 'The access token is not valid.',
  ERR_INSUFFICIENT_SCOPE: 'The credential lacks a required scope.',
  ERR_TWO_FACTOR_CHALLENGE: 'The sign-in has expired or was already completed; sign in again.',
  ERR_TWO_FACTOR_ENABLED: 'Two-factor sign-in is already on; turn it off first.',
  ERR_TWO_FACTOR_NOT_PENDING: 'No two-factor enrolment is waiting for confirmation.',
  ERR_INVALID_CODE: 'The code is not valid.',
  ERR_RECENT_SIGN_IN_REQUIRED: 'Adding a passkey needs a sign-in within the last 5 minutes, or the current password.',
  ERR_PASSKEY_REFUSED: 'The passkey could not be verified; start again.',
  ERR_PASSKEY_EXISTS: 'This passkey is already registered.',
  ERR_PASSKEY_NOT_FOUND: 'No such passkey.',
  ERR_LAST_SIGN_IN_METHOD: 'This is the last passkey of an account whose role requires one; add another first.',
  ERR_CONFIG: 'The configuration is not valid.',
  ERR_UNAVAILABLE: 'The service is temporarily unavailable.',
  ERR_BUSY: 'Too many sign-ins are being checked right now; try again shortly.',
  ERR_INTERNAL: 'An internal error occurred.',
} as const;

/** A stable Gatehouse error code, such as `ERR_INVALID_CREDENTIALS`. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The one base error of Gatehouse. `code` is stable; `message` is safe to
 * show to the caller (it never contains a secret); `details` carries
 * structured, equally safe context such as the name of a bad field.
 *
 * @example
 * throw new GatehouseError('ERR_USER_EXISTS');
 * throw new GatehouseError('ERR_VALIDATION', { message: 'username: must be a string', details: { field: 'username' } });
 */
export class GatehouseError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, options: { message?: string; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(options.message ?? ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatehouseError';
    this.code = code;
    this.details = options.details;
  }
}

/** True when `value` is a {@link GatehouseError}, optionally with the given code. */
export function isGatehouseError(value: unknown, code?: ErrorCode): value is GatehouseError {
  return value instanceof GatehouseError && (code === undefined || value.code === code);
}

/**
 * The one registry of the OAuth errors Gatehouse sends (RFC 6749 `error`
 * codes and their kin): the HTTP status when answered directly, and the
 * default `error_description`, which is generic and never echoes a token,
 * code or secret. `null` status: only ever sent back to the app in the
 * authorization redirect (303 to its `redirect_uri`). `docs/errors.md` lists
 * the same table, and a test keeps the two in step.
 */
export const OAUTH_ERRORS = {
  invalid_request: { status: 400, description: 'A parameter is missing, repeated or malformed.' },
  invalid_client: { status: 401, description: 'Client authentication failed.' },
  invalid_grant: { status: 400, description: 'The grant (code or refresh token) is not valid.' },
  unauthorized_client: { status: 400, description: 'This client may not use this grant.' },
  unsupported_grant_type: { status: 400, description: 'The grant type is not supported.' },
  invalid_scope: { status: 400, description: 'The scope is not valid or not allowed.' },
  access_denied: { status: null, description: 'The user did not allow the app.' },
  unsupported_response_type: { status: null, description: 'Only response_type=code is supported.' },
  login_required: { status: null, description: 'The user is not signed in.' },
  consent_required: { status: null, description: 'The user has not agreed to this app yet.' },
  request_not_supported: { status: null, description: 'Request objects are not supported.' },
  request_uri_not_supported: { status: null, description: 'request_uri is not supported.' },
  invalid_token: { status: 401, description: 'The access token is not valid.' },
  insufficient_scope: { status: 403, description: 'The credential lacks a required scope.' },
} as const satisfies Record<string, { status: 400 | 401 | 403 | null; description: string }>;

/** An OAuth error code of {@link OAUTH_ERRORS}, such as `invalid_grant`. */
export type OAuthErrorCode = keyof typeof OAUTH_ERRORS;

/**
 * The errors of the token, revocation and introspection endpoints, answered
 * as RFC 6749 §5.2 JSON: §5.2's codes, and RFC 6750 §3.1's
 * `insufficient_scope` for a client that may not introspect (RFC 7662 §2.3).
 */
export const TOKEN_ERRORS = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'insufficient_scope',
] as const satisfies readonly OAuthErrorCode[];
export type TokenErrorCode = (typeof TOKEN_ERRORS)[number];

/** The errors of the authorization endpoint: RFC 6749 §4.1.2.1 and OpenID Connect Core §3.1.2.6. */
export const AUTHORIZATION_ERRORS = [
  'invalid_request',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  'login_required',
  'consent_required',
  'request_not_supported',
  'request_uri_not_supported',
] as const satisfies readonly OAuthErrorCode[];
export type AuthorizationErrorCode = (typeof AUTHORIZATION_ERRORS)[number];

/** The `error` of a Bearer challenge (RFC 6750 §3.1) on a protected resource's 401 or 403. */
export const RESOURCE_ERRORS = ['invalid_token', 'insufficient_scope'] as const satisfies readonly OAuthErrorCode[];
export type ResourceErrorCode = (typeof RESOURCE_ERRORS)[number];
