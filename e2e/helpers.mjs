// Browser helpers shared by the test files: launching Debian's chromium through
// playwright-core, failure artifacts, and the portal / staff steps that several
// journeys share.

import assert from 'node:assert/strict';
import { access, constants, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { RESULTS_DIR } from './server.mjs';

export const TIMEOUT_MS = 30_000;
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const APPEAL_NO_RE = /^MS\d{4}-\d{6}$/;
export const TRACKING_CODE_RE = /^[a-z0-9]{26,}$/;

export const DEMO_PASSWORD = 'demo-2026';

/** Launches headless Debian chromium with the flags this machine needs. */
export async function launchBrowser() {
  try {
    await access(CHROMIUM_PATH, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. Install it with:\n` +
        '  apt-get update && apt-get install -y chromium fonts-noto-cjk',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: TIMEOUT_MS * 2,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh context (own cookies) and page, with generous timeouts. */
export async function newPage(browser, baseURL) {
  const context = await browser.newContext({
    baseURL,
    locale: 'zh-CN',
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(TIMEOUT_MS);
  context.setDefaultNavigationTimeout(TIMEOUT_MS);
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.pageErrors = pageErrors;
  return page;
}

function safeName(name) {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 100) || 'test';
}

/**
 * Runs `fn(page)` in a fresh context; on failure saves
 * test-results/<name>.png (and <name>.html) and rethrows.
 */
export async function withPage(browser, baseURL, name, fn) {
  const page = await newPage(browser, baseURL);
  try {
    return await fn(page);
  } catch (err) {
    const base = path.join(RESULTS_DIR, safeName(name));
    try {
      await mkdir(RESULTS_DIR, { recursive: true });
      await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 10_000 });
      await writeFile(`${base}.html`, `<!-- ${page.url()} -->\n${await page.content()}`);
    } catch (shotErr) {
      console.error(`could not save failure artifacts for ${name}: ${shotErr}`);
    }
    if (page.pageErrors.length) {
      err.message += `\nJavaScript errors on the page:\n  ${page.pageErrors.join('\n  ')}`;
    }
    err.message += `\n(page was at ${page.url()}; screenshot: ${base}.png)`;
    throw err;
  } finally {
    await page.context().close().catch(() => {});
  }
}

export function marker(prefix = 'e2e') {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export async function textOf(locator) {
  await locator.first().waitFor({ state: 'visible' });
  return (await locator.first().innerText()).trim();
}

/**
 * Opens /submit and fills the form. Chooses category `gongre` (供热) unless
 * told otherwise, the first township that has villages, and one of its villages.
 * Browser-side validation is turned off so that the server's validation is tested.
 */
export async function fillAppealForm(
  page,
  { category = 'gongre', text, name = '', phone = '', address = '幸福路12号', anonymous = false, files = [] },
) {
  await page.goto('/submit');
  const form = page.locator('[data-test=submit-form]');
  await form.waitFor({ state: 'visible' });
  await form.evaluate((f) => {
    f.noValidate = true;
  });

  await page.locator('select[name=category]').selectOption(category);

  // Townships: 12-digit region codes. Villages carry data-township.
  const townships = await page
    .locator('select[name=township] option')
    .evaluateAll((opts) => opts.map((o) => o.value).filter((v) => /^\d{12}$/.test(v)));
  assert.ok(townships.length > 0, 'the township select has no 12-digit region codes');
  const villageTownships = new Set(
    await page
      .locator('select[name=village] option[data-township]')
      .evaluateAll((opts) => opts.map((o) => o.getAttribute('data-township'))),
  );
  const township = townships.find((t) => villageTownships.has(t)) ?? townships[0];
  await page.locator('select[name=township]').selectOption(township);

  // Read the villages after choosing the township (the page script may rebuild the list).
  const villages = await page
    .locator(`select[name=village] option[data-township="${township}"]`)
    .evaluateAll((opts) => opts.map((o) => o.value).filter((v) => v !== ''));
  assert.ok(villages.length > 0, `no village option has data-township="${township}"`);
  await page.locator('select[name=village]').selectOption(villages[0]);

  await page.locator('input[name=address]').fill(address);
  await page.locator('textarea[name=text]').fill(text);
  await page.locator('input[name=name]').fill(name);
  await page.locator('input[name=phone]').fill(phone);
  if (anonymous) await page.locator('input[name=anonymous]').check();
  if (files.length > 0) await page.locator('[data-test=media]').setInputFiles(files);
  return { township, village: villages[0] };
}

/** Fills and submits the portal form; returns { appealNo, trackingCode } from the receipt. */
export async function submitAppeal(page, fields) {
  await fillAppealForm(page, fields);
  await Promise.all([
    page.waitForURL((u) => u.pathname.startsWith('/receipt/')),
    page.locator('[data-test=submit-button]').click(),
  ]);
  const appealNo = await textOf(page.locator('[data-test=appeal-no]'));
  const trackingCode = await textOf(page.locator('[data-test=tracking-code]'));
  assert.match(appealNo, APPEAL_NO_RE, 'appeal number format');
  assert.match(trackingCode, TRACKING_CODE_RE, 'tracking code format');
  assert.equal(
    decodeURIComponent(new URL(page.url()).pathname),
    `/receipt/${trackingCode}`,
    'the receipt URL carries the tracking code',
  );
  return { appealNo, trackingCode };
}

/** Fills and submits the staff login form (does not wait for the result). */
export async function staffLogin(page, username, password = DEMO_PASSWORD) {
  await page.goto('/staff/login');
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.locator('[data-test=login-button]').click();
}

/** Logs in and waits for the landing page: the inbox at /staff, or the dashboard for
 * leaders and supervisors. */
export async function staffLoginOk(page, username, password = DEMO_PASSWORD) {
  await staffLogin(page, username, password);
  await page.waitForURL((u) => /^\/staff(\/dashboard)?\/?$/.test(u.pathname));
  await page.locator('[data-test=unit-name]').waitFor({ state: 'visible' });
}
