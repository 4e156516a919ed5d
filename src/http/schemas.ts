import { Type } from 'typebox';

/** Auth routes take small bodies only: 16 KiB bounds the parser's work. */
export const AUTH_BODY_LIMIT = 16 * 1024;

// Bounds here are about parser work, not policy: the core applies the policy
// (username rules, password length in bytes) and gives the precise message.
export const Username = Type.String({ minLength: 1, maxLength: 256 });
export const Password = Type.String({ minLength: 1, maxLength: 4096 });
export const RoleList = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64 });

export const LoginBody = Type.Object({ username: Username, password: Password }, { additionalProperties: false });

export const TwoFactorLoginBody = Type.Object(
  { challenge: Type.String({ minLength: 1, maxLength: 128 }), code: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

export const TwoFactorCodeBody = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

/** The current password, asked again before a sensitive change. */
export const PasswordBody = Type.Object({ password: Password }, { additionalProperties: false });

export const PasswordChangeBody = Type.Object(
  { currentPassword: Password, newPassword: Password },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** A user's consent to a client: `/admin/users/:id/consents/:clientId`. */
export const UserConsentParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  clientId: Type.String({ minLength: 1, maxLength: 64 }),
});

export const ScopeNameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) });

export const ScopeCreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    description: Type.String({ minLength: 1, maxLength: 1024 }),
    roles: Type.Optional(RoleList),
  },
  { additionalProperties: false },
);

export const CreateUserBody = Type.Object(
  { username: Username, password: Password, roles: Type.Optional(RoleList) },
  { additionalProperties: false },
);

export const UpdateUserBody = Type.Object(
  { disabled: Type.Optional(Type.Boolean()), roles: Type.Optional(RoleList), password: Type.Optional(Password) },
  { additionalProperties: false, minProperties: 1 },
);

export const ApiKeyCreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    scopes: Type.Optional(
      Type.Union([Type.String({ maxLength: 4096 }), Type.Array(Type.String({ maxLength: 128 }), { maxItems: 64 })]),
    ),
    /** Seconds from now; omitted: no expiry. */
    expiresInSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 5 * 365 * 86_400 })),
  },
  { additionalProperties: false },
);

export const UserTokenBody = Type.Object(
  { scope: Type.Optional(Type.String({ maxLength: 4096 })) },
  { additionalProperties: false },
);

export const AuditQuery = Type.Object(
  {
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    type: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    since: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
  },
  { additionalProperties: false },
);

const UriList = Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { maxItems: 20 });

/** `POST /admin/clients`: the fields of `gatehouse client add`, by the names of {@link Client}. */
export const ClientCreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    type: Type.Optional(Type.Union([Type.Literal('confidential'), Type.Literal('public')])),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 64 })),
    grantTypes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 8 })),
    redirectUris: Type.Optional(UriList),
    postLogoutRedirectUris: Type.Optional(UriList),
    firstParty: Type.Optional(Type.Boolean()),
    idTokenAlg: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
    /** `private_key_jwt`: the client's public key as a JWK. */
    publicJwk: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** `tls_client_auth`: the subject DN of its CA-issued certificate. */
    tlsSubject: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    /** `self_signed_tls_client_auth`: its certificate, PEM. */
    tlsCertificate: Type.Optional(Type.String({ minLength: 1, maxLength: 16384 })),
  },
  { additionalProperties: false },
);

// WebAuthn answers as browsers' toJSON() and @simplewebauthn/browser give them (W3C WebAuthn L3 §5.1.8, §5.1.9):
// base64url fields; the core checks what they say.
const Base64Url = (maxLength: number) => Type.String({ maxLength, pattern: '^[A-Za-z0-9_-]*$' });
const CredentialFields = {
  id: Base64Url(1024),
  rawId: Base64Url(1024),
  type: Type.Literal('public-key'),
  authenticatorAttachment: Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')])),
  // Extension outputs are open-ended by design (credProps, prf…); bounded in number.
  clientExtensionResults: Type.Object({}, { additionalProperties: true, maxProperties: 16 }),
};

export const PasskeyRegistrationResponse = Type.Object(
  {
    ...CredentialFields,
    response: Type.Object(
      {
        clientDataJSON: Base64Url(4096),
        attestationObject: Base64Url(8192),
        authenticatorData: Type.Optional(Base64Url(4096)),
        transports: Type.Optional(Type.Array(Type.String({ maxLength: 16 }), { maxItems: 8 })),
        publicKeyAlgorithm: Type.Optional(Type.Integer()),
        publicKey: Type.Optional(Base64Url(4096)),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const PasskeyAuthenticationResponse = Type.Object(
  {
    ...CredentialFields,
    response: Type.Object(
      {
        clientDataJSON: Base64Url(4096),
        authenticatorData: Base64Url(4096),
        signature: Base64Url(1024),
        userHandle: Type.Optional(Base64Url(128)),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const PasskeyName = Type.String({ minLength: 1, maxLength: 64 });

/** Starting to add a passkey: the current password, needed unless the sign-in was within 5 minutes. */
export const PasskeyOptionsBody = Type.Object({ password: Type.Optional(Password) }, { additionalProperties: false });

export const PasskeyRegistrationBody = Type.Object(
  { name: PasskeyName, response: PasskeyRegistrationResponse },
  { additionalProperties: false },
);

export const PasskeyRenameBody = Type.Object({ name: PasskeyName }, { additionalProperties: false });

/** A sign-in's challenge (the second step after a password); absent for a passwordless sign-in. */
const LoginChallenge = Type.String({ minLength: 1, maxLength: 128 });

export const PasskeyLoginOptionsBody = Type.Object(
  { challenge: Type.Optional(LoginChallenge) },
  { additionalProperties: false },
);

export const PasskeyLoginBody = Type.Object(
  { response: PasskeyAuthenticationResponse, challenge: Type.Optional(LoginChallenge) },
  { additionalProperties: false },
);
