import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, COOKIE, type TestServer } from '../helpers/server.js';

const PASSWORD = 'correct horse battery staple';

/** One sample of the Prometheus text format (0.0.4). */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses the Prometheus text exposition format strictly: every line is a
 * comment (`# HELP`/`# TYPE`), blank, or a sample; anything else fails.
 */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  // Values as Prometheus reads them (Go's ParseFloat: NaN and Inf in any case; prom-client writes "Nan").
  const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([+-]?(?:[0-9.e+-]+|nan|inf))(?: -?[0-9]+)?$/i;
  const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const match = sampleLine.exec(line);
    assert.ok(match, `not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = match[2] ?? '';
    labelPair.lastIndex = 0;
    let consumed = 0;
    for (let pair = labelPair.exec(body); pair; pair = labelPair.exec(body)) {
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_all, char: string) => (char === 'n' ? '\n' : char));
      consumed = labelPair.lastIndex;
    }
    assert.equal(consumed, body.length, `bad labels in: ${line}`);
    samples.push({
      name: match[1]!,
      labels,
      value: Number(match[3]!.toLowerCase().replace('nan', 'NaN').replace('inf', 'Infinity')),
    });
  }
  return { samples, types };
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  return found.reduce((sum, sample) => sum + sample.value, 0);
}

describe('GET /metrics', () => {
  let server: TestServer;
  let cookie: string;
  const scrape = async (headers: Record<string, string> = {}) => {
    const response = await server.request('/metrics', { headers });
    assert.equal(response.status, 200, response.text);
    return parseExposition(response.text);
  };

  before(async () => {
    server = await startTestServer({ config: { throttleAccountFailures: 3 } });
    await server.core.users.createUser({ username: 'mia', password: PASSWORD });
    await server.core.users.createUser({ username: 'ned', password: PASSWORD });
    const login = await server.request('/login', { json: { username: 'mia', password: PASSWORD } });
    assert.equal(login.status, 200);
    cookie = `${COOKIE}=${login.setCookie(COOKIE)}`;
  });
  after(() => server.stop());

  it('is Prometheus text with the gatehouse_ families, their types, and process metrics', async () => {
    const response = await server.request('/metrics');
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(response.headers['cache-control'], 'no-store');
    const { types, samples } = parseExposition(response.text);
    assert.equal(types.get('gatehouse_logins_total'), 'counter');
    assert.equal(types.get('gatehouse_http_request_duration_seconds'), 'histogram');
    assert.equal(types.get('gatehouse_sessions'), 'gauge');
    assert.equal(types.get('process_cpu_user_seconds_total'), 'counter');
    assert.ok(samples.length > 50);
  });

  it('counts sign-in outcomes, throttling, token issuance and rejected credentials', async () => {
    const before = (await scrape()).samples;
    const wrong = await server.request('/login', { json: { username: 'ned', password: 'not the password at all' } });
    assert.equal(wrong.status, 401);
    const unknown = await server.request('/login', {
      json: { username: 'nobody', password: 'not the password at all' },
    });
    assert.equal(unknown.status, 401);
    const right = await server.request('/login', { json: { username: 'ned', password: PASSWORD } });
    assert.equal(right.status, 200);
    // Three failures lock ned's account for a while: wrong passwords until one is throttled.
    const statuses: number[] = [];
    while (!statuses.includes(429) && statuses.length < 6) {
      statuses.push(
        (await server.request('/login', { json: { username: 'ned', password: 'still not the password' } })).status,
      );
    }
    const throttled = await server.request('/login', { json: { username: 'ned', password: PASSWORD } });
    assert.equal(throttled.status, 429);
    const refusedFailures = statuses.filter((status) => status === 401).length;
    const throttledCount = statuses.filter((status) => status === 429).length + 1;
    const token = await server.request('/token', { method: 'POST', cookie, headers: { origin: server.url } });
    assert.equal(token.status, 200);
    assert.equal((await server.request('/get-info', { headers: { authorization: 'Bearer not.a.token' } })).status, 401);
    assert.equal((await server.request('/get-info', { cookie: `${COOKIE}=forged` })).status, 401);
    assert.equal((await server.request('/get-info')).status, 401);

    const after = (await scrape()).samples;
    const delta = (name: string, labels: Record<string, string> = {}) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    assert.equal(delta('gatehouse_logins_total', { outcome: 'success' }), 1);
    // Every wrong password was checked (the one that locks the account answers 429 itself);
    // only the last attempt was refused before any check.
    assert.equal(delta('gatehouse_logins_total', { outcome: 'failure' }), 2 + statuses.length);
    assert.equal(delta('gatehouse_logins_total', { outcome: 'throttled' }), 1);
    assert.equal(delta('gatehouse_throttled_total', { route: '/login' }), throttledCount);
    assert.equal(delta('gatehouse_tokens_issued_total', { grant: 'session' }), 1);
    assert.equal(delta('gatehouse_credential_rejections_total', { kind: 'bearer' }), 1);
    assert.equal(delta('gatehouse_credential_rejections_total', { kind: 'cookie' }), 1);
    assert.equal(delta('gatehouse_problems_total', { code: 'ERR_INVALID_CREDENTIALS' }), 2 + refusedFailures);
    assert.equal(delta('gatehouse_problems_total', { code: 'ERR_UNAUTHENTICATED' }), 2);
    // Latency per route pattern and status: the three 401s on /get-info, the 200 and 429s on /login.
    assert.equal(delta('gatehouse_http_request_duration_seconds_count', { route: '/get-info', status_code: '401' }), 3);
    assert.equal(
      delta('gatehouse_http_request_duration_seconds_count', { route: '/login', status_code: '429' }),
      throttledCount,
    );
    const fast = delta('gatehouse_http_request_duration_seconds_bucket', {
      route: '/get-info',
      status_code: '401',
      le: '+Inf',
    });
    assert.equal(fast, 3);
  });

  it('labels unknown paths as unmatched, not by their URL', async () => {
    await server.request('/no/such/path/12345');
    const { samples } = await scrape();
    assert.ok(
      valueOf(samples, 'gatehouse_http_request_duration_seconds_count', { route: 'unmatched', status_code: '404' }) >=
        1,
    );
    assert.equal(
      samples.some((sample) => sample.labels.route?.includes('12345')),
      false,
    );
  });

  it('answers only loopback clients not behind a proxy, or a token or key with the metrics scope', async () => {
    const viaProxy = { 'x-forwarded-for': '203.0.113.7' };
    const anonymous = await server.request('/metrics', { headers: viaProxy });
    assert.equal(anonymous.status, 401);
    assert.match(String(anonymous.headers['content-type']), /^application\/problem\+json/);
    assert.doesNotMatch(anonymous.text, /gatehouse_/);
    // A signed-in person is not a scraper: `metrics` is a scope only service clients hold.
    const session = await server.request('/metrics', { headers: viaProxy, cookie });
    assert.equal(session.status, 403);
    const { client, secret } = await server.core.clients.createClient({ name: 'prometheus', scopes: 'metrics' });
    const basic = `Basic ${Buffer.from(`${client.id}:${secret}`).toString('base64')}`;
    const issued = await server.request('/oauth/token', {
      form: { grant_type: 'client_credentials' },
      headers: { authorization: basic },
    });
    assert.equal(issued.status, 200, issued.text);
    const { access_token: accessToken } = issued.json as { access_token: string };
    const scraped = await server.request('/metrics', {
      headers: { ...viaProxy, authorization: `Bearer ${accessToken}` },
    });
    assert.equal(scraped.status, 200);
    assert.match(scraped.text, /^# HELP /m);
    await server.core.scopes.create({ name: 'orders:read', description: 'Read orders.' });
    const other = await server.core.clients.createClient({ name: 'reporting', scopes: 'orders:read' });
    const otherToken = await server.request('/oauth/token', {
      form: { grant_type: 'client_credentials' },
      headers: { authorization: `Basic ${Buffer.from(`${other.client.id}:${other.secret}`).toString('base64')}` },
    });
    const refused = await server.request('/metrics', {
      headers: { ...viaProxy, authorization: `Bearer ${(otherToken.json as { access_token: string }).access_token}` },
    });
    assert.equal(refused.status, 403);
    assert.match(String(refused.headers['www-authenticate']), /insufficient_scope.*scope="metrics"/);
  });

  it('never exposes a secret', async () => {
    const response = await server.request('/metrics');
    assert.doesNotMatch(response.text, /correct horse|Bearer|gh_|__Host-gatehouse=/);
  });
});

describe('gatehouse_sessions', () => {
  it('gauges the live sessions in the store, counted at most every 15 s', async () => {
    let now = Date.now();
    const server = await startTestServer({ clock: { now: () => now } });
    try {
      const sessions = async () => {
        const response = await server.request('/metrics');
        return valueOf(parseExposition(response.text).samples, 'gatehouse_sessions');
      };
      assert.equal(await sessions(), 0);
      await server.core.users.createUser({ username: 'ola', password: PASSWORD });
      for (let i = 0; i < 2; i += 1)
        assert.equal((await server.request('/login', { json: { username: 'ola', password: PASSWORD } })).status, 200);
      assert.equal(await sessions(), 0, 'still the count of the last 15 s');
      now += 15_000;
      assert.equal(await sessions(), 2);
      assert.equal(await server.core.store.countSessions(now), 2);
    } finally {
      await server.stop();
    }
  });
});
