import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  AUTHORIZATION_ERRORS,
  ERROR_CODES,
  GatehouseError,
  OAUTH_ERRORS,
  RESOURCE_ERRORS,
  TOKEN_ERRORS,
  type OAuthErrorCode,
} from '../../src/core/errors/errors.js';
import { createProblem, HTTP_STATUS } from '../../src/wire/index.js';

test('docs/errors.md lists exactly the registry, with the same statuses and messages', () => {
  const rows = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
    .split('\n')
    .map((line) => /^\| `(ERR_[A-Z_]+)` \| (\d{3}) \| (.*) \|$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => [match[1], Number(match[2]), match[3]]);
  const registry = Object.entries(ERROR_CODES).map(([code, message]) => [
    code,
    HTTP_STATUS[code as keyof typeof ERROR_CODES],
    message,
  ]);
  assert.deepEqual(rows, registry);
});

test('docs/errors.md lists exactly the OAuth registry, with the same statuses, endpoints and descriptions', () => {
  const rows = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
    .split('\n')
    .map((line) => /^\| `([a-z_]+)` \| (\d{3}|—) \| ([a-z, ]+) \| (.*) \|$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => [match[1], match[2] === '—' ? null : Number(match[2]), match[3], match[4]]);
  const where = (code: OAuthErrorCode) =>
    [
      (TOKEN_ERRORS as readonly string[]).includes(code) && 'token',
      (AUTHORIZATION_ERRORS as readonly string[]).includes(code) && 'authorization',
      (RESOURCE_ERRORS as readonly string[]).includes(code) && 'resource',
    ]
      .filter(Boolean)
      .join(', ');
  const registry = Object.entries(OAUTH_ERRORS).map(([code, { status, description }]) => [
    code,
    status,
    where(code as OAuthErrorCode),
    description,
  ]);
  assert.deepEqual(rows, registry);
  // Every code of the registry is sent somewhere, and every code sent directly has a status.
  for (const [code, { status }] of Object.entries(OAUTH_ERRORS)) {
    assert.notEqual(where(code as OAuthErrorCode), '', code);
    if ([...TOKEN_ERRORS, ...RESOURCE_ERRORS].includes(code as never)) assert.notEqual(status, null, code);
  }
});

test('every code maps to a 4xx or 5xx status and builds an RFC 9457 problem', () => {
  for (const code of Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[]) {
    const problem = createProblem(code);
    assert.ok(problem.status >= 400 && problem.status < 600, code);
    assert.equal(problem.type, 'about:blank');
    assert.equal(problem.code, code);
    assert.equal(problem.detail, ERROR_CODES[code]);
    assert.equal(typeof problem.title, 'string');
  }
});

test('GatehouseError keeps the code, the registry message by default, details and cause', () => {
  const cause = new Error('low level');
  const error = new GatehouseError('ERR_USER_EXISTS', { details: { field: 'username' }, cause });
  assert.equal(error.code, 'ERR_USER_EXISTS');
  assert.equal(error.message, 'A user with this name already exists.');
  assert.deepEqual(error.details, { field: 'username' });
  assert.equal(error.cause, cause);
  assert.equal(new GatehouseError('ERR_VALIDATION', { message: 'username: required' }).message, 'username: required');
});
