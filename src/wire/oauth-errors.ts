import { OAUTH_ERRORS, type TokenErrorCode } from '../core/errors/index.js';
import type { Answer } from './answer.js';

/** The body of an RFC 6749 §5.2 error. */
export interface OAuthErrorBody {
  error: TokenErrorCode;
  error_description: string;
}

/** RFC 6749 §5.2: the challenge of an `invalid_client` 401, for the scheme a client may authenticate with. */
export const CLIENT_CHALLENGE = 'Basic realm="gatehouse"';

/**
 * The RFC 6749 §5.2 answer of an OAuth endpoint's error: the registry's
 * status, never cached, `invalid_client` with a challenge.
 *
 * @example
 * oauthErrorAnswer('invalid_grant', 'The refresh token is not valid.') // { status: 400, … }
 */
export function oauthErrorAnswer(
  error: TokenErrorCode,
  description: string = OAUTH_ERRORS[error].description,
): Answer<OAuthErrorBody> {
  const status = OAUTH_ERRORS[error].status;
  return {
    status,
    headers: {
      ...(status === 401 && { 'www-authenticate': CLIENT_CHALLENGE }),
      'cache-control': 'no-store',
      pragma: 'no-cache',
      'content-type': 'application/json; charset=utf-8',
    },
    body: { error, error_description: description },
  };
}
