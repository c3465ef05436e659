/**
 * The dashboard end to end in a real browser: sign in, create a sandbox instance, create a group
 * (one number's privacy refuses the add), promote, revoke the invite link, and watch the matching
 * events arrive in the live panel.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ADMIN_KEY, createSandboxInstance, startTestApp, type TestApp } from '../support/app.js';
import { browserSkipReason, ensureDashboardBuilt, launchBrowser, screenshot, type Browser } from '../support/browser.js';

// Globals of the page, for the functions evaluated in the browser (tests compile without the DOM library).
declare const document: {
  querySelector(selector: string): { textContent: string | null; scrollTo(x: number, y: number): void } | null;
  querySelectorAll(selector: string): { forEach(fn: (el: { remove(): void }) => void): void };
};
declare const sessionStorage: { getItem(key: string): string | null };
declare const localStorage: { length: number };

const skip = browserSkipReason();

const ALICE = '+15550100001';
const BOB = '+15550100002';
const PRIVATE = '+15550100003';
const NEWCOMER = '+15550100004';
const UNREGISTERED = '+15550100005';

describe('dashboard in a browser', { skip, timeout: 90_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let origin: string;

  before(async () => {
    ensureDashboardBuilt();
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('sign in, create an instance and a group, promote, revoke the link, see the events live', async () => {
    const { page } = browser;

    // Seeded through the API: this number's privacy refuses to be added by strangers.
    const seeded = await t.request({ method: 'PUT', url: `/api/sandbox/accounts/${encodeURIComponent(PRIVATE)}`, payload: { registered: true, groupAddPrivacy: 'nobody' } });
    assert.equal(seeded.statusCode, 200);
    const unregistered = await t.request({
      method: 'PUT',
      url: `/api/sandbox/accounts/${encodeURIComponent(UNREGISTERED)}`,
      payload: { registered: false, groupAddPrivacy: 'everyone' },
    });
    assert.equal(unregistered.statusCode, 200);

    // `/` redirects to the dashboard, which asks for a key; a wrong one gets a readable refusal.
    await page.goto(`${origin}/`);
    assert.equal(new URL(page.url()).pathname, '/dashboard/');
    await page.fill('#api-key', 'not-a-key');
    await page.click('button:has-text("Sign in")');
    assert.equal((await page.locator('.signin .notice-error').innerText()).trim(), 'Invalid API key.');
    await page.fill('#api-key', ADMIN_KEY);
    await page.click('button:has-text("Sign in")');
    await page.locator('#instances-table').waitFor();
    await screenshot(page, 'instances-empty');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('groupgate.apiKey')), ADMIN_KEY);
    assert.equal(await page.evaluate(() => localStorage.length), 0);

    // Create a sandbox instance: its token is shown once, with a copy button.
    await page.fill('#create-instance input[name="name"]', 'Support line');
    await page.selectOption('#create-instance select[name="engine"]', 'sandbox');
    await page.click('#create-instance button[type="submit"]');
    const token = (await page.locator('.modal [data-secret]').innerText()).trim();
    assert.match(token, /\S{16,}/);
    await page.locator('.modal button:has-text("Copy")').waitFor();
    await page.click('.modal button:has-text("Done")');
    await page.waitForURL(/#\/instances\/[^/]+$/);
    const instanceId = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
    const listed = (await t.request({ method: 'GET', url: `/api/instances/${instanceId}` })).json() as { name: string; engine: string };
    assert.deepEqual([listed.name, listed.engine], ['Support line', 'sandbox']);
    await page.locator('h1 .badge-connected').waitFor();

    // Create a group with three numbers: two are added, the private one gets an invite.
    await page.click('.toolbar a:has-text("Groups")');
    await page.fill('#create-group input[name="group-name"]', 'Customers Q3');
    // Numbers as people write them: spaces and dashes inside a number do not split it.
    await page.fill('#create-group textarea[name="group-participants"]', `+1 555 010-0001\n${BOB}, ${PRIVATE}`);
    await page.click('#create-group button[type="submit"]');
    await page.locator('#outcomes').waitFor();
    const outcomes = await page.locator('#outcomes tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-participant'), r.getAttribute('data-status')]));
    assert.deepEqual(outcomes, [
      ['+1 555 010-0001', 'added'],
      [BOB, 'added'],
      [PRIVATE, 'invited'],
    ]);
    assert.equal((await page.locator(`#outcomes tr[data-participant="${PRIVATE}"] .badge`).innerText()).trim(), 'invited');
    assert.equal((await page.locator('#group-name').innerText()).trim(), 'Customers Q3');
    const groupId = decodeURIComponent(new URL(page.url()).hash.split('/')[4]);

    // Promote Alice from her row.
    await page.click(`#participants tr[data-phone="${ALICE}"] button:has-text("Promote")`);
    await page.locator(`#participants tr[data-phone="${ALICE}"][data-role="admin"]`).waitFor();

    // Show the invite link, then revoke it after confirming.
    await page.click('#invite-link button:has-text("Show invite link")');
    const oldLink = (await page.locator('#invite-link .invite-value').innerText()).trim();
    assert.match(oldLink, /^https:\/\/chat\.whatsapp\.com\/\S+$/);
    await page.click('#invite-link button:has-text("Revoke")');
    await page.click('.modal button:has-text("Revoke link")');
    await page.waitForFunction((old) => document.querySelector('#invite-link .invite-value')?.textContent?.trim() !== old, oldLink);
    const newLink = (await page.locator('#invite-link .invite-value').innerText()).trim();
    assert.notEqual(newLink, oldLink);

    // The live panel shows the events of each step.
    const panel = page.locator('aside.events');
    await panel.locator('[data-type="group.created"]').first().waitFor();
    await panel.locator('[data-type="group.participants.promoted"]').first().waitFor();
    await panel.locator('[data-type="group.invite_code.changed"]').first().waitFor();
    assert.match(await panel.locator('[data-type="group.participants.promoted"] .event-summary').first().innerText(), new RegExp(`promoted \\${ALICE}`));
    assert.match(await panel.locator('[data-type="group.created"] .event-summary').first().innerText(), /Customers Q3/);

    // An API error is shown as the server's sentence, not as JSON.
    await page.fill('#add-participants textarea', 'not-a-number');
    await page.click('#add-participants button[type="submit"]');
    const toastText = (await page.locator('.toast-error').first().innerText()).replace('×', '').trim();
    assert.ok(toastText.length > 0 && !toastText.startsWith('{'), toastText);
    await page.click('.toast-error .toast-close');

    // What the browser showed is what the server stored.
    const stored = (await t.request({ method: 'GET', url: `/api/instances/${instanceId}/groups/${encodeURIComponent(groupId)}` })).json() as {
      participants: { phone: string; role: string }[];
    };
    assert.equal(stored.participants.find((p) => p.phone === ALICE)?.role, 'admin');
    const invite = (await t.request({ method: 'GET', url: `/api/instances/${instanceId}/groups/${encodeURIComponent(groupId)}/invite-code` })).json() as { link: string };
    assert.equal(invite.link, newLink);

    // Adding more numbers at once reports each one: new, already there, not on WhatsApp.
    await page.fill('#add-participants textarea', `${NEWCOMER}\n${BOB}\n${UNREGISTERED}`);
    await page.click('#add-participants button[type="submit"]');
    await page.locator(`#outcomes tr[data-participant="${UNREGISTERED}"]`).waitFor();
    const added = await page.locator('#outcomes tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-participant'), r.getAttribute('data-status')]));
    assert.deepEqual(added, [
      [NEWCOMER, 'added'],
      [BOB, 'already_member'],
      [UNREGISTERED, 'not_on_whatsapp'],
    ]);
    await panel.locator('[data-type="group.participants.added"]').first().waitFor();

    await page.evaluate(() => {
      document.querySelectorAll('.toast').forEach((el) => el.remove());
      document.querySelector('main')?.scrollTo(0, 0);
    });
    // The README's picture (docs/img/groups.png) is this screenshot, copied by hand when the page changes.
    await screenshot(page, 'group');
    await page.click('a:has-text("← Groups")');
    await page.locator(`#groups-table tr[data-group="${groupId}"]`).waitFor();
    // The settings column says how the group is set, whatever the settings.
    assert.match(await page.locator(`#groups-table tr[data-group="${groupId}"] .settings-cell`).innerText(), /admins edit/);
    await screenshot(page, 'groups-list');
    assert.deepEqual(browser.pageErrors, []);
  });

  test('the live panel polls the event log when the server has no event stream', async () => {
    const instance = await createSandboxInstance(t, { name: 'Polled line' });
    const page = await browser.context.newPage();
    try {
      await page.route('**/api/events/stream', (route) =>
        route.fulfill({
          status: 404,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'not_found', message: 'no route GET /api/events/stream' }, requestId: 'req-test' }),
        }),
      );
      await page.goto(`${origin}/dashboard/`);
      await page.fill('#api-key', ADMIN_KEY);
      await page.click('button:has-text("Sign in")');
      await page.locator('.events-mode[data-mode="poll"][data-synced="true"]').waitFor();

      const created = await t.request({ method: 'POST', url: `/api/instances/${instance.id}/groups`, payload: { name: 'Polled group', participants: [ALICE] } });
      assert.equal(created.statusCode, 201);
      const event = page.locator(`aside.events [data-type="group.created"][data-instance="${instance.id}"]`);
      await event.waitFor();
      assert.match(await event.locator('.event-summary').innerText(), /Polled group/);
      assert.equal((await event.locator('.event-source').innerText()).trim(), 'Polled line');
      // What happened before the panel opened is history, not live news.
      assert.equal(await page.locator(`aside.events [data-type="instance.status"][data-instance="${instance.id}"]`).count(), 0);
    } finally {
      await page.close();
    }
  });
});
