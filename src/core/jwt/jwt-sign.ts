import { SignJWT, type JWTPayload } from 'jose';
import { hasCanonicalSignature } from './jwt-checks.js';
import type { ActiveKey } from './keys.js';

/**
 * Signs a JWT with one of the key ring's keys, header `alg`, `typ`, `kid`:
 * what access tokens and ID tokens share. ECDSA signatures come out high-S
 * about half the time, and verifiers (ours included) refuse the malleable
 * high-S form: it signs again until low-S. Each try is independent, so two
 * tries are expected.
 */
export async function signJwt(payload: JWTPayload, key: ActiveKey, typ: string): Promise<string> {
  const sign = () => new SignJWT(payload).setProtectedHeader({ alg: key.alg, typ, kid: key.kid }).sign(key.privateKey);
  let token = await sign();
  for (let attempt = 0; !hasCanonicalSignature(token, key.alg); attempt += 1) {
    if (attempt === 64) throw new Error('could not produce a low-S ECDSA signature');
    token = await sign();
  }
  return token;
}
