/** Webhooks end to end: a real receiver on 127.0.0.1, signed deliveries from the durable event log. */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createSandboxInstance, databaseKinds, startTestApp, type TestApp } from '../../support/app.js';
import { startReceiver, type Receiver } from '../../support/fixtures/webhook-receiver.js';

const kinds = await databaseKinds();

interface EventBody {
  id: string;
  seq: number;
  type: string;
  instanceId: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

async function logOf(t: TestApp, instanceId: string, afterSeq = 0): Promise<EventBody[]> {
  const res = await t.request({ method: 'GET', url: `/api/instances/${instanceId}/events?after=${afterSeq}&limit=1000` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().events as EventBody[];
}

async function subscribe(t: TestApp, body: Record<string, unknown>, key?: string) {
  const res = await t.request({ method: 'POST', url: '/api/webhooks', payload: body, key });
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as { id: string; secret: string; instances: string[] | null; url: string };
}

const gid = (id: string) => encodeURIComponent(id);

for (const db of kinds) {
  describe(`webhooks (${db})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ db, config: { webhookRetryBaseMs: 20 } });
    });
    after(() => t.close());
    /** A receiver of this test's own, closed when the test ends. */
    async function receiver(ctx: TestContext): Promise<Receiver> {
      const rx = await startReceiver();
      ctx.after(() => rx.close());
      return rx;
    }

    it('delivers a group life cycle, each event signed and verified with standardwebhooks', async (ctx) => {
      const rx = await receiver(ctx);
      rx.respond(200);
      const inst = await createSandboxInstance(t);
      const startSeq = (await logOf(t, inst.id)).at(-1)?.seq ?? 0;
      const sub = await subscribe(t, { url: rx.url, instances: [inst.id] });
      assert.match(sub.secret, /^whsec_[A-Za-z0-9+/]+=*$/);

      const shown = await t.request({ method: 'GET', url: `/api/webhooks/${sub.id}` });
      assert.equal(shown.statusCode, 200);
      assert.equal('secret' in shown.json(), false);
      assert.deepEqual(shown.json().instances, [inst.id]);

      const created = await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: { name: 'Life', participants: ['+15557770001', '+15557770002'] } });
      assert.equal(created.statusCode, 201, created.body);
      const group = created.json().id as string;
      const base = `/api/instances/${inst.id}/groups/${gid(group)}`;
      assert.equal((await t.request({ method: 'POST', url: `${base}/participants/promote`, payload: { participants: ['+15557770001'] } })).statusCode, 200);
      assert.equal((await t.request({ method: 'DELETE', url: `${base}/participants`, payload: { participants: ['+15557770002'] } })).statusCode, 200);
      assert.equal((await t.request({ method: 'PATCH', url: base, payload: { name: 'Life 2' } })).statusCode, 200);
      assert.equal((await t.request({ method: 'POST', url: `${base}/leave` })).statusCode, 200);

      const log = await logOf(t, inst.id, startSeq);
      assert.deepEqual(
        log.map((e) => e.type).filter((type) => !type.startsWith('operation.')),
        ['group.created', 'group.participants.promoted', 'group.participants.removed', 'group.updated', 'group.left'],
      );
      await rx.waitFor((r) => r.length >= log.length);
      await t.core.webhookWorker.idle();
      const got = rx.verified(sub.secret);
      assert.deepEqual(
        got.map((g) => g.body),
        log,
        'the native body is the event as in the log, in order',
      );
      assert.deepEqual(
        got.map((g) => g.id),
        log.map((e) => e.id),
        'webhook-id is the event id',
      );
      for (const r of rx.received) {
        assert.match(String(r.headers['webhook-signature']), /^v1,/);
        assert.equal(r.headers['content-type'], 'application/json');
      }
      // A wrong secret does not verify.
      assert.throws(() => new Webhook('whsec_' + Buffer.alloc(32, 1).toString('base64')).verify(rx.received[0]!.body, rx.received[0]!.headers as Record<string, string>));

      const deliveries = await t.request({ method: 'GET', url: `/api/webhooks/${sub.id}/deliveries?status=delivered` });
      assert.equal(deliveries.statusCode, 200);
      assert.equal(deliveries.json().deliveries.length, log.length);
      assert.deepEqual(
        deliveries
          .json()
          .deliveries.map((d: { eventId: string; attempts: number; lastStatusCode: number }) => [d.eventId, d.attempts, d.lastStatusCode])
          .reverse(),
        log.map((e) => [e.id, 1, 200]),
      );
      const lag = await t.request({ method: 'GET', url: `/api/webhooks/${sub.id}/lag` });
      assert.deepEqual(lag.json(), { lanes: [{ instanceId: inst.id, lag: 0 }] });
      assert.ok((await t.core.webhooks.lag()).some((l) => l.subscriptionId === sub.id && l.lag === 0));
      // The secret is never logged.
      assert.equal(
        t.logs.some((line) => line.includes(sub.secret)),
        false,
      );
      await t.request({ method: 'DELETE', url: `/api/webhooks/${sub.id}` });
    });

    it('retries a 500 with backoff: everything arrives, in order, duplicates only of retried ids', async (ctx) => {
      const rx = await receiver(ctx);
      rx.respond((_r, i) => (i < 5 ? 500 : 200));
      const inst = await createSandboxInstance(t);
      const sub = await subscribe(t, { url: rx.url, instances: [inst.id], events: ['group.*'] });
      const created = await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: { name: 'Retry', participants: ['+15557771001'] } });
      const base = `/api/instances/${inst.id}/groups/${gid(created.json().id)}`;
      await t.request({ method: 'POST', url: `${base}/participants`, payload: { participants: ['+15557771002'] } });
      await t.request({ method: 'POST', url: `${base}/participants/promote`, payload: { participants: ['+15557771002'] } });
      const log = (await logOf(t, inst.id)).filter((e) => e.type.startsWith('group.'));
      assert.equal(log.length, 3);

      await rx.waitFor((r) => new Set(r.filter((x) => x.status === 200).map((x) => x.headers['webhook-id'])).size >= log.length);
      await t.core.webhookWorker.idle();
      const ids = rx.received.map((r) => String(r.headers['webhook-id']));
      // Order: every request for event k precedes any request for event k+1.
      const firstSeen = [...new Set(ids)];
      assert.deepEqual(
        firstSeen,
        log.map((e) => e.id),
      );
      for (let i = 1; i < ids.length; i++) assert.ok(log.findIndex((e) => e.id === ids[i]) >= log.findIndex((e) => e.id === ids[i - 1]), 'in order');
      assert.deepEqual(
        rx.verified(sub.secret).map((g) => g.id),
        log.map((e) => e.id),
        'each event acknowledged once',
      );
      assert.equal(rx.received.filter((r) => r.status === 500).length, 5);

      const res = await t.request({ method: 'GET', url: `/api/webhooks/${sub.id}/deliveries` });
      const first = res.json().deliveries.find((d: { eventId: string }) => d.eventId === log[0]!.id);
      assert.equal(first.status, 'delivered');
      assert.equal(first.attempts, 6);
      assert.equal(first.lastStatusCode, 200);
      assert.equal(first.nextAttemptAt, null);
    });

    it('replays from an event, retries a delivery, and sends a test ping', async (ctx) => {
      const rx = await receiver(ctx);
      rx.respond(200);
      const inst = await createSandboxInstance(t);
      const sub = await subscribe(t, { url: rx.url, instances: [inst.id] });
      await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: { name: 'Replay', participants: ['+15557772001'] } });
      await t.request({ method: 'POST', url: `/api/instances/${inst.id}/messages`, payload: { chatId: '+15557772001', text: 'hello' } });
      const log = await logOf(t, inst.id);
      const fresh = log.filter((e) => e.seq > 1);
      assert.equal(log[0]!.type, 'instance.status');
      await rx.waitFor((r) => r.length >= fresh.length);
      await t.core.webhookWorker.idle();
      assert.deepEqual(
        rx.verified(sub.secret).map((g) => g.id),
        fresh.map((e) => e.id),
        'a new subscription starts after the events already logged',
      );

      const replay = await t.request({ method: 'POST', url: `/api/webhooks/${sub.id}/replay`, payload: { from: log[0]!.id } });
      assert.equal(replay.statusCode, 202, replay.body);
      assert.deepEqual(replay.json(), { instances: [{ instanceId: inst.id, fromSeq: 1 }], cancelled: 0 });
      await rx.waitFor((r) => r.length >= fresh.length + log.length);
      await t.core.webhookWorker.idle();
      assert.deepEqual(
        rx
          .verified(sub.secret)
          .slice(fresh.length)
          .map((g) => g.id),
        log.map((e) => e.id),
      );

      const list = (await t.request({ method: 'GET', url: `/api/webhooks/${sub.id}/deliveries?limit=1` })).json().deliveries;
      const retried = await t.request({ method: 'POST', url: `/api/webhooks/${sub.id}/deliveries/${list[0].id}/retry` });
      assert.equal(retried.statusCode, 202);
      assert.equal(retried.json().status, 'pending');
      await rx.waitFor((r) => r.length >= fresh.length + log.length + 1);
      assert.equal(rx.received.at(-1)!.headers['webhook-id'], list[0].eventId);

      const ping = await t.request({ method: 'POST', url: `/api/webhooks/${sub.id}/test` });
      assert.equal(ping.statusCode, 200);
      assert.equal(ping.json().ok, true);
      assert.equal(ping.json().statusCode, 200);
      const last = rx.verified(sub.secret).at(-1)!;
      assert.equal(last.body.type, 'webhook.test');

      const badFrom = await t.request({ method: 'POST', url: `/api/webhooks/${sub.id}/replay`, payload: { from: 'yesterday' } });
      assert.equal(badFrom.statusCode, 400);
      const noEvent = await t.request({ method: 'POST', url: `/api/webhooks/${sub.id}/replay`, payload: { from: '01ARZ3NDEKTSV4RRFFQ69G5FAV' } });
      assert.equal(noEvent.statusCode, 404);
      assert.equal(noEvent.json().error.code, 'event_not_found');
      const noDelivery = await t.request({ method: 'POST', url: `/api/webhooks/${sub.id}/deliveries/nope/retry` });
      assert.equal(noDelivery.json().error.code, 'delivery_not_found');
    });

    it('formats z-api callbacks and skips events the format has no shape for', async (ctx) => {
      const rx = await receiver(ctx);
      rx.respond(200);
      const inst = await createSandboxInstance(t);
      const sub = await subscribe(t, { url: rx.url, instances: [inst.id], format: 'z-api' });
      const created = await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: { name: 'Zed', participants: ['+15557773001'] } });
      const groupDigits = String(created.json().id).split('@')[0];
      await t.request({ method: 'POST', url: `/api/instances/${inst.id}/messages`, payload: { chatId: '+15557773001', text: 'not a group event' } });
      await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups/${gid(created.json().id)}/participants`, payload: { participants: ['+15557773002'] } });
      // Lanes run in log order: once the add arrived, the message before it was handled.
      await rx.waitFor((r) => r.length >= 2);
      await t.core.webhookWorker.idle();
      const body = rx.verified(sub.secret)[0]!.body;
      assert.equal(body.type, 'ReceivedCallback');
      assert.equal(body.notification, 'GROUP_CREATE');
      assert.equal(body.phone, `${groupDigits}-group`);
      assert.equal(rx.verified(sub.secret)[1]!.body.notification, 'GROUP_PARTICIPANT_ADD');
      const skipped = (await t.request({ method: 'GET', url: `/api/webhooks/${sub.id}/deliveries?status=skipped` })).json().deliveries;
      // The message event has no z-api group shape: recorded as skipped, never sent.
      assert.ok(skipped.some((d: { eventType: string }) => d.eventType === 'message.sent'));
      assert.ok(skipped.every((d: { eventType: string }) => !d.eventType.startsWith('group.participants.added')));
      assert.equal(rx.received.length, 2);
    });

