import type { FastifyRequest } from 'fastify';
import { certificateOfConnection, type PresentedCertificate } from '../wire/index.js';

/** The client certificate of the request's connection, or `null` when none was presented (or the server asks for none). */
export function presentedCertificate(request: FastifyRequest): PresentedCertificate | null {
  return certificateOfConnection(request.raw.socket);
}
