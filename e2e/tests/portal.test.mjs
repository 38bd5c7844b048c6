// Public portal journeys: submit, receipt, track, validation, escaping, 404, language.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  fillAppealForm,
  launchBrowser,
  marker,
  staffLoginOk,
  submitAppeal,
  textOf,
  withPage,
} from '../helpers.mjs';
import { startServer } from '../server.mjs';

const FIXTURES = new URL('../../crates/minsheng-core/tests/fixtures/', import.meta.url).pathname;

const TEST_TIMEOUT = 120_000;

describe('public portal', { timeout: 20 * 60_000 }, () => {
  let server;
  let browser;

  before(
    async () => {
      server = await startServer({ label: 'portal' });
      browser = await launchBrowser();
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  const run = (name, fn) =>
    test(name, { timeout: TEST_TIMEOUT }, () => withPage(browser, server.baseURL, `portal-${name}`, fn));

  run('submit a heating appeal, then track it without revealing the appellant', async (page) => {
    const mark = marker('portal');
    const { appealNo, trackingCode } = await submitAppeal(page, {
      category: 'gongre',
      text: `小区暖气不热，室温只有十二度。标记 ${mark}`,
      name: '张三丰',
      phone: '13800138000',
    });

    await page.goto('/');
    await page.locator('[data-test=track-code]').fill(trackingCode);
    await Promise.all([
      page.waitForURL((u) => decodeURIComponent(u.pathname) === `/track/${trackingCode}`),
      page.locator('[data-test=track-button]').click(),
    ]);

    assert.equal(await textOf(page.locator('[data-test=appeal-no]')), appealNo);
    const status = await textOf(page.locator('[data-test=status]'));
    assert.ok(status.length > 0, 'the track page shows a status');
    await page.locator('[data-test=timeline]').first().waitFor({ state: 'attached' });

    const html = await page.content();
    assert.ok(!html.includes('张三丰'), 'track page must not show the appellant name');
    assert.ok(!html.includes('13800138000'), 'track page must not show the appellant phone');
  });

  run('a photo and a scanned letter reach the handler; a disguised file is refused', async (page) => {
    // A script named like a photo comes back beside the file field, the text kept.
    await fillAppealForm(page, {
      text: '暖气片漏水，附照片',
      files: [{ name: '照片.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('#!/bin/sh\nrm -rf /\n') }],
    });
    await page.locator('[data-test=submit-button]').click();
    await page.locator('[data-test=error-media]').waitFor({ state: 'visible' });
    assert.match(await textOf(page.locator('[data-test=error-media]')), /JPEG/);
    assert.equal(await page.locator('textarea[name=text]').inputValue(), '暖气片漏水，附照片');

    const mark = marker('files');
    const { appealNo } = await submitAppeal(page, {
      text: `暖气片漏水，附照片和信。标记 ${mark}`,
      name: '钱附件',
      phone: '13900139000',
      files: [`${FIXTURES}photo-gps.jpg`, `${FIXTURES}letter.pdf`],
    });
    await staffLoginOk(page, 'zjj.handler');
    await page.goto(`/staff/appeals/${appealNo}`);
    const files = page.locator('[data-test=files]');
    await files.waitFor({ state: 'visible' });
    assert.match(await textOf(files), /photo-gps\.jpg[\s\S]*letter\.pdf/);
    // The photo shows (the browser decoded it), and the letter is a download.
    const thumb = files.locator('img.thumb').first();
    await thumb.waitFor({ state: 'visible' });
    assert.ok((await thumb.evaluate((img) => img.complete && img.naturalWidth)) > 0, 'the photo is shown');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      files.locator('[data-test=file-link]', { hasText: 'letter.pdf' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'letter.pdf');
  });

  run('validation errors keep what was typed', async (page) => {
    await fillAppealForm(page, {
      category: 'gongre',
      text: '',
      name: '李校验',
      phone: '12345',
      address: '校验路7号',
    });
    await page.locator('[data-test=submit-button]').click();

    await page.locator('[data-test=error-text]').waitFor({ state: 'visible' });
    await page.locator('[data-test=error-phone]').waitFor({ state: 'visible' });
    assert.ok(
      !new URL(page.url()).pathname.startsWith('/receipt/'),
      'an invalid appeal must not reach the receipt',
    );
    await page.locator('[data-test=submit-form]').waitFor({ state: 'visible' });
    assert.equal(await page.locator('input[name=name]').inputValue(), '李校验');
    assert.equal(await page.locator('input[name=address]').inputValue(), '校验路7号');
    assert.equal(await page.locator('input[name=phone]').inputValue(), '12345');
  });

  run('script in the appeal text is not executed', async (page) => {
    const { trackingCode } = await submitAppeal(page, {
      category: 'gongre',
      text: `暖气问题 <script>window.__pwned=1</script> ${marker('xss')}`,
      name: '王五',
      phone: '13700137000',
    });
    assert.equal(await page.evaluate(() => typeof window.__pwned), 'undefined', 'receipt page');

    const res = await page.goto(`/track/${trackingCode}`);
    assert.equal(res.status(), 200);
    await page.locator('[data-test=appeal-no]').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => typeof window.__pwned), 'undefined', 'track page');
  });

  run('unknown tracking code is a 404', async (page) => {
    const res = await page.goto('/track/doesnotexist000000000000000');
    assert.equal(res.status(), 404);
  });

  run('language switch to English', async (page) => {
    await page.goto('/submit');
    await page.locator('[data-test=submit-form]').waitFor({ state: 'visible' });
    await page.locator('[data-test=lang-en]').first().click();
    // Locators are re-queried after the navigation the link causes, so this
    // waits for the English page without any sleep.
    const button = page.locator('[data-test=submit-button]');
    const english = button
      .filter({ hasText: /submit/i })
      .or(page.locator('[data-test=submit-button][value*="submit" i]'));
    await english.first().waitFor({ state: 'visible' });
    await page.locator('[data-test=submit-form]').waitFor({ state: 'visible' });
  });
});
