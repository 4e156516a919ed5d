import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { GatehouseError } from '../core/errors/index.js';

/** PEM certificate and key for the HTTPS server. */
export interface TLSMaterial {
  cert: string;
  key: string;
  /** The certificate file, to hand to clients as their CA (`curl --cacert`). */
  certFile: string;
  /** Whether Gatehouse generated this development certificate (this start or an earlier one). */
  generated: boolean;
  /** PEM of the CAs that issue client certificates, when configured. */
  clientCa?: string;
}

/**
 * The TLS server options for client certificates (RFC 8705): asked for when
 * a client CA or a client-auth mode is configured; required only with
 * `require` (then only CA-issued certificates connect). With `optional`, a
 * self-signed certificate connects too, and counts only for a client pinned
 * to exactly that certificate.
 */
export function clientCertificateOptions(
  config: { tlsClientAuth?: 'optional' | 'require' },
  clientCa: string | undefined,
): { requestCert?: boolean; rejectUnauthorized?: boolean; ca?: string } {
  if (clientCa === undefined && config.tlsClientAuth === undefined) return {};
  return {
    requestCert: true,
    rejectUnauthorized: config.tlsClientAuth === 'require',
    ...(clientCa !== undefined && { ca: clientCa }),
  };
}

const DEV_CERT_DAYS = 825;

/**
 * The TLS certificate and key: the configured files, or else a development
 * certificate in `<data>/tls/` (ECDSA P-256, self-signed, SAN localhost,
 * 127.0.0.1 and ::1), generated on the first start and reused after.
 *
 * @throws {GatehouseError} `ERR_CONFIG` when a configured file cannot be read.
 */
export async function loadTLS(options: {
  data: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
}): Promise<TLSMaterial> {
  const clientCa = options.tlsClientCa === undefined ? {} : { clientCa: readPem(options.tlsClientCa, 'tlsClientCa') };
  const material = await loadServerCertificate(options);
  checkCertificatePair(material);
  return { ...material, ...clientCa };
}

/**
 * Fails at start, naming the setting, when the certificate and key cannot be
 * used (not PEM, or a key that does not match): later the server would fail
 * to build with a driver message, after the database and Redis are open.
 */
function checkCertificatePair(material: { cert: string; key: string }): void {
  try {
    createSecureContext({ cert: material.cert, key: material.key });
  } catch (error) {
    const reason = String((error as Error).message).replace(/^error:[0-9A-F]+:/, '');
    throw new GatehouseError('ERR_CONFIG', {
      message: `invalid configuration: tlsCert: the certificate and key cannot be used (${reason})`,
      details: { key: 'tlsCert' },
    });
  }
}

async function loadServerCertificate(options: {
  data: string;
  tlsCert?: string;
  tlsKey?: string;
}): Promise<TLSMaterial> {
  if (options.tlsCert !== undefined && options.tlsKey !== undefined) {
    return {
      cert: readPem(options.tlsCert, 'tlsCert'),
      key: readPem(options.tlsKey, 'tlsKey'),
      certFile: options.tlsCert,
      generated: false,
    };
  }
  const dir = join(options.data, 'tls');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) {
    return { cert: readPem(certFile, 'tlsCert'), key: readPem(keyFile, 'tlsKey'), certFile, generated: true };
  }
  const { cert, key } = await createDevelopmentCertificate();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The key first and private (0600): a crash between the two writes leaves no usable half.
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(certFile, cert, { mode: 0o644 });
  return { cert, key, certFile, generated: true };
}

/** A self-signed ECDSA P-256 certificate for `localhost`, `127.0.0.1` and `::1`, as PEM. */
export async function createDevelopmentCertificate(
  options: { hostnames?: string[]; ips?: string[] } = {},
): Promise<{ cert: string; key: string }> {
  x509.cryptoProvider.set(webcrypto as Crypto);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const now = Date.now();
  const names = [
    ...(options.hostnames ?? ['localhost']).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ips ?? ['127.0.0.1', '::1']).map((value) => ({ type: 'ip' as const, value })),
  ];
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: 'CN=Gatehouse development certificate',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + DEV_CERT_DAYS * 86_400_000),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.SubjectAlternativeNameExtension(names),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const key = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  return { cert: `${certificate.toString('pem')}\n`, key };
}

function readPem(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new GatehouseError('ERR_CONFIG', {
      message: `invalid configuration: ${key}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      details: { key },
    });
  }
}
