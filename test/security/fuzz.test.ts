import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { isGatehouseError } from '../../src/core/errors/errors.js';
import { hasBoundedLifetime, hasCanonicalSignature, readAccessTokenHeader } from '../../src/core/jwt/jwt-checks.js';
import { parseScopes } from '../../src/core/scopes/scopes.js';
import { parseUsername } from '../../src/core/users/usernames.js';
import { parseFormStrict } from '../../src/http/body-parsers.js';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

/** Property-based tests: arbitrary input to every parser Gatehouse owns, and to its routes. */
const RUNS = { numRuns: 300 };
const bytes = fc.uint8Array({ maxLength: 512 }).map((array) => Buffer.from(array));
const anyText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  bytes.map((buffer) => buffer.toString('latin1')),
);

describe('parsers never throw anything but their own error', () => {
  test('form bodies: a result or a 400', () => {
    fc.assert(
      fc.property(bytes, (body) => {
        try {
          const parsed = parseFormStrict(body.toString('latin1'));
          assert.equal(Object.getPrototypeOf(parsed), null);
        } catch (error) {
          assert.equal((error as { statusCode?: number }).statusCode, 400);
        }
      }),
      RUNS,
    );
  });

  test('usernames and scopes: a value or a GatehouseError', () => {
    fc.assert(
      fc.property(anyText, (input) => {
        for (const parse of [parseUsername, parseScopes]) {
          try {
            parse(input);
          } catch (error) {
            assert.ok(isGatehouseError(error), String(error));
          }
        }
      }),
      RUNS,
    );
  });

  test('token shape checks: a header or null, true or false, never an exception', () => {
    const tokenish = fc.oneof(
      anyText,
      fc
        .tuple(anyText, anyText, anyText)
        .map((parts) => parts.map((part) => Buffer.from(part).toString('base64url')).join('.')),
    );
    fc.assert(
      fc.property(tokenish, fc.constantFrom('EdDSA', 'ES256', 'HS256', 'none'), (token, alg) => {
        const header = readAccessTokenHeader(token, ['EdDSA', 'ES256']);
        assert.ok(header === null || typeof header.kid === 'string');
        assert.equal(typeof hasCanonicalSignature(token, alg), 'boolean');
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.record({ iat: fc.anything(), exp: fc.anything() }), (claims) => {
        assert.equal(typeof hasBoundedLifetime(claims as never, 3600), 'boolean');
      }),
      RUNS,
    );
  });
});

describe('routes answer arbitrary input with a 4xx, never a 5xx', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { rateLimitPerMinute: 1_000_000, throttleIpFailures: 1_000_000 } });
  });
  after(() => server.stop());

  test('bodies of every accepted type (and others) to the routes that take bodies', async () => {
    const routes = [
      '/login',
      '/password',
      '/api-keys',
      '/token',
      '/oauth/token',
      '/oauth/revoke',
      '/oauth/introspect',
      '/admin/users',
    ];
    const types = [
      'application/json',
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/json; charset=latin1',
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.constantFrom(...types), bytes, async (path, type, body) => {
        const response = await server.request(path, { method: 'POST', body, headers: { 'content-type': type } });
        assert.ok(response.status >= 400 && response.status < 500, `${path} ${type}: ${response.status}`);
      }),
      { numRuns: 200 },
    );
  });

  test('cookies and Authorization headers', async () => {
    const headerValue = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
      maxLength: 400,
    });
    await fc.assert(
      fc.asyncProperty(
        headerValue,
        headerValue,
        fc.constantFrom('/get-info', '/session', '/admin/users', '/sessions'),
        async (cookie, authorization, path) => {
          const withCookie = await server.request(path, {
            headers: { cookie: `${COOKIE}=${cookie}; other=${authorization}` },
          });
          assert.equal(withCookie.status, 401, `cookie: ${withCookie.status}`);
          const withBearer = await server.request(path, { headers: { authorization } });
          assert.equal(withBearer.status, 401, `authorization: ${withBearer.status}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('injection strings as usernames answer like any unknown user, and leave nothing in headers', async () => {
    const nasty = [
      "' OR '1'='1",
      "admin'--",
      '"; DROP TABLE users; --',
      'a\r\nSet-Cookie: x=1',
      '${jndi:ldap://x}',
      '<script>alert(1)</script>',
      '\u0000',
      '%00',
      '../../etc/passwd',
    ];
    const reference = await server.request('/login', {
      form: { username: 'nobody-at-all', password: 'wrong password 123' },
    });
    for (const username of nasty) {
      const response = await server.request('/login', { form: { username, password: 'wrong password 123' } });
      assert.equal(response.status, 401, username);
      assert.equal(response.text, reference.text);
      assert.equal(response.headers['set-cookie'], undefined);
    }
    assert.equal(await server.core.users.countUsers(), 0, 'the users table is intact (and empty)');
  });
});
