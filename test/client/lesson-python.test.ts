import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const hasRequests = spawnSync('python3', ['-c', 'import requests']).status === 0;
let server: TestServer;
before(async () => {
  server = await startTestServer({ config: { host: 'localhost' } });
  await server.core.users.createUser({ username: 'Alice', password: 'alice-lesson-pw-2021' });
  await server.core.users.createUser({ username: 'Bob', password: 'bob-lesson-pw-2021' });
});
after(() => server.stop());

test(
  'the lesson’s own Python client runs unchanged against Gatehouse',
  {
    skip: hasRequests
      ? false
      : 'python3 with requests is not installed here: the TypeScript transcript test covers the same steps',
  },
  async () => {
    // Asynchronously: the server runs in this process and must keep answering.
    const { stdout: out } = await promisify(execFile)(
      'python3',
      [join(ROOT, 'examples/lesson/client.py'), server.url, join(server.data, 'tls', 'cert.pem')],
      { timeout: 30_000 },
    );
    assert.match(
      out,
      /^401 \{"type":"about:blank","title":"Unauthorized","status":401,"code":"ERR_INVALID_CREDENTIALS"/m,
    );
    assert.match(out, /^www-authenticate: Bearer realm="gatehouse"$/im);
    assert.match(out, /^<RequestsCookieJar\[\]>$/m, 'no cookie for a wrong password');
    assert.match(
      out,
      // The session cookie, and the device cookie that keeps this client out of other people's lockouts (#22).
      /^<RequestsCookieJar\[<Cookie __Host-gatehouse-device=[A-Za-z0-9_.-]+ for localhost(\.local)?\/>, <Cookie __Host-gatehouse=[A-Za-z0-9_-]{43} for localhost(\.local)?\/>\]>$/m,
    );
    assert.match(out, /^\{'__Host-gatehouse-device': '[A-Za-z0-9_.-]+', '__Host-gatehouse': '[A-Za-z0-9_-]{43}'\}$/m);
    assert.equal(out.match(/^\{'Secret-number': 42\}$/gm)?.length, 2, 'In [5] and In [8]');
    assert.match(out, /^200 \{"Secret-number":42\}$/m, 'In [6]: the username cookie changes nothing');
  },
);
