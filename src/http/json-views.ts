import type { ApiKey } from '../core/tokens/index.js';
import type { AppAccess } from '../core/consents/index.js';
import type { Passkey } from '../core/passkeys/index.js';
import type { Session } from '../core/sessions/index.js';
import type { User } from '../core/users/index.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A user on the wire: times as ISO 8601. */
export function userView(user: User) {
  return {
    id: user.id,
    username: user.username,
    roles: user.roles,
    disabled: user.disabled,
    createdAt: iso(user.createdAt),
    updatedAt: iso(user.updatedAt),
  };
}

/** A session on the wire; `current` marks the one the request came with. */
export function sessionView(session: Session, currentId?: string) {
  return {
    id: session.id,
    createdAt: iso(session.createdAt),
    /** When the user last signed in to it: `createdAt`, or a later sign-in that continued it. */
    authenticatedAt: iso(session.authenticatedAt),
    lastSeenAt: iso(session.lastSeenAt),
    expiresAt: iso(session.expiresAt),
    absoluteExpiresAt: iso(session.absoluteExpiresAt),
    ip: session.ip,
    userAgent: session.userAgent,
    /** RFC 8176: how this session was signed in. */
    authMethods: session.authMethods,
    current: session.id === currentId,
  };
}

/** An API key on the wire: never the key itself. */
export function apiKeyView(key: ApiKey) {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    createdAt: iso(key.createdAt),
    expiresAt: key.expiresAt === null ? null : iso(key.expiresAt),
    lastUsedAt: key.lastUsedAt === null ? null : iso(key.lastUsedAt),
  };
}

/** A passkey on the wire: never its public key or credential id. */
export function passkeyView(passkey: Passkey) {
  return {
    id: passkey.id,
    name: passkey.name,
    authenticator: passkey.authenticator,
    aaguid: passkey.aaguid,
    deviceType: passkey.deviceType,
    backedUp: passkey.backedUp,
    transports: passkey.transports,
    createdAt: iso(passkey.createdAt),
    lastUsedAt: passkey.lastUsedAt === null ? null : iso(passkey.lastUsedAt),
  };
}

/** A user's consent to an app on the wire: the app and the scopes agreed to. */
export function consentView(access: AppAccess) {
  return {
    clientId: access.clientId,
    name: access.name,
    scopes: access.scopes,
    createdAt: iso(access.createdAt),
    updatedAt: iso(access.updatedAt),
  };
}
