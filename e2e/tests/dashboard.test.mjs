// A leader's morning: the login lands on the dashboard, its charts draw, a headline
// figure matches the list behind it (for the county and for one township), and the
// year's Excel report downloads and leads with the same figure.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, staffLoginOk, textOf, withPage } from '../helpers.mjs';
import { RESULTS_DIR, startServer } from '../server.mjs';

describe('leader dashboard', { timeout: 10 * 60_000 }, () => {
  let server;
  let browser;

  before(
    async () => {
      server = await startServer({ label: 'dashboard', demoAppeals: 400 });
      browser = await launchBrowser();
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  /** The count an inbox page states ("共 N"). */
  async function inboxTotal(page) {
    const heading = await textOf(page.locator('h1 small'));
    const m = heading.match(/(\d+)/);
    assert.ok(m, `a total in ${heading}`);
    return Number(m[1]);
  }

  test('figures, charts, the list behind a figure, and the Excel report', { timeout: 300_000 }, async () => {
    await withPage(browser, server.baseURL, 'dashboard', async (page) => {
      await staffLoginOk(page, 'leader1');
      assert.equal(new URL(page.url()).pathname, '/staff/dashboard', 'leaders land on the dashboard');

      // The charts draw (ECharts served by Minsheng itself, onto canvases).
      for (const id of ['chart-trend', 'chart-categories', 'chart-map', 'chart-overdue']) {
        await page.locator(`#${id}[data-drawn=true] canvas`).first().waitFor({ state: 'attached' });
      }

      // The county's appeals received, and the list behind the figure.
      const received = Number(await textOf(page.locator('[data-test=headline-received] [data-test=headline-value]')));
      assert.ok(received > 0, 'the demo county received appeals this year');
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/staff'),
        page.locator('[data-test=headline-received]').click(),
      ]);
      assert.equal(await inboxTotal(page), received, 'the list behind the figure holds as many');

      // One township: the figure and its list agree again, and are fewer.
      await page.goBack();
      const choice = page.locator('[data-test=dashboard-township] option').nth(1);
      const township = await choice.getAttribute('value');
      await page.locator('[data-test=dashboard-township]').selectOption(township);
      await Promise.all([
        page.waitForURL((u) => u.searchParams.get('township') === township),
        page.locator('[data-test=dashboard-filters] button[type=submit]').click(),
      ]);
      const here = Number(await textOf(page.locator('[data-test=headline-received] [data-test=headline-value]')));
      assert.ok(here > 0 && here < received, `${here} of ${received} in one township`);
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/staff' && u.searchParams.get('township') === township),
        page.locator('[data-test=headline-received]').click(),
      ]);
      assert.equal(await inboxTotal(page), here);

      // The year's report for the whole county, downloaded as Excel.
      await page.goto('/staff/dashboard');
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/staff/reports'),
        page.locator('[data-test=dashboard-report]').click(),
      ]);
      const sentences = await textOf(page.locator('[data-test=report-sentences]'));
      assert.match(sentences, new RegExp(`受理群众诉求 ${received} 件`));
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('[data-test=report-xlsx]').click(),
      ]);
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      const file = path.join(RESULTS_DIR, 'dashboard-report.xlsx');
      await download.saveAs(file);
      // An .xlsx is a zip; the sentences are among its shared strings.
      const strings = execFileSync('unzip', ['-p', file, 'xl/sharedStrings.xml'], { encoding: 'utf8' });
      assert.match(strings, new RegExp(`受理群众诉求 ${received} 件`), 'the workbook leads with the same figure');
      const sheets = execFileSync('unzip', ['-p', file, 'xl/workbook.xml'], { encoding: 'utf8' });
      for (const name of ['概况', '单位排名', '类别']) assert.ok(sheets.includes(name), `sheet ${name}`);
    });
  });
});
