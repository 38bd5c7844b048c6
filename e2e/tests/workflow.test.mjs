// A full work order in the browser: the unit returns a misrouted order, the dispatch
// centre dispatches it again, the unit signs for it and replies, the call centre's
// return visit closes it, and the citizen sees each public step on the track page.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, marker, staffLoginOk, submitAppeal, textOf, withPage } from '../helpers.mjs';
import { startServer } from '../server.mjs';

describe('work order journey', { timeout: 10 * 60_000 }, () => {
  let server;
  let browser;

  before(
    async () => {
      server = await startServer({ label: 'workflow' });
      browser = await launchBrowser();
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  /** Logs in as `user`, opens the appeal, opens the action and submits it. */
  async function act(user, appealNo, action, fill = async () => {}) {
    await withPage(browser, server.baseURL, `workflow-${action}`, async (page) => {
      await staffLoginOk(page, user);
      await page.goto(`/staff/appeals/${appealNo}`);
      const box = page.locator(`[data-test=action-${action}]`);
      await box.waitFor({ state: 'attached' });
      if (!(await box.evaluate((d) => d.open))) await box.locator('summary').click();
      await fill(box);
      await Promise.all([
        page.waitForURL((u) => u.pathname === `/staff/appeals/${appealNo}`),
        box.locator(`[data-test=do-${action}]`).click(),
      ]);
      assert.equal(await page.locator('[data-test=action-error]').count(), 0, 'no refusal');
    });
  }

  async function status(user, appealNo) {
    return withPage(browser, server.baseURL, 'workflow-status', async (page) => {
      await staffLoginOk(page, user);
      await page.goto(`/staff/appeals/${appealNo}`);
      return textOf(page.locator('[data-test=appeal-status]'));
    });
  }

  test('dispatch → sign-for → reply → return visit → close', { timeout: 300_000 }, async () => {
    const { appealNo, trackingCode } = await withPage(browser, server.baseURL, 'workflow-submit', (page) =>
      submitAppeal(page, {
        category: 'gongre',
        text: `暖气片不热，家里只有13度。${marker('wf')}`,
        name: '钱暖气',
        phone: '13600136000',
      }),
    );

    await act('zjj.handler', appealNo, 'return', async (box) => {
      await box.locator('select[name=reason]').selectOption('wrong_place');
      await box.locator('textarea[name=text]').fill('该小区由城市管理局负责供热');
    });
    assert.equal(await status('dispatcher1', appealNo), '已退单');

    await act('dispatcher1', appealNo, 'dispatch', async (box) => {
      const zjj = await box
        .locator('select[name=lead] option')
        .evaluateAll((opts) => opts.find((o) => o.textContent.includes('住房和城乡建设局'))?.value);
      assert.ok(zjj, 'the housing bureau is offered');
      await box.locator('select[name=lead]').selectOption(zjj);
    });
    assert.equal(await status('zjj.handler', appealNo), '待签收');

    await act('zjj.handler', appealNo, 'sign_for');
    assert.equal(await status('zjj.handler', appealNo), '办理中');

    await act('zjj.handler', appealNo, 'reply', async (box) => {
      await box.locator('textarea[name=text]').fill('已更换阀门，室温恢复到20度');
    });
    assert.equal(await status('callcenter1', appealNo), '待回访');

    await act('callcenter1', appealNo, 'return_visit', async (box) => {
      await box.locator('[data-test=rating-satisfied]').check();
      await box.locator('[data-test=solved-solved]').check();
      await box.locator('textarea[name=text]').fill('群众满意');
    });
    assert.equal(await status('callcenter1', appealNo), '已办结');

    await withPage(browser, server.baseURL, 'workflow-track', async (page) => {
      await page.goto(`/track/${trackingCode}`);
      assert.equal(await textOf(page.locator('[data-test=status]')), '已办结');
      const html = await page.content();
      assert.ok(html.includes('已更换阀门'), 'the reply is shown to the citizen');
      assert.ok(!html.includes('该小区由城市管理局负责供热'), 'the return note is internal');
      assert.ok(!html.includes('钱暖气') && !html.includes('13600136000'));
      const steps = await page.locator('[data-test=timeline-item]').count();
      assert.ok(steps >= 6, `public steps on the timeline: ${steps}`);
    });
  });

  test('the citizen rates the answer, the unit contests, a supervisor rules', { timeout: 300_000 }, async () => {
    const { appealNo, trackingCode } = await withPage(browser, server.baseURL, 'verdict-submit', (page) =>
      submitAppeal(page, {
        category: 'gongre',
        text: `单元楼暖气一直不热。${marker('vd')}`,
        name: '孙评价',
        phone: '13600136001',
      }),
    );
    await act('zjj.handler', appealNo, 'sign_for');
    await act('zjj.handler', appealNo, 'reply', async (box) => {
      await box.locator('textarea[name=text]').fill('已对管网排气，室温恢复到19度');
    });

    // The citizen finds the verdict link on the track page and answers once.
    await withPage(browser, server.baseURL, 'verdict-give', async (page) => {
      await page.goto(`/track/${trackingCode}`);
      await Promise.all([
        page.waitForURL((u) => u.pathname === `/track/${trackingCode}/verdict`),
        page.locator('[data-test=verdict-open] a').click(),
      ]);
      assert.ok((await textOf(page.locator('[data-test=verdict-reply]'))).includes('已对管网排气'));
      await page.locator('[data-test=rating-unsatisfied]').check();
      await page.locator('[data-test=solved-unsolved]').check();
      await page.locator('textarea[name=note]').fill('还是只有15度');
      await Promise.all([
        page.waitForURL((u) => u.pathname === `/track/${trackingCode}`),
        page.locator('[data-test=give-verdict]').click(),
      ]);
      await page.locator('[data-test=verdict-thanks]').waitFor();
      assert.equal(await page.locator('[data-test=verdict-open]').count(), 0, 'once per answer');
    });
    assert.equal(await status('zjj.handler', appealNo), '办理中', 'an unsatisfied verdict sends it back');

    await act('zjj.handler', appealNo, 'contest', async (box) => {
      await box.locator('textarea[name=text]').fill('经测温室温已达标，群众要求超出供热标准');
    });
    await act('supervisor1', appealNo, 'rule_contest', async (box) => {
      await box.locator('[data-test=ruling]').selectOption('rejected');
      await box.locator('textarea[name=text]').fill('经回访核实，室温确实不达标');
    });
    await withPage(browser, server.baseURL, 'verdict-record', async (page) => {
      await staffLoginOk(page, 'supervisor1');
      await page.goto(`/staff/appeals/${appealNo}`);
      const html = await page.content();
      assert.ok(html.includes('承办单位对评价提出异议') && html.includes('异议不成立'), 'both stay on record');
      await page.goto(`/track/${trackingCode}`);
      assert.ok(!(await page.content()).includes('异议'), 'neither is public');
    });
  });
});
