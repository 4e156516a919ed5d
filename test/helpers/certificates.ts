import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** A certificate and its private key, PEM. */
export interface IssuedCertificate {
  cert: string;
  key: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

async function keyPair(): Promise<CryptoKeyPair> {
  x509.cryptoProvider.set(webcrypto as Crypto);
  return webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function pemKey(key: CryptoKey): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key)).toString('base64');
  return `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
}

const serial = () =>
  Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
const validity = () => ({ notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) });
const clientUsage = () => [
  new x509.BasicConstraintsExtension(false, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
  new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
];

/** A certificate authority that issues client certificates, made for a test. */
export async function createTestCa(
  name = 'CN=Gatehouse test client CA',
): Promise<IssuedCertificate & { issue(subject: string): Promise<IssuedCertificate> }> {
  const keys = await keyPair();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    ...validity(),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return {
    cert: `${ca.toString('pem')}\n`,
    key: await pemKey(keys.privateKey),
    async issue(subject) {
      const client = await keyPair();
      const issued = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject,
        issuer: ca.subject,
        ...validity(),
        signingAlgorithm: ALGORITHM,
        publicKey: client.publicKey,
        signingKey: keys.privateKey,
        extensions: clientUsage(),
      });
      return { cert: `${issued.toString('pem')}\n`, key: await pemKey(client.privateKey) };
    },
  };
}

/** A self-signed client certificate (RFC 8705 `self_signed_tls_client_auth`). */
export async function createSelfSignedClientCertificate(subject: string): Promise<IssuedCertificate> {
  const keys = await keyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: subject,
    ...validity(),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: clientUsage(),
  });
  return { cert: `${certificate.toString('pem')}\n`, key: await pemKey(keys.privateKey) };
}
