// A tiny relying party: a server-side web app that signs its users in with
// Gatehouse (OpenID Connect, authorization code + PKCE) through panva's
// openid-client. Run it beside `gatehouse serve`:
//
//   gatehouse client add notes --redirect-uri http://127.0.0.1:3000/callback \
//     --post-logout-redirect-uri http://127.0.0.1:3000/
//   GATEHOUSE_URL=https://127.0.0.1:8443 GATEHOUSE_CA=data/tls/cert.pem \
//     CLIENT_ID=… CLIENT_SECRET=… npx tsx examples/oidc-rp/server.ts
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import * as oidc from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
};
const port = Number(process.env.PORT ?? 3000);
const base = `http://127.0.0.1:${port}`;
// A development Gatehouse has its own certificate: trust it for these requests only.
const agent = process.env.GATEHOUSE_CA ? new Agent({ connect: { ca: readFileSync(env('GATEHOUSE_CA')) } }) : undefined;
const config = await oidc.discovery(
  new URL(env('GATEHOUSE_URL')),
  env('CLIENT_ID'),
  {},
  oidc.ClientSecretBasic(env('CLIENT_SECRET')),
  agent && {
    [oidc.customFetch]: (url, options) =>
      undiciFetch(url, { ...(options as object), dispatcher: agent }) as unknown as Promise<Response>,
  },
);

interface Session {
  pending?: { verifier: string; state: string; nonce: string };
  user?: { name: string; sub: string; idToken: string };
}
// In memory, keyed by a random cookie: enough for an example.
const sessions = new Map<string, Session>();

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
function page(response: ServerResponse, body: string): void {
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  response.end(`<!doctype html><html lang="en"><title>Notes</title><h1>Notes</h1>${body}</html>`);
}
function redirect(response: ServerResponse, location: string, cookie?: string): void {
  response.writeHead(302, { location, ...(cookie && { 'set-cookie': cookie }) });
  response.end();
}

const server = createServer(async (request, response) => {
  const url = new URL(request.url ?? '/', base);
  const id = /(?:^|;\s*)rp=([\w-]{43})/.exec(request.headers.cookie ?? '')?.[1];
  let session = id === undefined ? undefined : sessions.get(id);
  try {
    if (url.pathname === '/') {
      if (session?.user) {
        return page(
          response,
          `<p>Signed in as <strong>${escape(session.user.name)}</strong>.</p><p><a href="/logout">Sign out</a></p>`,
        );
      }
      return page(response, '<p><a href="/login">Sign in with Gatehouse</a></p>');
    }
    if (url.pathname === '/login') {
      const sessionId = randomBytes(32).toString('base64url');
      const verifier = oidc.randomPKCECodeVerifier();
      session = { pending: { verifier, state: oidc.randomState(), nonce: oidc.randomNonce() } };
      sessions.set(sessionId, session);
      const target = oidc.buildAuthorizationUrl(config, {
        redirect_uri: `${base}/callback`,
        scope: 'openid profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: session.pending!.state,
        nonce: session.pending!.nonce,
      });
      return redirect(response, target.href, `rp=${sessionId}; Path=/; HttpOnly; SameSite=Lax`);
    }
    if (url.pathname === '/callback') {
      if (!session?.pending) return redirect(response, '/');
      const { verifier, state, nonce } = session.pending;
      delete session.pending;
      const tokens = await oidc.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      session.user = {
        name: String(claims.preferred_username ?? claims.sub),
        sub: claims.sub,
        idToken: tokens.id_token!,
      };
      return redirect(response, '/');
    }
    if (url.pathname === '/logout') {
      const idToken = session?.user?.idToken;
      if (id !== undefined) sessions.delete(id);
      if (idToken === undefined) return redirect(response, '/');
      const target = oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: `${base}/` });
      return redirect(response, target.href, 'rp=; Path=/; Max-Age=0');
    }
    response.writeHead(url.pathname === '/favicon.ico' ? 204 : 404).end();
  } catch (error) {
    // Never echo tokens or codes: only the error's code and message.
    const message = error instanceof Error ? error.message : 'sign-in failed';
    response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`Sign-in failed: ${message}\n`);
  }
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening on ${base}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
