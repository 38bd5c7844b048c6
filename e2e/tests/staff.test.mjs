// Staff console journeys: a handler sees and opens an appeal routed to their
// unit, another unit's handler does not, bad logins are refused, logout works.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  launchBrowser,
  marker,
  staffLogin,
  staffLoginOk,
  submitAppeal,
  textOf,
  withPage,
} from '../helpers.mjs';
import { startServer } from '../server.mjs';

const TEST_TIMEOUT = 120_000;
const PHONE = '13900139000';
const MASKED_PHONE = '139****9000';

describe('staff console', { timeout: 20 * 60_000 }, () => {
  let server;
  let browser;

  before(
    async () => {
      server = await startServer({ label: 'staff' });
      browser = await launchBrowser();
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  const run = (name, fn) =>
    test(name, { timeout: TEST_TIMEOUT }, () => withPage(browser, server.baseURL, `staff-${name}`, fn));

  // The heating appeal that the journeys share, submitted once through the portal.
  let appealPromise;
  const heatingAppeal = () => {
    appealPromise ??= withPage(browser, server.baseURL, 'staff-submit-appeal', (page) =>
      submitAppeal(page, {
        category: 'gongre',
        text: `楼道暖气管漏水，请尽快维修。标记 ${marker('staff')}`,
        name: '赵供热',
        phone: PHONE,
      }),
    );
    return appealPromise;
  };

  const inboxRowsWith = (page, appealNo) =>
    page.locator('[data-test=inbox-row]').filter({ hasText: appealNo });

  run('housing bureau handler finds and opens the heating appeal', async (page) => {
    const { appealNo } = await heatingAppeal();

    await staffLoginOk(page, 'zjj.handler');
    assert.match(await textOf(page.locator('[data-test=unit-name]')), /住房和城乡建设局/);

    await page.goto(`/staff?q=${encodeURIComponent(appealNo)}`);
    const row = inboxRowsWith(page, appealNo).first();
    await row.waitFor({ state: 'visible' });

    // The row links to the appeal: either the row is the link or it contains one.
    const href = `/staff/appeals/${appealNo}`;
    const link = page
      .locator(`[data-test=inbox-row] a[href$="${href}"]`)
      .or(page.locator(`a[data-test=inbox-row][href$="${href}"]`))
      .first();
    await Promise.all([
      page.waitForURL((u) => decodeURIComponent(u.pathname) === href),
      link.click(),
    ]);

    assert.equal(await textOf(page.locator('[data-test=appeal-no]')), appealNo);
    await page.locator('[data-test=timeline] [data-test=timeline-item]').first().waitFor({ state: 'visible' });
    assert.ok((await page.locator('[data-test=timeline-item]').count()) >= 1, 'timeline has items');
    assert.equal(await textOf(page.locator('[data-test=appellant-phone]')), MASKED_PHONE);
    assert.ok(!(await page.content()).includes(PHONE), 'the full phone number must not be in the page');
  });

  run('water bureau handler cannot see the heating appeal', async (page) => {
    const { appealNo } = await heatingAppeal();

    await staffLoginOk(page, 'slj.handler');
    assert.match(await textOf(page.locator('[data-test=unit-name]')), /水利局/);

    await page.goto(`/staff?q=${encodeURIComponent(appealNo)}`);
    await page.locator('[data-test=unit-name]').waitFor({ state: 'visible' });
    assert.equal(await inboxRowsWith(page, appealNo).count(), 0, 'no inbox row for another unit');

    const res = await page.goto(`/staff/appeals/${appealNo}`);
    assert.ok(
      [403, 404].includes(res.status()),
      `another unit's appeal must be refused, got HTTP ${res.status()}`,
    );
    assert.ok(!(await page.content()).includes(MASKED_PHONE), 'refused page shows no appellant data');
  });

  run('administrator sees the heating appeal', async (page) => {
    const { appealNo } = await heatingAppeal();

    await staffLoginOk(page, 'admin');
    await page.goto(`/staff?q=${encodeURIComponent(appealNo)}`);
    await inboxRowsWith(page, appealNo).first().waitFor({ state: 'visible' });

    const res = await page.goto(`/staff/appeals/${appealNo}`);
    assert.equal(res.status(), 200);
    assert.equal(await textOf(page.locator('[data-test=appeal-no]')), appealNo);
  });

  run('wrong password shows a login error', async (page) => {
    await staffLogin(page, 'zjj.handler', 'wrong-password');
    await page.locator('[data-test=login-error]').waitFor({ state: 'visible' });
    assert.equal(await page.locator('[data-test=unit-name]').count(), 0, 'not logged in');
  });

  run('logout ends the session', async (page) => {
    await staffLoginOk(page, 'zjj.handler');
    await page.locator('[data-test=logout-button]').click();
    // The inbox goes away once the logout request has been answered.
    await page.locator('[data-test=unit-name]').waitFor({ state: 'detached' });

    const res = await page.goto('/staff');
    const path = new URL(page.url()).pathname;
    assert.ok(
      path.startsWith('/staff/login') || [401, 403].includes(res.status()),
      `after logout /staff must ask for a login (landed on ${path}, HTTP ${res.status()})`,
    );
    assert.equal(await page.locator('[data-test=unit-name]').count(), 0, 'inbox not shown');
  });

  // A joint meeting: a leader calls it with member units, records a decision for the
  // housing bureau; the bureau's handler closes it with a result.
  let meetingURL;
  run('a leader calls a joint meeting and records an action item', async (page) => {
    await staffLoginOk(page, 'leader1');
    await page.locator('[data-test=nav-meetings]').click();
    const form = page.locator('[data-test=meeting-create]');
    await form.locator('input[name=title]').fill(`供暖问题联席会议 ${marker('meeting')}`);
    await form.locator('select[name=members]').selectOption([{ label: '县住房和城乡建设局' }, { label: '县水利局' }]);
    await Promise.all([
      page.waitForURL((u) => /^\/staff\/meetings\/\d+$/.test(u.pathname)),
      page.locator('[data-test=meeting-create-submit]').click(),
    ]);
    meetingURL = new URL(page.url()).pathname;
    assert.match(await textOf(page.locator('[data-test=meeting-members]')), /住房和城乡建设局/);
    await page.locator('input[name=decision]').fill('住建局督促热力公司三日内排查管网');
    await page.locator('select[name=owner]').selectOption({ label: '县住房和城乡建设局' });
    await page.locator('input[name=days]').fill('3');
    await Promise.all([
      page.waitForURL((u) => u.search.includes('done=1')),
      page.locator('[data-test=action-add]').click(),
    ]);
    await page.locator('[data-test=action-item]').first().waitFor({ state: 'visible' });
    assert.match(await textOf(page.locator('[data-test=action-item]').first()), /排查管网/);
  });

  run('the owner unit closes its action item with a result', async (page) => {
    assert.ok(meetingURL, 'the meeting was called');
    await staffLoginOk(page, 'zjj.handler');
    await page.goto(meetingURL);
    const item = page.locator('[data-test=action-item]').first();
    await item.locator('input[name=result]').fill('已排查管网，更换阀门三处');
    await Promise.all([
      page.waitForURL((u) => u.search.includes('done=1')),
      item.locator('[data-test=action-close]').click(),
    ]);
    assert.match(await textOf(page.locator('[data-test=action-item]').first()), /更换阀门三处/);
    assert.equal(await page.locator('[data-test=action-close]').count(), 0, 'nothing left to close');
  });
});
