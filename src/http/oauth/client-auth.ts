import type { FastifyRequest } from 'fastify';
import type { AuthCore } from '../../core/index.js';
import { CLIENT_ASSERTION_TYPE } from '../../core/clients/index.js';
import type { AuthenticatedClient } from '../../core/grants/index.js';
import { presentedCertificate } from '../client-certificate.js';
import { OAuthError } from './errors.js';

/** The client-authentication parameters of an OAuth request body. */
export interface ClientAuthParameters {
  client_id?: string;
  client_secret?: string;
  client_assertion?: string;
  client_assertion_type?: string;
}

const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;

export type { AuthenticatedClient };

/**
 * Authenticates the calling client by exactly one of `client_secret_basic`,
 * `client_secret_post`, `private_key_jwt`, or (RFC 8705) `tls_client_auth` /
 * `self_signed_tls_client_auth`: `client_id` in the body and the client's
 * certificate on the connection. Returns `null` when the request carries no
 * client authentication at all.
 *
 * @throws {OAuthError} `invalid_request` for more than one method, `invalid_client` for a failed one.
 */
export async function authenticateClient(
  request: FastifyRequest,
  body: ClientAuthParameters,
  core: AuthCore,
): Promise<AuthenticatedClient | null> {
  const header = request.headers.authorization;
  const basic = header === undefined ? undefined : parseBasic(header);
  const methods = [basic !== undefined, body.client_secret !== undefined, body.client_assertion !== undefined].filter(
    Boolean,
  ).length;
  if (methods > 1) throw new OAuthError('invalid_request', 'Use exactly one client authentication method.');
  const failed = new OAuthError('invalid_client', 'Client authentication failed.');

  if (basic !== undefined) {
    if (basic === null) throw failed;
    if (body.client_id !== undefined && body.client_id !== basic.id) throw failed;
    return (await core.clients.authenticateWithSecret(basic.id, basic.secret)) ?? throwError(failed);
  }
  if (body.client_secret !== undefined) {
    if (body.client_id === undefined) throw failed;
    return (await core.clients.authenticateWithSecret(body.client_id, body.client_secret)) ?? throwError(failed);
  }
  if (body.client_assertion !== undefined) {
    if (body.client_assertion_type !== CLIENT_ASSERTION_TYPE) {
      throw new OAuthError('invalid_request', `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}.`);
    }
    const client = await core.clients.authenticateWithAssertion(
      body.client_assertion,
      core.tokens!.issuer(),
      body.client_id,
    );
    return client ?? throwError(failed);
  }
  const certificate = presentedCertificate(request);
  if (certificate && body.client_id !== undefined) {
    const client = await core.clients.authenticateWithCertificate(body.client_id, certificate);
    // Only a client registered with a certificate authenticates this way (undefined: others stay public-client requests).
    if (client === null) throw failed;
    if (client) return { ...client, boundCertificate: certificate.thumbprint };
  }
  return null;
}

/**
 * RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined by a colon
 * and base64-encoded. `undefined`: not a Basic header; `null`: a broken one.
 */
function parseBasic(header: string): { id: string; secret: string } | null | undefined {
  if (!/^Basic /i.test(header)) return undefined;
  const match = BASIC.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    const formDecode = (value: string) => decodeURIComponent(value.replaceAll('+', ' '));
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

function throwError(error: Error): never {
  throw error;
}
