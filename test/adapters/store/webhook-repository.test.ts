/** The WebhookRepository port and the monitoring counts (stats) on SQLite and PostgreSQL. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKyselyStore } from '../../../src/adapters/store/kysely/index.js';
import { createStatsRepository } from '../../../src/adapters/store/kysely/stats.js';
import { createWebhookRepository } from '../../../src/adapters/store/kysely/webhooks.js';
import type { WebhookRepository } from '../../../src/core/ports/webhook-repository.js';
import type { WebhookDelivery, WebhookSubscription } from '../../../src/core/webhooks/webhook-model.js';
import { databaseKinds } from '../../support/app.js';
import { useDatabase } from '../../support/database.js';

const at = (s: number) => new Date(Date.UTC(2026, 2, 1, 10, 0, s)).toISOString();

function subscription(id: string, overrides: Partial<WebhookSubscription> = {}): WebhookSubscription {
  return {
    id,
    url: `https://hooks.example.com/${id}`,
    instances: ['inst-a'],
    events: null,
    format: 'native',
    secret: 'whsec_dGVzdA==',
    secretRevealedAt: null,
    enabled: true,
    provider: null,
    providerSlot: null,
    authorization: null,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  };
}

function delivery(id: string, subscriptionId: string, overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return {
    id,
    subscriptionId,
    instanceId: 'inst-a',
    eventId: `ev-${id}`,
    eventSeq: 1,
    eventType: 'group.updated',
    status: 'pending',
    attempts: 0,
    firstAttemptAt: null,
    lastAttemptAt: null,
    nextAttemptAt: at(10),
    lastStatusCode: null,
    lastError: null,
    createdAt: at(1),
    updatedAt: at(1),
    ...overrides,
  };
}

for (const kind of await databaseKinds()) {
  describe(`webhook repository on ${kind}`, () => {
    const place = useDatabase(kind, 'hooks');
    const repo = (): WebhookRepository => createWebhookRepository(place.handle.db);

    it('subscriptions: insert with cursors, get, list, update, missing ones are undefined', async () => {
      const s = subscription('sub-1', { instances: ['inst-a', 'inst-b'], events: ['group.updated'] });
      await repo().insertSubscription(s, [
        { subscriptionId: 'sub-1', instanceId: 'inst-a', afterSeq: 3 },
        { subscriptionId: 'sub-1', instanceId: 'inst-b', afterSeq: 0 },
      ]);
      assert.deepEqual(await repo().getSubscription('sub-1'), s);
      assert.equal(await repo().getSubscription('sub-missing'), undefined);
      assert.ok((await repo().listSubscriptions()).some((x) => x.id === 'sub-1'));
      assert.deepEqual(await repo().getCursor('sub-1', 'inst-a'), { subscriptionId: 'sub-1', instanceId: 'inst-a', afterSeq: 3, version: 0 });
      assert.equal(await repo().getCursor('sub-1', 'inst-missing'), undefined);
      assert.deepEqual((await repo().listCursors('sub-1')).map((c) => c.instanceId).sort(), ['inst-a', 'inst-b']);

      await repo().updateSubscription('sub-1', { url: 'https://hooks.example.com/moved', enabled: false, updatedAt: at(5) }, [
        { subscriptionId: 'sub-1', instanceId: 'inst-a', afterSeq: 99 },
        { subscriptionId: 'sub-1', instanceId: 'inst-c', afterSeq: 7 },
      ]);
      const updated = await repo().getSubscription('sub-1');
      assert.equal(updated?.url, 'https://hooks.example.com/moved');
      assert.equal(updated?.enabled, false);
      assert.equal(updated?.updatedAt, at(5));
      assert.equal((await repo().getCursor('sub-1', 'inst-a'))?.afterSeq, 3, 'new cursors are inserted only when absent');
      assert.equal((await repo().getCursor('sub-1', 'inst-c'))?.afterSeq, 7);
    });

    it('provider subscriptions are found by instance, provider and slot', async () => {
      const s = subscription('sub-green', { provider: 'green-api', providerSlot: 'main', authorization: 'Bearer x', instances: ['inst-p'] });
      await repo().insertSubscription(s, [{ subscriptionId: 'sub-green', instanceId: 'inst-p', afterSeq: 0 }]);
      assert.deepEqual(await repo().getProviderSubscription('inst-p', 'green-api', 'main'), s);
      assert.equal(await repo().getProviderSubscription('inst-p', 'z-api', 'main'), undefined);
      assert.equal(await repo().getProviderSubscription('inst-p', 'green-api', 'other'), undefined);
    });

    it('markSecretRevealed records the first showing only', async () => {
      await repo().insertSubscription(subscription('sub-shown'), []);
      assert.equal(await repo().markSecretRevealed('sub-shown', at(3)), true);
      assert.equal(await repo().markSecretRevealed('sub-shown', at(4)), false);
      assert.equal((await repo().getSubscription('sub-shown'))?.secretRevealedAt, at(3));
      assert.equal(await repo().markSecretRevealed('sub-missing', at(3)), false);
    });

    it('moveCursor moves only at the expected version, with its deliveries, and answers the new version', async () => {
      await repo().insertSubscription(subscription('sub-m'), [{ subscriptionId: 'sub-m', instanceId: 'inst-a', afterSeq: 0 }]);
      const v0 = (await repo().getCursor('sub-m', 'inst-a'))!.version!;
      const moved = await repo().moveCursor({ subscriptionId: 'sub-m', instanceId: 'inst-a', afterSeq: 2, expectedVersion: v0 }, [
        delivery('dm-1', 'sub-m', { eventSeq: 1 }),
        delivery('dm-2', 'sub-m', { eventSeq: 2 }),
      ]);
      assert.equal(moved, v0 + 1);
      assert.deepEqual(await repo().getCursor('sub-m', 'inst-a'), { subscriptionId: 'sub-m', instanceId: 'inst-a', afterSeq: 2, version: v0 + 1 });
      // A stale version writes nothing: neither the cursor nor the deliveries.
      assert.equal(await repo().moveCursor({ subscriptionId: 'sub-m', instanceId: 'inst-a', afterSeq: 9, expectedVersion: v0 }, [delivery('dm-stale', 'sub-m')]), undefined);
      assert.equal((await repo().getCursor('sub-m', 'inst-a'))?.afterSeq, 2);
      assert.equal(await repo().getDelivery('dm-stale'), undefined);
      // A cursor that went away: undefined.
      assert.equal(await repo().moveCursor({ subscriptionId: 'sub-m', instanceId: 'inst-none', afterSeq: 1, expectedVersion: 0 }, []), undefined);
      assert.equal((await repo().firstPending('sub-m', 'inst-a'))?.id, 'dm-1');
    });

    it('moveCursors moves several cursors in one call, each only at its own expected version', async () => {
      await repo().insertSubscription(subscription('sub-mm'), [
        { subscriptionId: 'sub-mm', instanceId: 'inst-a', afterSeq: 0 },
        { subscriptionId: 'sub-mm', instanceId: 'inst-b', afterSeq: 0 },
      ]);
      const va = (await repo().getCursor('sub-mm', 'inst-a'))!.version!;
      const vb = (await repo().getCursor('sub-mm', 'inst-b'))!.version!;
      const answers = await repo().moveCursors([
        {
          cursor: { subscriptionId: 'sub-mm', instanceId: 'inst-b', afterSeq: 3, expectedVersion: vb },
          deliveries: [delivery('dmm-b3', 'sub-mm', { instanceId: 'inst-b', eventSeq: 3 })],
        },
        { cursor: { subscriptionId: 'sub-mm', instanceId: 'inst-a', afterSeq: 4, expectedVersion: va + 7 }, deliveries: [delivery('dmm-stale', 'sub-mm', { eventSeq: 4 })] },
        { cursor: { subscriptionId: 'sub-mm', instanceId: 'inst-none', afterSeq: 1, expectedVersion: 0 }, deliveries: [] },
      ]);
      assert.deepEqual(answers, [vb + 1, undefined, undefined]);
      assert.equal((await repo().getCursor('sub-mm', 'inst-b'))?.afterSeq, 3);
      assert.equal((await repo().getCursor('sub-mm', 'inst-a'))?.afterSeq, 0);
      assert.equal((await repo().getDelivery('dmm-b3'))?.eventSeq, 3);
      assert.equal(await repo().getDelivery('dmm-stale'), undefined);
      assert.deepEqual(await repo().moveCursors([]), []);
    });

    it('advance moves the cursor forward only and inserts the delivery', async () => {
      await repo().insertSubscription(subscription('sub-adv'), [{ subscriptionId: 'sub-adv', instanceId: 'inst-a', afterSeq: 5 }]);
      await repo().advance('sub-adv', 'inst-a', 3, delivery('da-1', 'sub-adv', { eventSeq: 3 }));
      assert.equal((await repo().getCursor('sub-adv', 'inst-a'))?.afterSeq, 5, 'never backwards');
      assert.equal((await repo().getDelivery('da-1'))?.eventSeq, 3);
      await repo().advance('sub-adv', 'inst-a', 8);
      assert.equal((await repo().getCursor('sub-adv', 'inst-a'))?.afterSeq, 8);
      await repo().advance('sub-adv', 'inst-new', 2);
      assert.equal((await repo().getCursor('sub-adv', 'inst-new'))?.afterSeq, 2, 'a missing cursor is created');
    });

    it('updatePending: only while pending and, when given, still last updated at expectedUpdatedAt', async () => {
      await repo().insertSubscription(subscription('sub-u'), []);
      await repo().insertDelivery(delivery('du-1', 'sub-u'));
      assert.equal(await repo().updatePending('du-1', { attempts: 1, updatedAt: at(20) }, at(19)), false);
      assert.equal((await repo().getDelivery('du-1'))?.attempts, 0);
      assert.equal(await repo().updatePending('du-1', { attempts: 1, lastStatusCode: 500, updatedAt: at(20) }, at(1)), true);
      assert.equal(await repo().updatePending('du-1', { attempts: 2, updatedAt: at(21) }), true);
      assert.equal(await repo().updatePending('du-1', { status: 'delivered', lastStatusCode: 200, updatedAt: at(22) }, at(21)), true);
      assert.equal(await repo().updatePending('du-1', { attempts: 9 }), false, 'no longer pending');
      const got = await repo().getDelivery('du-1');
      assert.equal(got?.status, 'delivered');
      assert.equal(got?.attempts, 2);
      assert.equal(await repo().updatePending('du-missing', { attempts: 1 }), false);
      await repo().updateDelivery('du-1', { status: 'pending', updatedAt: at(23) });
      assert.equal((await repo().getDelivery('du-1'))?.status, 'pending', 'updateDelivery writes whatever the status');
    });

    it('listDeliveries newest first with filters and paging; nextPendingAt and pendingCounts see enabled lanes', async () => {
      await repo().insertSubscription(subscription('sub-l', { createdAt: at(2) }), []);
      await repo().insertDelivery(delivery('dl-1', 'sub-l', { nextAttemptAt: at(40) }));
      await repo().insertDelivery(delivery('dl-2', 'sub-l', { instanceId: 'inst-b', nextAttemptAt: at(30) }));
      await repo().insertDelivery(delivery('dl-3', 'sub-l', { status: 'failed', nextAttemptAt: null }));
      await repo().insertDelivery(delivery('dl-4', 'sub-l', { instanceId: null, eventSeq: null, nextAttemptAt: at(31) }));
      const all = await repo().listDeliveries('sub-l', { limit: 10 });
      assert.deepEqual(
        all.map((d) => d.id),
        ['dl-4', 'dl-3', 'dl-2', 'dl-1'],
      );
      assert.deepEqual(
        (await repo().listDeliveries('sub-l', { limit: 10, status: 'failed' })).map((d) => d.id),
        ['dl-3'],
      );
      assert.deepEqual(
        (await repo().listDeliveries('sub-l', { limit: 10, instanceId: 'inst-b' })).map((d) => d.id),
        ['dl-2'],
      );
      assert.deepEqual(
        (await repo().listDeliveries('sub-l', { limit: 2, before: 'dl-3' })).map((d) => d.id),
        ['dl-2', 'dl-1'],
      );
      assert.deepEqual(await repo().listDeliveries('sub-none', { limit: 10 }), []);

      const counts = (await repo().pendingCounts()).filter((c) => c.subscriptionId === 'sub-l');
      assert.deepEqual(
        counts.sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
        [
          { subscriptionId: 'sub-l', instanceId: 'inst-a', count: 1 },
          { subscriptionId: 'sub-l', instanceId: 'inst-b', count: 1 },
        ],
        'test pings (no instance) are not a lane',
      );
      // sub-1 is disabled (above), and its deliveries do not count; the earliest enabled pending is at(10) of sub-m.
      const next = await repo().nextPendingAt();
      assert.ok(next !== undefined && next <= at(30), `next pending at ${next}`);
    });

    it('rewind cancels the pending deliveries of a subscription and sets its cursors, in one go', async () => {
      await repo().insertSubscription(subscription('sub-r'), [{ subscriptionId: 'sub-r', instanceId: 'inst-a', afterSeq: 10 }]);
      await repo().insertDelivery(delivery('dr-1', 'sub-r'));
      await repo().insertDelivery(delivery('dr-2', 'sub-r', { status: 'delivered' }));
      const before = (await repo().getCursor('sub-r', 'inst-a'))!.version!;
      assert.equal(await repo().rewind('sub-r', [{ subscriptionId: 'sub-r', instanceId: 'inst-a', afterSeq: 2 }], at(50)), 1);
      const d1 = await repo().getDelivery('dr-1');
      assert.equal(d1?.status, 'cancelled');
      assert.equal(d1?.nextAttemptAt, null);
      assert.equal((await repo().getDelivery('dr-2'))?.status, 'delivered');
      const cursor = await repo().getCursor('sub-r', 'inst-a');
      assert.equal(cursor?.afterSeq, 2, 'a replay may move the cursor backwards');
      assert.ok(cursor!.version! > before, 'and bumps its version so an in-flight moveCursor loses');
    });

    it('seqBefore and getEvent read the event log', async () => {
      const store = createKyselyStore(place.handle.db);
      await store.instances.insert({
        id: 'inst-ev',
        idInstance: '1100000001',
        name: 'ev',
        engine: 'sandbox',
        phone: null,
        status: 'starting',
        statusReason: 'starting',
        tokenHash: 'h-ev',
        createdAt: at(0),
        settings: {},
      });
      for (let n = 1; n <= 4; n++) {
        await store.transaction((tx) => tx.events.append({ id: `01EV${n}`, type: 'group.updated', instanceId: 'inst-ev', occurredAt: at(n * 10), data: { n } }));
      }
      assert.equal(await repo().seqBefore('inst-ev', { id: '01EV3' }), 2);
      assert.equal(await repo().seqBefore('inst-ev', { at: at(15) }), 1);
      assert.equal(await repo().seqBefore('inst-ev', { at: at(99) }), 4, 'past the end: the last seq');
      assert.deepEqual(await repo().getEvent('01EV2'), { id: '01EV2', seq: 2, type: 'group.updated', instanceId: 'inst-ev', occurredAt: at(20), data: { n: 2 } });
      assert.equal(await repo().getEvent('01MISSING'), undefined);
      assert.equal(await repo().pruneEvents('inst-ev', at(35), 3), 2);
      assert.equal(await repo().getEvent('01EV1'), undefined);
      assert.equal((await repo().getEvent('01EV3'))?.seq, 3, 'kept: seq not below belowSeq');
    });

    it('pruneDeliveries deletes finished deliveries last updated before a time, never pending ones', async () => {
      await repo().insertSubscription(subscription('sub-pd'), []);
      await repo().insertDelivery(delivery('dp-1', 'sub-pd', { status: 'delivered', updatedAt: at(1) }));
      await repo().insertDelivery(delivery('dp-2', 'sub-pd', { status: 'cancelled', updatedAt: at(1) }));
      await repo().insertDelivery(delivery('dp-3', 'sub-pd', { status: 'pending', updatedAt: at(1) }));
      await repo().insertDelivery(delivery('dp-4', 'sub-pd', { status: 'failed', updatedAt: at(59) }));
      const n = await repo().pruneDeliveries(at(30));
      assert.ok(n >= 2, `pruned ${n}`);
      assert.equal(await repo().getDelivery('dp-1'), undefined);
      assert.equal(await repo().getDelivery('dp-2'), undefined);
      assert.equal((await repo().getDelivery('dp-3'))?.status, 'pending');
      assert.equal((await repo().getDelivery('dp-4'))?.status, 'failed');
    });

    it('stats count operations and deliveries per status', async () => {
      const stats = createStatsRepository(place.handle.db);
      const deliveries = await stats.deliveriesByStatus();
      const listed = new Map<string, number>();
      for (const s of await repo().listSubscriptions()) {
        for (const d of await repo().listDeliveries(s.id, { limit: 1000 })) listed.set(d.status, (listed.get(d.status) ?? 0) + 1);
      }
      assert.deepEqual(deliveries, listed);
      assert.deepEqual(await stats.operationsByStatus(), new Map());
    });

    it('pruneOrphans drops the cursors of instances that are gone and cancels their pending deliveries', async () => {
      await repo().insertSubscription(subscription('sub-o', { instances: ['inst-live', 'inst-dead'] }), [
        { subscriptionId: 'sub-o', instanceId: 'inst-live', afterSeq: 0 },
        { subscriptionId: 'sub-o', instanceId: 'inst-dead', afterSeq: 0 },
      ]);
      await repo().insertDelivery(delivery('do-1', 'sub-o', { instanceId: 'inst-dead' }));
      await repo().insertDelivery(delivery('do-2', 'sub-o', { instanceId: 'inst-live' }));
      const existing = [...new Set((await repo().listCursors()).map((c) => c.instanceId))].filter((id) => id !== 'inst-dead');
      assert.equal(await repo().pruneOrphans(existing, at(60)), 1);
      assert.equal(await repo().getCursor('sub-o', 'inst-dead'), undefined);
      assert.equal((await repo().getDelivery('do-1'))?.status, 'cancelled');
      assert.equal((await repo().getDelivery('do-2'))?.status, 'pending');
      assert.equal(await repo().pruneOrphans(existing, at(61)), 0);
    });

    it('deleteInstance drops its cursors, deliveries and provider subscriptions; deleteSubscription answers false when absent', async () => {
      await repo().insertSubscription(subscription('sub-own', { provider: 'z-api', providerSlot: 'received', instances: ['inst-del'] }), [
        { subscriptionId: 'sub-own', instanceId: 'inst-del', afterSeq: 0 },
      ]);
      await repo().insertSubscription(subscription('sub-shared', { instances: ['inst-del', 'inst-keep'] }), [
        { subscriptionId: 'sub-shared', instanceId: 'inst-del', afterSeq: 0 },
        { subscriptionId: 'sub-shared', instanceId: 'inst-keep', afterSeq: 0 },
      ]);
      await repo().insertDelivery(delivery('dd-1', 'sub-shared', { instanceId: 'inst-del' }));
      await repo().insertDelivery(delivery('dd-2', 'sub-shared', { instanceId: 'inst-keep' }));
      await repo().deleteInstance('inst-del');
      await repo().deleteInstance('inst-del');
      assert.equal(await repo().getSubscription('sub-own'), undefined);
      assert.equal(await repo().getCursor('sub-shared', 'inst-del'), undefined);
      assert.equal(await repo().getDelivery('dd-1'), undefined);
      assert.equal((await repo().getCursor('sub-shared', 'inst-keep'))?.afterSeq, 0);
      assert.equal((await repo().getDelivery('dd-2'))?.status, 'pending');

      assert.equal(await repo().deleteSubscription('sub-shared'), true);
      assert.equal(await repo().getDelivery('dd-2'), undefined);
      assert.deepEqual(await repo().listCursors('sub-shared'), []);
      assert.equal(await repo().deleteSubscription('sub-shared'), false);
    });
  });
}
