import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fastifyCookie } from '@fastify/cookie';
import { GatehouseError } from '../../src/core/errors/errors.js';
import { oauthErrorAnswer, problemAnswer, readCookie, resolveFailureAnswer } from '../../src/wire/index.js';

describe('wire: the answers every adapter sends, as plain values', { timeout: 10_000 }, () => {
  test('a 401 names the Bearer challenge, a 503 waits 5 s, a wait is whole seconds of at least 1', () => {
    assert.deepEqual(problemAnswer('ERR_UNAUTHENTICATED').headers, {
      'www-authenticate': 'Bearer realm="gatehouse"',
      'content-type': 'application/problem+json; charset=utf-8',
    });
    assert.equal(problemAnswer('ERR_UNAVAILABLE').headers['retry-after'], '5');
    assert.equal(problemAnswer('ERR_THROTTLED', { retryAfterSeconds: 2.1 }).headers['retry-after'], '3');
    assert.equal(problemAnswer('ERR_BUSY', { retryAfterSeconds: 0 }).headers['retry-after'], '1');
    assert.equal(problemAnswer('ERR_THROTTLED').headers['retry-after'], undefined);
  });

  test('a failed credential check: throttled and busy wait as told (1 s if not), unavailable keeps its message', () => {
    const throttled = resolveFailureAnswer(new GatehouseError('ERR_THROTTLED', { details: { retryAfterSeconds: 7 } }));
    assert.deepEqual([throttled?.status, throttled?.headers['retry-after']], [429, '7']);
    assert.equal(resolveFailureAnswer(new GatehouseError('ERR_BUSY'))?.headers['retry-after'], '1');
    const down = resolveFailureAnswer(new GatehouseError('ERR_UNAVAILABLE', { message: 'The database is down.' }));
    assert.deepEqual(
      [down?.status, down?.body.detail, down?.headers['retry-after']],
      [503, 'The database is down.', '5'],
    );
    assert.equal(resolveFailureAnswer(new GatehouseError('ERR_INTERNAL')), null);
    assert.equal(resolveFailureAnswer(new Error('boom')), null);
  });

  test('an OAuth error: the registry status, never cached, invalid_client challenged with Basic', () => {
    assert.deepEqual(oauthErrorAnswer('invalid_client'), {
      status: 401,
      headers: {
        'www-authenticate': 'Basic realm="gatehouse"',
        'cache-control': 'no-store',
        pragma: 'no-cache',
        'content-type': 'application/json; charset=utf-8',
      },
      body: { error: 'invalid_client', error_description: 'Client authentication failed.' },
    });
    assert.equal(oauthErrorAnswer('insufficient_scope').status, 403);
    assert.equal(oauthErrorAnswer('invalid_grant', 'x').headers['www-authenticate'], undefined);
  });

  test('the session cookie is read as @fastify/cookie read it before (the Express adapter used it)', () => {
    const headers = [
      '__Host-gatehouse=abc',
      'a=1; __Host-gatehouse=abc; b=2',
      ' __Host-gatehouse = a%20b ',
      '__Host-gatehouse=first; __Host-gatehouse=second',
      'junk; __Host-gatehouse=x=y',
      '__Host-gatehouse=%E0%A4%A',
      '__Host-gatehouse="quoted"',
      '__Host-gatehouse=',
      'other=1',
      '=',
      '',
      '\t__Host-gatehouse\t=\tv\t;',
    ];
    for (const header of headers)
      assert.equal(readCookie(header, '__Host-gatehouse'), fastifyCookie.parse(header)['__Host-gatehouse'], header);
    assert.equal(readCookie(undefined, '__Host-gatehouse'), undefined);
  });
});
