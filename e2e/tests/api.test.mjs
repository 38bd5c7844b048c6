// An integrator's journey: an administrator makes an API token in the console, the
// integrator reads the API's docs page, registers an appeal with the token and finds it
// in the right inbox; the administrator revokes the token and it stops at once.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, marker, staffLoginOk, textOf, withPage } from '../helpers.mjs';
import { startServer } from '../server.mjs';

describe('the JSON API, from the console to an integrator', { timeout: 10 * 60_000 }, () => {
  let server;
  let browser;

  before(
    async () => {
      server = await startServer({ label: 'api' });
      browser = await launchBrowser();
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  test('token, docs, an appeal in, revoked', { timeout: 300_000 }, async () => {
    const api = (path, token, init = {}) =>
      fetch(`${server.baseURL}/api/v1${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers || {}) },
      });

    // The administrator makes a token for the call centre, shown once.
    const token = await withPage(browser, server.baseURL, 'api-token', async (page) => {
      await staffLoginOk(page, 'admin');
      await page.goto('/staff/admin/tokens');
      await page.locator('[data-test=token-user]').fill('callcenter1');
      await page.locator('[data-test=token-name]').fill('热线交换机');
      await page.locator('[data-test=token-days]').fill('30');
      await Promise.all([page.waitForLoadState('load'), page.locator('[data-test=token-submit]').click()]);
      const shown = await textOf(page.locator('[data-test=new-token]'));
      assert.match(shown, /^mst_[0-9a-f]{64}$/);
      await page.goto('/staff/admin/tokens');
      const list = await textOf(page.locator('[data-test=token-list]'));
      assert.ok(list.includes('热线交换机') && list.includes(shown.slice(0, 12)) && !list.includes(shown));
      return shown;
    });

    // The docs page renders the document, from this server alone.
    await withPage(browser, server.baseURL, 'api-docs', async (page) => {
      const outside = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(server.baseURL)) outside.push(r.url());
      });
      await page.goto('/api/docs');
      await page.locator('[data-test=operation]').first().waitFor({ state: 'visible' });
      assert.ok((await page.locator('[data-test=operation]').count()) >= 9);
      assert.match(await textOf(page.locator('[data-test=api-docs]')), /POST \/api\/v1\/appeals/);
      assert.deepEqual(outside, []);
      assert.deepEqual(page.pageErrors, []);
    });

    // The switchboard registers a heating appeal by place names; it lands with the
    // housing bureau, whose handler sees it in the inbox.
    const mark = marker('api');
    const res = await api('/appeals', token, {
      method: 'POST',
      body: JSON.stringify({
        text: `暖气不热，室温十三度。${mark}`,
        category: 'gongre',
        region: (await (await api('/regions', token)).json()).find((r) => r.level === 'village').code,
        channel: 'hotline',
        external_id: mark,
        name: '赵先生',
        phone: '13900139001',
      }),
    });
    assert.equal(res.status, 201);
    const { no } = await res.json();
    const appeal = await (await api(`/appeals/${no}`, token)).json();
    assert.equal(appeal.lead_unit.name, '县住房和城乡建设局');
    assert.equal(appeal.appellant.phone, '139****9001');
    await withPage(browser, server.baseURL, 'api-inbox', async (page) => {
      await staffLoginOk(page, 'zjj.handler');
      await page.goto(`/staff?q=${encodeURIComponent(no)}`);
      await page.locator('[data-test=inbox-row]').filter({ hasText: no }).first().waitFor({ state: 'visible' });
    });

    // Revoked in the console: the next call is refused.
    await withPage(browser, server.baseURL, 'api-revoke', async (page) => {
      await staffLoginOk(page, 'admin');
      await page.goto('/staff/admin/tokens');
      await Promise.all([page.waitForLoadState('load'), page.locator('[data-test=token-revoke]').first().click()]);
      assert.match(await textOf(page.locator('[data-test=token-list]')), /已吊销/);
    });
    const refused = await api('/units', token);
    assert.equal(refused.status, 401);
    assert.equal((await refused.json()).error.code, 'unauthorized');
  });
});
