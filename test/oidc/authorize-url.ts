/** The redirect URI the re-authentication tests register for their apps. */
export const REDIRECT = 'https://app.example/cb';

/** `/oauth/authorize` for `clientId` with S256 PKCE, scope `openid`, state and nonce; `extra` adds or overrides parameters. */
export function authorizePath(clientId: string, challenge: string, extra: Record<string, string> = {}): string {
  return `/oauth/authorize?${new URLSearchParams({
    client_id: clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid',
    state: 'st',
    nonce: 'n',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  }).toString()}`;
}
