import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';
import { SoftAuthenticator } from './soft-authenticator.js';

/**
 * Two instances of one deployment (one database, one public URL): a
 * ceremony begun on one finishes on the other, because challenges live in
 * the database; and a challenge used on one is used up on both.
 */
const PUBLIC_URL = 'https://localhost';
const PASSWORD = 'passkey instances password';
const data = mkdtempSync(join(tmpdir(), 'gatehouse-passkey-instances-'));
let first: TestServer;
let second: TestServer;
const authenticator = new SoftAuthenticator(PUBLIC_URL);

before(async () => {
  const config = { host: 'localhost', publicUrl: PUBLIC_URL, cacheTtlMs: 0 };
  first = await startTestServer({ data, config });
  second = await startTestServer({ data, config });
  await first.core.users.createUser({ username: 'ines', password: PASSWORD });
});
after(async () => {
  await first.stop();
  await second.stop();
  rmSync(data, { recursive: true, force: true });
});

const post = (server: TestServer, path: string, json: unknown, cookie?: string) =>
  server.request(path, { json, cookie, headers: { origin: PUBLIC_URL } });

test('a ceremony begun on one instance finishes on the other, once', async () => {
  const login = await post(first, '/login', { username: 'ines', password: PASSWORD });
  const cookie = `${COOKIE}=${login.setCookie(COOKIE)}`;
  const creation = await post(first, '/passkeys/registration/options', {}, cookie);
  assert.equal(creation.json.rp.id, 'localhost', 'the RP ID is the public URL’s host');
  const added = await post(
    second,
    '/passkeys/registration',
    { name: 'Phone', response: authenticator.register(creation.json) },
    cookie,
  );
  assert.equal(added.status, 201, added.text);

  const options = await post(second, '/login/passkey/options', {});
  const assertion = authenticator.assert(options.json);
  const signedIn = await post(first, '/login/passkey', { response: assertion });
  assert.equal(signedIn.status, 200, signedIn.text);
  const replayed = await post(second, '/login/passkey', { response: assertion });
  assert.equal(replayed.status, 401, 'used on the first, used up on the second');
  // An answer made for the listening address rather than the public URL is from another origin.
  const elsewhere = authenticator.assert((await post(first, '/login/passkey/options', {})).json, {
    origin: first.url,
  });
  assert.equal((await post(first, '/login/passkey', { response: elsewhere })).status, 401);
});

test('the page form signs in with a passkey and goes home; a malformed answer is a refusal on the page', async () => {
  const options = (await post(first, '/login/passkey/options', {})).json;
  const home = await first.request('/ui/sign-in/passkey', {
    form: { response: JSON.stringify(authenticator.assert(options)) },
    headers: { origin: PUBLIC_URL },
  });
  assert.deepEqual([home.status, home.headers.location], [303, '/']);
  assert.ok(home.setCookie(COOKIE), 'the session cookie');
  const malformed = await first.request('/ui/sign-in/passkey', {
    form: { response: '{"id": 1}' },
    headers: { origin: PUBLIC_URL },
  });
  assert.equal(malformed.status, 200);
  assert.match(malformed.text, /That passkey did not sign you in\./);
  const unknown = await first.request('/ui/sign-in/passkey', {
    form: {
      response: JSON.stringify(
        new SoftAuthenticator(PUBLIC_URL).assert((await post(first, '/login/passkey/options', {})).json),
      ),
    },
    headers: { origin: PUBLIC_URL },
  });
  assert.match(unknown.text, /That passkey did not sign you in\./);
  const crossSite = await first.request('/ui/sign-in/passkey', {
    form: { response: '{}' },
    headers: { origin: 'https://evil.example' },
  });
  assert.equal(crossSite.status, 403);
});
