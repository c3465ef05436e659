/** A delivery failing for 24 h is dead-lettered, and the lane moves on. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSandboxInstance, databaseKinds, startTestApp } from '../../../support/app.js';
import { startReceiver } from '../../../support/fixtures/webhook-receiver.js';

const kinds = await databaseKinds();

for (const db of kinds) {
  describe(`dead letters (${db})`, () => {
    it('marks a delivery failed 24 h after its first attempt and delivers the next event', async () => {
      let offset = 0;
      const t = await startTestApp({ db, now: () => Date.now() + offset, config: { webhookRetryBaseMs: 20 } });
      const rx = await startReceiver();
      try {
        rx.respond(500);
        const inst = await createSandboxInstance(t);
        const sub = (await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: rx.url, instances: [inst.id], events: ['group.*'] } })).json();
        const created = await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: { name: 'Dead', participants: ['+15554440001'] } });
        await t.request({
          method: 'POST',
          url: `/api/instances/${inst.id}/groups/${encodeURIComponent(created.json().id)}/participants`,
          payload: { participants: ['+15554440002'] },
        });
        const log = ((await t.request({ method: 'GET', url: `/api/instances/${inst.id}/events` })).json().events as { id: string; type: string }[]).filter((e) =>
          e.type.startsWith('group.'),
        );
        assert.equal(log.length, 2);

        await rx.waitFor((r) => r.length >= 2);
        assert.ok(
          rx.received.every((r) => r.headers['webhook-id'] === log[0]!.id),
          'the second event waits behind the first',
        );
        // The first event keeps failing; the second would be accepted.
        rx.respond((r) => (r.headers['webhook-id'] === log[1]!.id ? 200 : 500));
        offset += 25 * 60 * 60 * 1000;
        t.core.webhookWorker.wake();
        await rx.waitFor((r) => r.some((x) => x.headers['webhook-id'] === log[1]!.id && x.status === 200));
        await t.core.webhookWorker.idle();

        const failed = (await t.request({ method: 'GET', url: `/api/webhooks/${sub.id}/deliveries?status=failed` })).json().deliveries;
        assert.equal(failed.length, 1);
        assert.equal(failed[0].eventId, log[0]!.id);
        assert.ok(failed[0].attempts >= 2);
        assert.equal(failed[0].nextAttemptAt, null);
        const delivered = (await t.request({ method: 'GET', url: `/api/webhooks/${sub.id}/deliveries?status=delivered` })).json().deliveries;
        assert.deepEqual(
          delivered.map((d: { eventId: string }) => d.eventId),
          [log[1]!.id],
        );
        // The dead letter can be sent again by hand.
        rx.respond(200);
        const retry = await t.request({ method: 'POST', url: `/api/webhooks/${sub.id}/deliveries/${failed[0].id}/retry` });
        assert.equal(retry.statusCode, 202);
        await rx.waitFor((r) => r.filter((x) => x.headers['webhook-id'] === log[0]!.id && x.status === 200).length === 1);
      } finally {
        await t.close();
        await rx.close();
      }
    });
  });
}
