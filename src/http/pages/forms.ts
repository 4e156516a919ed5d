import { Type } from 'typebox';
import { Password, Username } from '../schemas.js';

// The forms of the pages, as the browser sends them (form-encoded, every value a string).
// Bounds are about parser work; the core applies the policy and gives the precise message.
const Text = (maxLength: number) => Type.String({ maxLength });
const ReturnTo = Type.Optional(Text(2048));
const strict = { additionalProperties: false } as const;

export const SignInForm = Type.Object({ username: Username, password: Password, return_to: ReturnTo }, strict);

export const TwoFactorSignInForm = Type.Object(
  { challenge: Type.String({ minLength: 1, maxLength: 128 }), code: Text(64), return_to: ReturnTo },
  strict,
);

/** A passkey's answer as the passkey script posts it: the credential's JSON, checked against its schema by the route. */
const PasskeyAnswer = Type.String({ minLength: 1, maxLength: 12 * 1024 });

export const PasskeySignInForm = Type.Object(
  {
    response: PasskeyAnswer,
    challenge: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    return_to: ReturnTo,
  },
  strict,
);

export const PasskeyAddForm = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64 }), response: Type.String({ maxLength: 12 * 1024 }) },
  strict,
);

export const PasskeyRenameForm = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }, strict);

export const PasswordChangeForm = Type.Object({ currentPassword: Password, newPassword: Password }, strict);

export const CurrentPasswordForm = Type.Object({ password: Password }, strict);

export const CodeForm = Type.Object({ code: Text(64) }, strict);

export const ApiKeyForm = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    scopes: Type.Optional(Text(4096)),
    expiresInDays: Type.Optional(
      Type.Union([Type.Literal(''), Type.Literal('30'), Type.Literal('90'), Type.Literal('365')]),
    ),
  },
  strict,
);

export const NewUserForm = Type.Object(
  { username: Username, password: Password, roles: Type.Optional(Text(1024)) },
  strict,
);

export const RolesForm = Type.Object({ roles: Text(1024) }, strict);

export const NewClientForm = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    scopes: Type.Optional(Text(4096)),
    type: Type.Optional(Type.Union([Type.Literal('confidential'), Type.Literal('public')])),
    redirectUris: Type.Optional(Text(8192)),
    postLogoutRedirectUris: Type.Optional(Text(8192)),
    firstParty: Type.Optional(Type.Literal('on')),
  },
  strict,
);

/** A textarea's lines, without blank ones. */
export const lines = (text: string | undefined) =>
  (text ?? '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);

export const NewScopeForm = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    description: Type.String({ minLength: 1, maxLength: 1024 }),
    roles: Type.Optional(Text(1024)),
  },
  strict,
);

/** Space-separated words of a form field (roles, scopes), none when empty. */
export const words = (value: string | undefined) => (value ?? '').split(/\s+/).filter(Boolean);
