import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCLI } from '../helpers/process.js';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'audited password 1';
let server: TestServer;
let admin: string;
before(async () => {
  server = await startTestServer();
  await server.core.users.createUser({ username: 'auditor', password: PASSWORD, roles: ['admin'] });
  await server.core.users.createUser({ username: 'subject', password: PASSWORD });
  admin = `${COOKIE}=${(await server.request('/login', { form: { username: 'auditor', password: PASSWORD } })).setCookie(COOKIE)}`;
});
after(() => server.stop());

describe('audit log', () => {
  test('sign-ins, failures (reason kept internal), logout, password and role changes, tokens and keys are recorded with time, actor, IP and user agent', async () => {
    await server.request('/login', {
      form: { username: 'subject', password: 'not the password' },
      headers: { 'user-agent': 'audit-test/1' },
    });
    await server.request('/login', { form: { username: 'ghost', password: 'not the password' } });
    const login = await server.request('/login', {
      form: { username: 'subject', password: PASSWORD },
      headers: { 'user-agent': 'audit-test/1' },
    });
    const cookie = `${COOKIE}=${login.setCookie(COOKIE)}`;
    await server.request('/token', { method: 'POST', cookie });
    await server.request('/api-keys', { cookie, json: { name: 'audited key' } });
    await server.request('/password', {
      cookie,
      json: { currentPassword: PASSWORD, newPassword: 'audited password 2' },
    });
    const subjectId = (await server.core.users.findUserByName('subject'))!.id;
    await server.request(`/admin/users/${subjectId}`, { method: 'PATCH', cookie: admin, json: { roles: ['ops'] } });
    await server.request('/logout', { method: 'POST', cookie });

    const response = await server.request('/admin/audit?user=subject', { cookie: admin });
    assert.equal(response.status, 200);
    const events = response.json.events as {
      type: string;
      actor: string | null;
      ip: string;
      userAgent: string | null;
      detail: Record<string, unknown>;
    }[];
    // Issue #22: a password change also ends every grant to an app, recorded once (in the same millisecond,
    // so in no particular order with it), whether or not there were any.
    assert.equal(events.filter((event) => event.type === 'grant.end').length, 1);
    const ordered = events.filter((event) => event.type !== 'grant.end');
    assert.deepEqual(ordered.map((event) => event.type).reverse(), [
      // Made by the test through the core: the operation records its own event, with the embedding application as actor.
      'user.create',
      'login.failure',
      'login.success',
      'token.issue',
      'api_key.create',
      'password.change',
      'user.update',
      'logout',
    ]);
    assert.equal(events.find((event) => event.type === 'user.create')!.actor, 'application');
    const failure = events.find((event) => event.type === 'login.failure')!;
    assert.deepEqual(failure.detail, { reason: 'wrong_password', username: 'subject' });
    assert.equal(failure.ip, '127.0.0.1');
    assert.equal(failure.userAgent, 'audit-test/1');
    assert.equal(
      events.find((event) => event.type === 'user.update')!.actor,
      (await server.core.users.findUserByName('auditor'))!.id,
    );
    const unknown = (await server.request('/admin/audit?type=login.failure', { cookie: admin })).json.events.find(
      (event: { detail: { reason: string } }) => event.detail.reason === 'unknown_user',
    );
    assert.deepEqual(
      unknown.detail,
      { reason: 'unknown_user' },
      'an unknown name is not recorded: it may be a mistyped password',
    );
    const all = JSON.stringify((await server.request('/admin/audit?limit=1000', { cookie: admin })).json);
    for (const secret of [PASSWORD, 'audited password 2', 'not the password', login.setCookie(COOKIE)!])
      assert.ok(!all.includes(secret), 'no secret in the audit log');
  });

  test('admins only; filters by type and time; bad filters are a 400', async () => {
    const subject = `${COOKIE}=${(await server.request('/login', { form: { username: 'subject', password: 'audited password 2' } })).setCookie(COOKIE)}`;
    assert.equal((await server.request('/admin/audit', { cookie: subject })).status, 403);
    assert.equal((await server.request('/admin/audit')).status, 401);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    assert.deepEqual(
      (await server.request(`/admin/audit?since=${encodeURIComponent(future)}`, { cookie: admin })).json.events,
      [],
    );
    assert.equal((await server.request('/admin/audit?since=yesterday', { cookie: admin })).status, 400);
    assert.equal((await server.request('/admin/audit?limit=lots', { cookie: admin })).status, 400);
    assert.equal((await server.request('/admin/audit?sql=1', { cookie: admin })).status, 400);
  });

  test('gatehouse audit reads the same log, and CLI actions are recorded with actor cli', async () => {
    const roles = await runCLI(['user', 'roles', 'subject', 'billing', '--data', server.data]);
    assert.equal(roles.code, 0, roles.stderr);
    const listed = await runCLI(['audit', '--user', 'subject', '--since', '1h', '--json', '--data', server.data]);
    assert.equal(listed.code, 0, listed.stderr);
    const events = JSON.parse(listed.stdout);
    assert.equal(events[0].type, 'user.update');
    assert.equal(events[0].actor, 'cli');
    assert.deepEqual(events[0].detail, { roles: ['billing'] });
    assert.ok(events.some((event: { type: string }) => event.type === 'login.success'));
    const table = await runCLI(['audit', '--type', 'login.failure', '--data', server.data]);
    assert.match(table.stdout, /^TIME\s+TYPE\s+ACTOR\s+USER\s+IP\s+DETAIL\n/);
    const bad = await runCLI(['audit', '--since', 'whenever', '--data', server.data]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--since: not a time/);
  });
});
