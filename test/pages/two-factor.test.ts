import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generate } from 'otplib';
import type { Browser } from 'playwright-core';
import { closeBrowser, launchBrowser, SCREENSHOTS, watchErrors } from '../helpers/browser.js';
import { COOKIE, startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'page two factor password';
let now = Date.UTC(2026, 10, 29, 9, 0, 0);
let server: TestServer;
let browser: Browser | string | undefined;

before(async () => {
  server = await startTestServer({ clock: { now: () => now } });
  await server.core.users.createUser({ username: 'vera', password: PASSWORD });
  browser = await launchBrowser();
});
after(async () => {
  await closeBrowser(browser);
  await server.stop();
});

test('two-factor sign-in in Chromium: set up from the account page, then sign in with a code and with a recovery code', async (t) => {
  if (typeof browser === 'string') return t.skip(browser);
  const context = await browser!.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1024, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const signInWithPassword = async () => {
    await page.goto(`${server.url}/`);
    await page.getByLabel('Username').fill('vera');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  };
  await signInWithPassword();
  await page.waitForURL(`${server.url}/`);
  assert.match(await page.locator('#two-factor-state').innerText(), /^Off/);

  // Set up, after the password (a stolen session cannot enrol its own app): a wrong one is refused on the page.
  await page.locator('#two-factor-setup-password').fill('not the password at all');
  await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  assert.equal(await page.getByRole('alert').textContent(), 'The current password is not correct.');
  // A QR code (inline SVG) and the key to type; a mistyped code keeps the same key.
  await page.locator('#two-factor-setup-password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  assert.equal(await page.title(), 'Set up two-factor sign-in · Gatehouse');
  assert.equal(await page.locator('.qr svg').count(), 1);
  const secret = await page.locator('#totp-secret').innerText();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await page.screenshot({ path: join(SCREENSHOTS, 'two-factor.png'), fullPage: true });
  const code = await generate({ secret, epoch: now / 1000 });
  await page.getByLabel('Code', { exact: true }).fill(code === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'Turn on' }).click();
  assert.equal(
    await page.getByRole('alert').textContent(),
    'That code is not valid; enter the code the app shows now.',
  );
  assert.equal(await page.locator('#totp-secret').innerText(), secret, 'the key the app already has');
  await page.getByLabel('Code', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'Turn on' }).click();
  const recoveryCodes = await page.locator('#recovery-codes code').allTextContents();
  assert.equal(recoveryCodes.length, 10);

  // Sign out, then in: the password, then the code the app shows a step later.
  await page.goto(`${server.url}/`);
  assert.match(await page.locator('#two-factor-state').innerText(), /^On · 10 recovery codes left/);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signInWithPassword();
  assert.equal(await page.title(), 'Two-factor sign-in · Gatehouse');
  assert.deepEqual(
    (await context.cookies()).map((cookie) => cookie.name),
    [`${COOKIE}-device`],
    'no session cookie before the code (only the device cookie of the first sign-in)',
  );
  now += 30_000;
  await page
    .getByLabel('Code', { exact: true })
    .fill('999999' === (await generate({ secret, epoch: now / 1000 })) ? '888888' : '999999');
  await page.getByRole('button', { name: 'Verify' }).click();
  assert.equal(await page.getByRole('alert').textContent(), 'The code is not valid.');
  await page.getByLabel('Code', { exact: true }).fill(await generate({ secret, epoch: now / 1000 }));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL(`${server.url}/`);
  assert.equal(await page.locator('#whoami').textContent(), 'vera');

  // A recovery code instead of the app.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signInWithPassword();
  await page.getByLabel('Code', { exact: true }).fill(recoveryCodes[3]!);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL(`${server.url}/`);
  assert.match(await page.locator('#two-factor-state').innerText(), /^On · 9 recovery codes left/);

  // Off again, with the password.
  await page.locator('#two-factor-password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Turn off two-factor sign-in' }).click();
  await page.waitForURL(`${server.url}/?done=two-factor-off`);
  assert.match(await page.locator('#two-factor-state').innerText(), /^Off/);
  assert.deepEqual(errors, []);
  await context.close();
});
