// A new county goes from `minsheng init` to taking real appeals using only the
// administration console: the administrator chooses a password, imports the
// official region codes, creates a unit under the new township government and a
// handler in it, sets a routing rule, and an appeal from the portal lands in that
// handler's inbox.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, submitAppeal, textOf, withPage } from '../helpers.mjs';
import { startServer } from '../server.mjs';

const NEW_PASSWORD = '新县管理员2026!';

/** Signs in with a one-time password and replaces it; ends on the password page. */
async function firstSignIn(page, username, oneTime, chosen) {
  await page.goto('/staff/login');
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(oneTime);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/staff/password'),
    page.locator('[data-test=login-button]').click(),
  ]);
  await page.locator('[data-test=must-change]').waitFor({ state: 'visible' });
  await page.locator('input[name=current]').fill(oneTime);
  await page.locator('input[name=new]').fill(chosen);
  await page.locator('input[name=repeat]').fill(chosen);
  await page.locator('[data-test=password-submit]').click();
  await page.locator('[data-test=password-changed]').waitFor({ state: 'visible' });
}

describe('setting up a new county in the console', { timeout: 10 * 60_000 }, () => {
  let server;
  let browser;

  before(
    async () => {
      server = await startServer({ label: 'admin', init: true });
      browser = await launchBrowser();
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  test('from init to an appeal in the right inbox', { timeout: 300_000 }, async () => {
    let handlerPassword;
    await withPage(browser, server.baseURL, 'admin-setup', async (page) => {
      await firstSignIn(page, 'admin', server.adminPassword, NEW_PASSWORD);

      // Regions from the official code list (villages listed before townships).
      const csv = path.join(server.dir, 'regions.csv');
      await writeFile(
        csv,
        '代码,名称\n370999001001,幸福社区\n370999001002,东关村\n370999001000,城关街道\n',
      );
      await page.goto('/staff/admin');
      await page.locator('[data-test=regions-file]').setInputFiles(csv);
      await Promise.all([
        page.waitForLoadState('load'),
        page.locator('[data-test=regions-submit]').click(),
      ]);
      const outcome = await textOf(page.locator('[data-test=import-outcome]'));
      assert.match(outcome, /已导入/);
      assert.match(outcome, /新增区划 3/);
      assert.match(outcome, /新建乡镇政府单位 1/);

      // A heating station under the township government made by the import,
      // answering for the subdistrict (named, not coded).
      await page.goto('/staff/admin/units');
      await page.locator('[data-test=unit-key]').fill('cg-heat');
      await page.locator('[data-test=unit-name-input]').fill('城关街道供热站');
      await page.locator('[data-test=unit-kind]').selectOption('department');
      await page.locator('[data-test=unit-parent]').selectOption({ label: '城关街道办事处' });
      await page.locator('[data-test=unit-jurisdiction]').fill('城关街道');
      await page.locator('[data-test=unit-phone]').fill('0539-8123456');
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/staff/admin/units/cg-heat'),
        page.locator('[data-test=unit-submit]').click(),
      ]);
      await page.goto('/staff/admin/units');
      assert.match(await textOf(page.locator('[data-test=units]')), /城关街道供热站/);

      // A handler in it.
      await page.goto('/staff/admin/staff');
      await page.locator('[data-test=staff-username]').fill('town.handler');
      await page.locator('[data-test=staff-name]').fill('街道承办人');
      await page.locator('[data-test=staff-unit]').selectOption({ label: '城关街道供热站' });
      await page.locator('[data-test=role-handler]').check();
      await page.locator('[data-test=staff-submit]').click();
      handlerPassword = await textOf(page.locator('[data-test=one-time-password]'));
      assert.match(handlerPassword, /^[A-Za-z0-9]{14}$/);

      // Heating in the subdistrict goes to the heating station.
      await page.goto('/staff/admin/routing');
      await page.locator('[data-test=rule-category]').selectOption('gongre');
      await page.locator('[data-test=rule-region]').selectOption('370999001000');
      await page.locator('[data-test=rule-lead]').selectOption({ label: '城关街道供热站' });
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/staff/admin/routing'),
        page.locator('[data-test=rule-submit]').click(),
      ]);
      assert.equal(await page.locator('[data-test=rule-row]').count(), 1);
      await page.locator('[data-test=preview-category]').selectOption('gongre');
      await page.locator('[data-test=preview-region]').selectOption('370999001002');
      await page.locator('[data-test=preview-form] button').click();
      assert.equal(await textOf(page.locator('[data-test=preview-lead]')), '城关街道供热站');
      assert.match(await textOf(page.locator('[data-test=preview-reason]')), /分流规则/);
    });

    // A citizen submits on the portal.
    const { appealNo } = await withPage(browser, server.baseURL, 'admin-portal', (page) =>
      submitAppeal(page, { text: '小区暖气不热，室温只有十二度', name: '王五', phone: '13700137000' }),
    );

    // The new handler chooses a password and finds it in the inbox.
    await withPage(browser, server.baseURL, 'admin-handler', async (page) => {
      await firstSignIn(page, 'town.handler', handlerPassword, '街道承办2026!ok');
      await page.goto('/staff');
      const rows = page.locator('[data-test=inbox-row]');
      await rows.first().waitFor({ state: 'visible' });
      assert.match(await rows.first().innerText(), new RegExp(appealNo));
    });
  });
});
