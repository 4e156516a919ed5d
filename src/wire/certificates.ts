import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

/** The client certificate a TLS connection presented (RFC 8705). */
export interface PresentedCertificate {
  /** `x5t#S256`: base64url SHA-256 of the certificate's DER. */
  thumbprint: string;
  /** Its subject DN as Node gives it (`CN=…` lines). */
  subject: string;
  /** Whether the server's client CA (`--tls-client-ca`) verified it. */
  verifiedByCa: boolean;
}

// One connection carries many requests: read its certificate once.
const seen = new WeakMap<object, PresentedCertificate | null>();

/**
 * The certificate a TLS socket's peer presented, read once per connection,
 * for any framework; `null` when none was presented (or the server asks for none).
 */
export function certificateOfConnection(connection: unknown): PresentedCertificate | null {
  const socket = connection as TLSSocket | undefined;
  if (!socket || typeof socket.getPeerX509Certificate !== 'function') return null;
  const known = seen.get(socket);
  if (known !== undefined) return known;
  const certificate = socket.getPeerX509Certificate();
  const presented = certificate
    ? {
        thumbprint: createHash('sha256').update(certificate.raw).digest('base64url'),
        subject: certificate.subject,
        verifiedByCa: socket.authorized === true,
      }
    : null;
  seen.set(socket, presented);
  return presented;
}