    it('keeps a provider subscription in step with the dialect settings (Green API token as Authorization)', async (ctx) => {
      const rx = await receiver(ctx);
      rx.respond(200);
      const inst = await createSandboxInstance(t);
      const view = await t.core.webhooks.upsertProviderSubscription(inst.id, 'green-api', { url: rx.url, token: 'tok-123' });
      assert.ok(view);
      assert.equal(view.managedBy, 'green-api');
      assert.equal(view.format, 'green-api');
      const again = await t.core.webhooks.upsertProviderSubscription(inst.id, 'green-api', { url: `${rx.url}?v=2`, token: 'tok-456' });
      assert.equal(again!.id, view.id, 'the same subscription is updated');
      // Group changes are Green API notifications only through groupgate's opt-in extension.
      await t.core.instances.putSetting(inst.id, 'greenApi', { groupgateGroupNotifications: 'yes' });
      await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: { name: 'Green', participants: ['+15557774001'] } });
      await rx.waitFor((r) => r.length >= 1);
      assert.equal(rx.received[0]!.headers.authorization, 'Bearer tok-456');
      assert.equal(JSON.parse(rx.received[0]!.body).typeWebhook, 'incomingMessageReceived');
      assert.equal(await t.core.webhooks.upsertProviderSubscription(inst.id, 'green-api', { url: '' }), null);
      const gone = await t.request({ method: 'GET', url: `/api/webhooks/${view.id}` });
      assert.equal(gone.statusCode, 404);
    });
  });
}
