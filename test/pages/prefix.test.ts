import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { createAuthCore } from '../../src/core/index.js';
import { gatehouse } from '../../src/http/plugin.js';
import { createDevelopmentCertificate } from '../../src/server/tls.js';
import { openStore } from '../../src/store/index.js';
import { closeBrowser, launchBrowser, watchErrors } from '../helpers/browser.js';

/**
 * The pages mounted under a prefix in a host application (#16): every link,
 * form and redirect stays below it. Walked through in Chromium.
 */
const PASSWORD = 'prefixed pages password 1';
let app: FastifyInstance;
let url: string;
let browser: Browser | string | undefined;
let data: string;

before(async () => {
  data = mkdtempSync(join(tmpdir(), 'gatehouse-prefix-'));
  const core = createAuthCore({
    store: await openStore({ url: `sqlite:${join(data, 'gatehouse.db')}` }),
    tokens: { masterKey: new Uint8Array(32).fill(7), issuer: () => url },
  });
  await core.tokens!.keys.ensureActiveKey();
  await core.users.createUser({ username: 'pia', password: PASSWORD, roles: ['admin'] });
  app = Fastify({ https: await createDevelopmentCertificate() });
  // The host's own page at the root, which Gatehouse's pages must never point at.
  app.get('/', async () => 'the host application');
  await app.register(gatehouse, { core, pages: true, prefix: '/auth' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `https://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  browser = await launchBrowser();
});
after(async () => {
  await closeBrowser(browser);
  await app?.close();
  rmSync(data, { recursive: true, force: true });
});

test('under a prefix: sign in, the account and admin pages, their forms and sign-out stay below it', async (t) => {
  if (typeof browser === 'string') return t.skip(browser);
  const context = await browser!.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const requested: string[] = [];
  page.on('request', (request) => requested.push(new URL(request.url()).pathname));

  await page.goto(`${url}/auth/`);
  assert.equal(await page.title(), 'Sign in · Gatehouse');
  await page.getByLabel('Username').fill('pia');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${url}/auth/`);
  assert.equal(await page.locator('#whoami').textContent(), 'pia');
  await page.getByRole('link', { name: 'Administration' }).click();
  await page.waitForURL(`${url}/auth/admin`);
  await page.getByLabel('Scope', { exact: true }).fill('reports:read');
  await page.getByLabel('What it allows').fill('Read the reports');
  await page.getByRole('button', { name: 'Add scope' }).click();
  await page.waitForURL(`${url}/auth/admin?done=scope-added`);
  await page.getByRole('link', { name: 'Gatehouse' }).click();
  await page.waitForURL(`${url}/auth/`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${url}/auth/`);
  assert.equal(await page.title(), 'Sign in · Gatehouse');

  // Every request the pages made (documents, forms, the stylesheet, the script, the icon) was below the prefix.
  assert.deepEqual(
    requested.filter((path) => !path.startsWith('/auth/')),
    [],
  );
  assert.ok(requested.includes('/auth/assets/app.css') && requested.includes('/auth/assets/app.js'));
  assert.deepEqual(errors, []);
  await context.close();
});
