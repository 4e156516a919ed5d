import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The certificate and key a peer serves with: the ones Gatehouse generated in the data folder named by argv[2]. */
export function peerTLS(): { cert: string; key: string } {
  const data = process.argv[2]!;
  return {
    cert: readFileSync(join(data, 'tls', 'cert.pem'), 'utf8'),
    key: readFileSync(join(data, 'tls', 'key.pem'), 'utf8'),
  };
}

/** Tells the benchmark where the peer listens, in the form it waits for. */
export function announce(port: number): void {
  process.stdout.write(`Peer listening on https://127.0.0.1:${port}\n`);
}
