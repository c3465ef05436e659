/** Z-API webhook settings: update-webhook-received makes a z-api subscription that delivers ReceivedCallback bodies. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toZapiGroupPhone } from '../../../src/dialects/z-api/wire-format.js';
import { startReceiver, type Receiver } from '../../support/fixtures/webhook-receiver.js';
import { createUnpacedInstance, startTestApp, type TestApp } from '../../support/app.js';

describe('z-api webhook settings', () => {
  let t: TestApp;
  let receiver: Receiver;
  let a: Awaited<ReturnType<typeof createUnpacedInstance>>;
  const zapi = (endpoint: string, payload: unknown) => t.request({ method: 'PUT', url: `/instances/${a.id}/token/${a.token}/${endpoint}`, payload: payload as object, key: null });

  before(async () => {
    t = await startTestApp({ config: { webhookRetryBaseMs: 10 } });
    receiver = await startReceiver();
    a = await createUnpacedInstance(t);
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  it('update-webhook-received subscribes; group changes arrive as ReceivedCallback; "" unsubscribes', async () => {
    const set = await zapi('update-webhook-received', { value: receiver.url });
    assert.deepEqual([set.statusCode, set.json()], [200, { value: true }]);
    const subs = (await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks as { url: string; format: string; instances: string[] }[];
    assert.deepEqual(
      subs.filter((w) => w.format === 'z-api').map((w) => [w.url, w.instances]),
      [[receiver.url, [a.id]]],
    );

    const created = await t.request({ method: 'POST', url: `/api/instances/${a.id}/groups`, payload: { name: 'Hooked', participants: ['+5511955551111'] } });
    assert.equal(created.statusCode, 201, created.body);
    const phone = toZapiGroupPhone(created.json().id);
    await receiver.waitFor((r) => r.some((x) => x.body.includes('GROUP_CREATE')));
    const body = JSON.parse(receiver.received.find((x) => x.body.includes('GROUP_CREATE'))!.body);
    assert.equal(body.type, 'ReceivedCallback');
    assert.equal(body.phone, phone);
    assert.equal(body.isGroup, true);
    assert.equal(body.notification, 'GROUP_CREATE');

    const cleared = await zapi('update-webhook-received', { value: '' });
    assert.equal(cleared.statusCode, 200);
    const after = (await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks as { format: string }[];
    assert.equal(after.filter((w) => w.format === 'z-api').length, 0);
  });

  it('update-every-webhooks sets every kind; a link-local URL is refused and nothing is subscribed', async () => {
    const refused = await zapi('update-every-webhooks', { value: 'http://169.254.169.254/x' });
    assert.ok(refused.statusCode >= 400 && refused.statusCode < 500, refused.body);
    assert.equal(((await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks as unknown[]).length, 0);
    const all = await zapi('update-every-webhooks', { value: receiver.url, notifySentByMe: true });
    assert.deepEqual(all.json(), { value: true });
    const subs = (await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks as { format: string }[];
    assert.equal(subs.filter((w) => w.format === 'z-api').length, 6);
    const wrongMethod = await t.request({ method: 'POST', url: `/instances/${a.id}/token/${a.token}/update-webhook-received`, payload: { value: '' }, key: null });
    assert.equal(wrongMethod.statusCode, 405);
  });
});
