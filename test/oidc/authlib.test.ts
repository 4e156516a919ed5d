import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT } from '../helpers/process.js';
import { SERVICES_REQUIRED } from '../helpers/services.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// A Python relying party on Debian's python3-authlib: code + PKCE, ID-token validation, userinfo, refresh, replay.
const PYTHON = '/usr/bin/python3';
const missing =
  spawnSync(PYTHON, ['-c', 'import authlib, requests']).status === 0
    ? undefined
    : `${PYTHON} lacks authlib or requests (apt-get install python3-authlib python3-requests): the authlib relying party is skipped`;
if (missing !== undefined) {
  if (SERVICES_REQUIRED) throw new Error(missing);
  process.stderr.write(`notice: ${missing}\n`);
}

const PASSWORD = 'olga password 123';
const REDIRECT = 'https://rp.example/callback';
let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.stop());

test('authlib completes code + PKCE, validates the ID token, reads userinfo and refreshes; a replayed code ends it all', async (t) => {
  if (missing !== undefined) return t.skip(missing);
  const user = await server.core.users.createUser({ username: 'olga', password: PASSWORD });
  const { client, secret } = await server.core.clients.createClient({
    name: 'python-app',
    scopes: '',
    redirectUris: [REDIRECT],
  });
  const child = spawn(PYTHON, [join(ROOT, 'test/oidc/fixtures/authlib_rp.py')], {
    env: {
      ...process.env,
      ISSUER: server.url,
      CA: join(server.data, 'tls', 'cert.pem'),
      CLIENT_ID: client.id,
      CLIENT_SECRET: secret!,
      REDIRECT_URI: REDIRECT,
      USERNAME: 'olga',
      PASSWORD,
    },
  });
  let out = '';
  let errors = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (errors += chunk));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, errors);
  assert.deepEqual(JSON.parse(out), {
    alg: 'RS256',
    sub: user.id,
    aud: client.id,
    nonce_matches: true,
    preferred_username: 'olga',
    amr: ['pwd'],
    userinfo_sub: user.id,
    refreshed: true,
    refresh_rotated: true,
    replay: [400, 'invalid_grant'],
    first_access_after_replay: 401,
    refresh_after_replay: [400, 'invalid_grant'],
  });
});
