import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { closeBrowser, launchBrowser, SCREENSHOTS, watchErrors } from '../helpers/browser.js';
import { addScopes, COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'browser test password 1';
let server: TestServer;
let browser: Browser | string | undefined;

before(async () => {
  server = await startTestServer();
  await addScopes(server.core, 'orders:read');
  await server.core.users.createUser({ username: 'alice', password: PASSWORD, roles: ['ops'] });
  browser = await launchBrowser();
});
after(async () => {
  await closeBrowser(browser);
  await server.stop();
});

/** A fresh browser profile: its own cookie jar. The development certificate is not in Chromium's store. */
async function newContext(viewport = { width: 1024, height: 760 }): Promise<BrowserContext> {
  return (browser as Browser).newContext({ ignoreHTTPSErrors: true, viewport });
}

/** A page of `context`, signed in through the form, and the errors it logs. */
async function signedInPage(context: BrowserContext, username: string): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${server.url}/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${server.url}/`);
  return { page, errors };
}

describe('the sign-in and account pages in Chromium', () => {
  test('wrong password, unknown user, then the right password; revoke another session; sign out', async (t) => {
    if (typeof browser === 'string') return t.skip(browser);
    const context = await newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.url}/`);
    assert.equal(await page.title(), 'Sign in · Gatehouse');

    // The same words for a wrong password and for a user that does not exist.
    for (const [username, password] of [
      ['alice', 'not the password 9'],
      ['nobody', PASSWORD],
    ] as const) {
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      assert.equal(await page.getByRole('alert').textContent(), 'Invalid username or password.');
      assert.equal(await page.getByLabel('Username').inputValue(), username, 'the name is kept, the password is not');
      assert.equal(await page.getByLabel('Password').inputValue(), '');
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'sign-in-error.png'), fullPage: true });

    // Keyboard only: the fields and the button are reached and used without a mouse.
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').focus();
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${server.url}/`);
    assert.equal(await page.locator('#whoami').textContent(), 'alice');
    assert.match((await page.locator('main').textContent())!, /Roles: ops/);

    // Another device signs in; the page lists it and revokes it.
    const other = await server.request('/login', {
      form: { username: 'alice', password: PASSWORD },
      headers: { 'user-agent': 'other-device/1.0' },
    });
    const otherCookie = `${COOKIE}=${other.setCookie(COOKIE)}`;
    assert.equal((await server.request('/get-info', { cookie: otherCookie })).status, 200);
    await page.reload();
    assert.equal(await page.locator('ul.sessions li').count(), 2);
    assert.equal(await page.locator('ul.sessions li', { hasText: 'this session' }).count(), 1);
    await page.screenshot({ path: join(SCREENSHOTS, 'account.png'), fullPage: true });
    await page
      .locator('ul.sessions li', { hasText: 'other-device/1.0' })
      .getByRole('button', { name: /Revoke/ })
      .click();
    await page.waitForURL(`${server.url}/?done=session-revoked`);
    assert.equal(await page.getByRole('status').textContent(), 'The session is signed out.');
    assert.equal(await page.locator('ul.sessions li').count(), 1);
    assert.equal(
      (await server.request('/get-info', { cookie: otherCookie })).status,
      401,
      'the revoked device lost access',
    );

    // Sign out ends the session on the server, not only in the browser.
    const browserCookie = (await context.cookies()).find((cookie) => cookie.name === COOKIE);
    assert.ok(browserCookie);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${server.url}/`);
    assert.equal(await page.getByRole('button', { name: 'Sign in', exact: true }).count(), 1);
    assert.deepEqual(
      (await context.cookies()).map((cookie) => cookie.name),
      [`${COOKIE}-device`],
      'the session cookie is dropped; the device cookie stays (#22)',
    );
    assert.equal((await server.request('/get-info', { cookie: `${COOKIE}=${browserCookie!.value}` })).status, 401);
    assert.deepEqual(errors, [], 'no console errors');
    await context.close();
  });

  test('"sign out everywhere else" ends every other session; the page reads well on a phone', async (t) => {
    if (typeof browser === 'string') return t.skip(browser);
    const others = await Promise.all(
      [1, 2].map(() => server.request('/login', { form: { username: 'alice', password: PASSWORD } })),
    );
    const context = await newContext({ width: 390, height: 844 });
    const { page, errors } = await signedInPage(context, 'alice');
    assert.ok((await page.locator('ul.sessions li').count()) >= 3);
    // No sideways scrolling on a phone.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
    await page.screenshot({ path: join(SCREENSHOTS, 'account-phone.png'), fullPage: true });
    await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await page.waitForURL(`${server.url}/?done=sessions-revoked`);
    assert.equal(await page.locator('ul.sessions li').count(), 1);
    for (const response of others)
      assert.equal(
        (await server.request('/get-info', { cookie: `${COOKIE}=${response.setCookie(COOKIE)}` })).status,
        401,
      );
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('pages carry a CSP without script, and a form posted from another site is refused', async () => {
    const home = await server.request('/');
    assert.equal(home.status, 200);
    assert.equal(home.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(
      home.headers['content-security-policy'],
      "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'",
    );
    assert.doesNotMatch(
      home.text,
      /<script(?![^>]*\bsrc="assets\/(app|passkeys)\.js")|style=|\bon[a-z]+=/i,
      'no inline script, style or handler',
    );
    assert.equal((await server.request('/assets/app.js')).headers['content-type'], 'text/javascript; charset=utf-8');
    const css = await server.request('/assets/app.css');
    assert.deepEqual([css.status, css.headers['content-type']], [200, 'text/css; charset=utf-8']);
    assert.equal((await server.request('/favicon.svg')).headers['content-type'], 'image/svg+xml');
    const forged = await server.request('/ui/sign-in', {
      form: { username: 'alice', password: PASSWORD },
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(forged.status, 403);
    assert.equal(forged.setCookie(COOKIE), undefined);
  });

  test('API keys: create one (shown once, copied), use it, revoke it; change the password', async (t) => {
    if (typeof browser === 'string') return t.skip(browser);
    await server.core.users.createUser({ username: 'bob', password: PASSWORD });
    const context = await newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const { page, errors } = await signedInPage(context, 'bob');

    await page.getByLabel('Name', { exact: true }).fill('deploy script');
    await page.getByLabel('Scopes').fill('orders:read');
    await page.getByLabel('Expires').selectOption('90');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const key = await page.getByLabel('The new API key').inputValue();
    assert.match(key, /^gh_[A-Za-z0-9_-]{43}$/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
    await page.screenshot({ path: join(SCREENSHOTS, 'api-key-created.png'), fullPage: true });
    const used = await server.request('/get-info', { headers: { authorization: `Bearer ${key}` } });
    assert.equal(used.status, 200);
    const [stored] = await server.core.apiKeys.listApiKeys((await server.core.users.findUserByName('bob'))!.id);
    assert.deepEqual([stored!.name, stored!.scopes], ['deploy script', ['orders:read']]);
    assert.ok(stored!.expiresAt! > Date.now() + 89 * 86_400_000 && stored!.expiresAt! < Date.now() + 91 * 86_400_000);

    await page.goto(`${server.url}/`);
    assert.equal(await page.getByLabel('The new API key').count(), 0, 'shown only once');
    assert.ok(!(await page.content()).includes(key));
    await page.getByRole('button', { name: 'Revoke the API key deploy script' }).click();
    await page.waitForURL(`${server.url}/?done=key-revoked`);
    assert.equal(await page.getByRole('status').textContent(), 'The API key is revoked.');
    assert.equal((await server.request('/get-info', { headers: { authorization: `Bearer ${key}` } })).status, 401);

    // Password: a wrong current one and a weak new one are refused with the reason; then it changes.
    // The browser knows the policy's shortest length; a long but guessable one is the server's to refuse.
    assert.equal(await page.getByLabel('New password').getAttribute('minlength'), '15');
    const other = await server.request('/login', { form: { username: 'bob', password: PASSWORD } });
    for (const [current, next, reason] of [
      ['not my password 7', 'a brand new passphrase 42', /current password is not correct/],
      [PASSWORD, 'passwordpassword1', /too easy to guess/],
    ] as const) {
      await page.getByLabel('Current password').fill(current);
      await page.getByLabel('New password').fill(next);
      await page.getByRole('button', { name: 'Change password' }).click();
      assert.match((await page.getByRole('alert').textContent())!, reason);
    }
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password').fill('a brand new passphrase 42');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForURL(`${server.url}/?done=password`);
    assert.match((await page.getByRole('status').textContent())!, /password is changed/);
    assert.equal(
      (await server.request('/get-info', { cookie: `${COOKIE}=${other.setCookie(COOKIE)}` })).status,
      401,
      'other sessions end',
    );
    assert.equal(
      (await server.request('/login', { form: { username: 'bob', password: 'a brand new passphrase 42' } })).status,
      200,
    );
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the form says when a throttled account may try again; Tab reaches every field in order', async (t) => {
    await server.core.users.createUser({ username: 'carl', password: PASSWORD });
    let last;
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      last = await server.request('/ui/sign-in', {
        form: { username: 'carl', password: `wrong password number ${attempt}` },
      });
    }
    assert.equal(last!.status, 429);
    const seconds = Number(last!.headers['retry-after']);
    assert.ok(seconds >= 1);
    assert.match(last!.text, new RegExp(`Too many attempts; try again in ${seconds} seconds?\\.`));
    const right = await server.request('/ui/sign-in', { form: { username: 'carl', password: PASSWORD } });
    assert.equal(right.status, 429, 'even the right password waits');
    assert.equal(right.setCookie(COOKIE), undefined);

    if (typeof browser === 'string') return t.skip(browser);
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    // autofocus applies once the page has rendered: wait for it (it is part of what is tested), then Tab.
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'username', undefined, {
      timeout: 5000,
    });
    const focused: string[] = [];
    for (let step = 0; step < 4; step += 1) {
      await page.keyboard.press('Tab');
      focused.push(
        await page.evaluate(
          () => document.activeElement?.getAttribute('name') ?? document.activeElement?.textContent ?? '',
        ),
      );
    }
    // The username field has focus on load; Tab goes on to the password, the button, then around.
    assert.deepEqual(focused.slice(0, 2), ['password', 'Sign in']);
    await context.close();
  });

  test('user data is escaped: a user agent with markup shows as text', async (t) => {
    if (typeof browser === 'string') return t.skip(browser);
    await server.request('/login', {
      form: { username: 'alice', password: PASSWORD },
      headers: { 'user-agent': '<img src=x onerror=alert(1)>' },
    });
    const login = await server.request('/login', { form: { username: 'alice', password: PASSWORD } });
    const page = await server.request('/', { cookie: `${COOKIE}=${login.setCookie(COOKIE)}` });
    assert.match(page.text, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.doesNotMatch(page.text, /<img src=x/);
  });
});
