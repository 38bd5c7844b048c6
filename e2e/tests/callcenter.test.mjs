// The call centre's day, by keyboard only: a call-taker registers a call without the
// mouse and reads back the number and tracking code; the caller's history appears as
// the phone is typed; the handler's queue count drops after sign-for; a reveal of the
// phone is put on the case's timeline. Screenshots of the main pages at 1366×768 are
// kept in test-results/screens/ so a change in layout is seen.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { APPEAL_NO_RE, TRACKING_CODE_RE, launchBrowser, marker, staffLoginOk, textOf, withPage } from '../helpers.mjs';
import { RESULTS_DIR, startServer } from '../server.mjs';

const TEST_TIMEOUT = 180_000;
const PHONE = '13600136123';
const SCREENS = path.join(RESULTS_DIR, 'screens');

/** Presses Tab until the focused element matches `selector` (keyboard only). */
async function tabTo(page, selector, max = 60) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${selector}`);
}

/** Moves a focused select down with the arrow key until it holds `value`. */
async function arrowTo(page, value, max = 80) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((v) => document.activeElement?.value === v, value)) return;
    await page.keyboard.press('ArrowDown');
  }
  assert.fail(`the arrow never reached ${value}`);
}

async function screen(page, name) {
  await mkdir(SCREENS, { recursive: true });
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.screenshot({ path: path.join(SCREENS, `${name}.png`), fullPage: false });
}

describe('the call centre', { timeout: 20 * 60_000 }, () => {
  let server;
  let browser;

  before(
    async () => {
      server = await startServer({ label: 'callcenter' });
      browser = await launchBrowser();
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  const run = (name, fn) =>
    test(name, { timeout: TEST_TIMEOUT }, () => withPage(browser, server.baseURL, `callcenter-${name}`, fn));

  let registered;

  run('a call-taker registers a call by keyboard and reads back the tracking code', async (page) => {
        await staffLoginOk(page, 'callcenter1');
    // Call-takers start in dense mode; the switch is remembered by the browser.
    assert.ok(await page.evaluate(() => document.body.classList.contains('dense')), 'dense by default');
    await page.locator('[data-test=nav-dense]').click();
    await page.reload();
    assert.ok(!(await page.evaluate(() => document.body.classList.contains('dense'))), 'switched off');
    await page.locator('[data-test=nav-dense]').click();
    await screen(page, 'inbox-call-taker');
    // "n" opens a new appeal.
    await page.keyboard.press('n');
    await page.waitForURL((u) => u.pathname === '/staff/intake');
    await page.locator('[data-test=intake-form]').waitFor({ state: 'visible' });
    const text = `小区门口路灯坏了一个多月，晚上老人出门不方便。标记 ${marker('call')}`;
    await tabTo(page, 'input[name=name]');
    await page.keyboard.type('钱阿姨');
    await tabTo(page, 'input[name=phone]');
    await page.keyboard.type(PHONE);
    // The history shows as the number is typed; a new caller has none.
    await page.locator('[data-caller-history] [data-test=no-history]').waitFor({ state: 'visible' });
    await tabTo(page, 'select[name=category]');
    await arrowTo(page, 'chengxiang');
    await tabTo(page, 'select[name=township]');
    const township = await page
      .locator('select[name=village] option[data-township]')
      .first()
      .getAttribute('data-township');
    await arrowTo(page, township);
    // The village picker: a few characters, and the first match is chosen.
    const village = await page
      .locator(`select[name=village] option[data-township="${township}"]`)
      .first()
      .evaluate((o) => ({ value: o.value, text: o.textContent.trim() }));
    await tabTo(page, 'input.picker');
    await page.keyboard.type(village.text.slice(0, 2));
    assert.equal(await page.locator('select[name=village]').inputValue(), village.value);
    await tabTo(page, 'textarea[name=text]');
    await page.keyboard.type(text);
    await screen(page, 'intake');
    await tabTo(page, '[data-test=intake-button]');
    await Promise.all([page.waitForURL((u) => u.searchParams.get('registered') === '1'), page.keyboard.press('Enter')]);
    const appealNo = await textOf(page.locator('[data-test=read-no]'));
    const code = await textOf(page.locator('[data-test=read-code]'));
    assert.match(appealNo, APPEAL_NO_RE);
    assert.match(code, TRACKING_CODE_RE);
    await screen(page, 'registered');
    registered = { appealNo, code };
    // The code read to the caller opens their track page.
    await page.goto(`/track/${code}`);
    assert.equal(await textOf(page.locator('[data-test=appeal-no]')), appealNo);
    // Typed again, the same number now shows that appeal, with a way to follow it up.
    await page.goto('/staff/intake');
    await page.locator('input[name=phone]').pressSequentially(PHONE);
    await page.locator('[data-caller-history] [data-test=caller-history]').filter({ hasText: appealNo }).waitFor();
    assert.equal(await page.locator('[data-caller-history] [data-test=urge-form]').count(), 1);
  });

  run('the handler’s queue count drops after sign-for, and a reveal goes on the timeline', async (page) => {
    assert.ok(registered, 'the registration journey ran first');
    const { appealNo } = registered;
    await staffLoginOk(page, 'zjj.handler');
    const count = page.locator('[data-test=nav-inbox] [data-queue-count=default]');
    await count.waitFor({ state: 'visible' });
    const before = Number(await textOf(count));
    assert.ok(before >= 1, `the handler has work waiting (${before})`);
    await screen(page, 'inbox-handler');
    const row = page.locator('[data-test=inbox-row]').filter({ hasText: appealNo });
    if ((await row.count()) === 0) {
      // Routed elsewhere in the demo county: that unit's handler is not this one.
      return;
    }
        await page.goto(`/staff/appeals/${appealNo}`);
    await screen(page, 'appeal-handler');
    // A radio button sits on the line of its label.
    const contact = page.locator('[data-test=action-contact]');
    if (!(await contact.evaluate((d) => d.open))) await contact.locator('summary').click();
    const fit = await page.locator('[data-test=contact-reached]').evaluate((r) => {
      const a = r.getBoundingClientRect();
      const l = r.closest('label').getBoundingClientRect();
      return { width: a.width, height: l.height, offset: Math.abs(a.top + a.height / 2 - (l.top + l.height / 2)) };
    });
    assert.ok(fit.width < 40 && fit.height < 40 && fit.offset < 8, JSON.stringify(fit));
        const box = page.locator('[data-test=action-sign_for]');
        if (!(await box.evaluate((d) => d.open))) {
      await box.locator('summary').focus();
      await page.keyboard.press('Enter');
    }
    await box.locator('[data-test=do-sign_for]').focus();
        await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/act')),
      page.keyboard.press('Enter'),
    ]);
    await page.waitForLoadState();
    assert.equal(await textOf(page.locator('[data-test=appeal-status]')), '办理中');
    await page.goto('/staff');
    await page.waitForFunction(
      (b) => {
        const el = document.querySelector('[data-test=nav-inbox] [data-queue-count=default]');
        return el && (el.hidden ? 0 : Number(el.textContent)) === b - 1;
      },
      before,
    );
    await page.goto(`/staff/appeals/${appealNo}`);
    await page.locator('[data-test=reveal-reason]').fill('先联系后办理');
    await page.locator('[data-test=reveal-button]').click();
    await page.locator('[data-test=call-link]').waitFor({ state: 'visible' });
    assert.equal(await page.locator('[data-test=call-link]').getAttribute('href'), `tel:${PHONE}`);
    await page.locator('[data-test=timeline]').filter({ hasText: '查看完整个人信息' }).waitFor();
  });
});
