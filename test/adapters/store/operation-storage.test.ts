/** The OperationStorage port (the embedded queue's storage): the same cases on SQLite and PostgreSQL. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOperationStorage } from '../../../src/adapters/store/kysely/operations.js';
import type { Operation } from '../../../src/core/operations/operation-model.js';
import type { OperationStorage } from '../../../src/core/ports/operation-queue.js';
import { databaseKinds } from '../../support/app.js';
import { useDatabase } from '../../support/database.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

function op(id: string, overrides: Partial<Operation> = {}): Operation {
  return {
    id,
    instanceId: 'inst-a',
    kind: 'group.create',
    status: 'scheduled',
    runAt: T0,
    attempts: 0,
    progress: { total: 1, done: 0 } as Operation['progress'],
    input: { subject: id },
    checkpoint: {},
    result: null,
    error: null,
    leaseOwner: null,
    leaseUntil: null,
    notified: false,
    createdAt: T0,
    updatedAt: T0,
    startedAt: null,
    finishedAt: null,
    requestKey: null,
    ...overrides,
  };
}

for (const kind of await databaseKinds()) {
  describe(`operation storage on ${kind}`, () => {
    const place = useDatabase(kind, 'ops');
    const storage = (): OperationStorage => createOperationStorage(place.handle.db);

    it('insert and get round-trip every field; get of a missing id is undefined', async () => {
      const o = op('op-01', { input: { subject: 'Alpha', people: ['1', '2'] }, checkpoint: { step: 2 } });
      await storage().insert(o);
      assert.deepEqual(await storage().get('op-01'), o);
      assert.equal(await storage().get('op-missing'), undefined);
    });

    it('byRequestKey finds the operation a request started; a request key is unique', async () => {
      const o = op('op-rk1', { requestKey: 'rk-1' });
      await storage().insert(o);
      assert.deepEqual(await storage().byRequestKey('rk-1'), o);
      assert.equal(await storage().byRequestKey('rk-missing'), undefined);
      await assert.rejects(storage().insert(op('op-rk2', { requestKey: 'rk-1' })), 'a second operation for one request is refused by the store');
      await storage().insert(op('op-rk3'));
      await storage().insert(op('op-rk4'));
    });

    it("list: an instance's operations newest first, filtered by status and kind, with the total", async () => {
      const s = storage();
      await s.insert(op('op-02', { instanceId: 'inst-list' }));
      await s.insert(op('op-03', { instanceId: 'inst-list', status: 'succeeded' }));
      await s.insert(op('op-04', { instanceId: 'inst-list' }));
      await s.insert(op('op-05', { instanceId: 'inst-other' }));
      const all = await s.list('inst-list', { limit: 2, offset: 0 });
      assert.equal(all.total, 3);
      assert.deepEqual(
        all.items.map((o) => o.id),
        ['op-04', 'op-03'],
      );
      const scheduled = await s.list('inst-list', { status: 'scheduled', limit: 10, offset: 0 });
      assert.deepEqual(
        scheduled.items.map((o) => o.id),
        ['op-04', 'op-02'],
      );
      assert.equal(scheduled.total, 2);
      const none = await s.list('inst-list', { kind: 'participants.add' as Operation['kind'], limit: 10, offset: 0 });
      assert.equal(none.total, 0);
      assert.deepEqual((await s.list('inst-none', { limit: 10, offset: 0 })).items, []);
    });

    it('due: scheduled with runAt <= now, earliest first, limited; nextRunAt is the earliest scheduled', async () => {
      const s = storage();
      await s.insert(op('op-d1', { instanceId: 'inst-due', runAt: T0 - 3000 }));
      await s.insert(op('op-d2', { instanceId: 'inst-due', runAt: T0 - 5000 }));
      await s.insert(op('op-d3', { instanceId: 'inst-due', runAt: T0 + 60_000 }));
      await s.insert(op('op-d4', { instanceId: 'inst-due', runAt: T0 - 9000, status: 'running' }));
      const due = (await s.due(T0 - 1000, 10)).filter((o) => o.instanceId === 'inst-due');
      assert.deepEqual(
        due.map((o) => o.id),
        ['op-d2', 'op-d1'],
      );
      assert.equal((await s.due(T0 - 1000, 1)).length, 1);
      assert.equal(await s.nextRunAt(), T0 - 5000);
    });

    it('claim: scheduled -> running with the lease and attempts + 1; false when no longer scheduled', async () => {
      const s = storage();
      await s.insert(op('op-c1', { instanceId: 'inst-claim' }));
      assert.equal(await s.claim('op-c1', 'runner-1', T0 + 10, T0 + 30_000), true);
      const got = await s.get('op-c1');
      assert.equal(got?.status, 'running');
      assert.equal(got?.leaseOwner, 'runner-1');
      assert.equal(got?.leaseUntil, T0 + 30_000);
      assert.equal(got?.attempts, 1);
      assert.equal(got?.startedAt, T0 + 10);
      assert.equal(await s.claim('op-c1', 'runner-2', T0 + 20, T0 + 40_000), false);
      assert.equal((await s.get('op-c1'))?.leaseOwner, 'runner-1');
      assert.equal(await s.claim('op-missing', 'runner-1', T0, T0 + 1), false);
    });

    it('heartbeat, save, reschedule and finish only for the lease owner', async () => {
      const s = storage();
      await s.insert(op('op-h1', { instanceId: 'inst-lease' }));
      await s.claim('op-h1', 'owner', T0, T0 + 1000);
      assert.equal(await s.heartbeat('op-h1', 'intruder', T0 + 9000, T0 + 1), false);
      assert.equal(await s.heartbeat('op-h1', 'owner', T0 + 5000, T0 + 1), true);
      assert.equal((await s.get('op-h1'))?.leaseUntil, T0 + 5000);

      assert.equal(await s.save('op-h1', 'intruder', { checkpoint: { x: 1 } }, T0 + 2), false);
      assert.equal(await s.save('op-h1', 'owner', { checkpoint: { batch: 3 }, progress: { total: 4, done: 3 } as Operation['progress'] }, T0 + 2), true);
      const saved = await s.get('op-h1');
      assert.deepEqual(saved?.checkpoint, { batch: 3 });
      assert.deepEqual(saved?.progress, { total: 4, done: 3 });
      assert.equal(saved?.updatedAt, T0 + 2);
      // Without progress, the stored progress stays.
      assert.equal(await s.save('op-h1', 'owner', { checkpoint: { batch: 4 } }, T0 + 3), true);
      assert.deepEqual((await s.get('op-h1'))?.progress, { total: 4, done: 3 });

      assert.equal(await s.reschedule('op-h1', 'intruder', T0 + 60_000, T0 + 4), false);
      assert.equal(await s.reschedule('op-h1', 'owner', T0 + 60_000, T0 + 4), true);
      const again = await s.get('op-h1');
      assert.equal(again?.status, 'scheduled');
      assert.equal(again?.runAt, T0 + 60_000);
      assert.equal(again?.leaseOwner, null);
      assert.equal(again?.leaseUntil, null);
      assert.deepEqual(again?.checkpoint, { batch: 4 }, 'the checkpoint saved so far is kept');
      // No longer running: the former owner cannot write.
      assert.equal(await s.heartbeat('op-h1', 'owner', T0 + 9000, T0 + 5), false);

      await s.claim('op-h1', 'owner-2', T0 + 60_000, T0 + 61_000);
      assert.equal(await s.finish('op-h1', 'owner', { status: 'succeeded', result: { ok: true }, error: null }, T0 + 60_500), false);
      assert.equal(
        await s.finish('op-h1', 'owner-2', { status: 'failed', result: { added: 1 }, error: { code: 'internal_error', message: 'boom' } as Operation['error'] }, T0 + 60_500),
        true,
      );
      const done = await s.get('op-h1');
      assert.equal(done?.status, 'failed');
      assert.deepEqual(done?.result, { added: 1 });
      assert.deepEqual(done?.error, { code: 'internal_error', message: 'boom' });
      assert.equal(done?.leaseOwner, null);
      assert.equal(done?.notified, false);
      assert.equal(done?.finishedAt, T0 + 60_500);
      assert.equal(done?.attempts, 2);
      assert.equal(await s.finish('op-h1', 'owner-2', { status: 'succeeded', result: null, error: null }, T0 + 61_000), false, 'a final operation stays final');
    });

    it('cancel: scheduled -> cancelled (and notified); false for a running, final or missing one', async () => {
      const s = storage();
      await s.insert(op('op-x1', { instanceId: 'inst-cancel' }));
      await s.insert(op('op-x2', { instanceId: 'inst-cancel' }));
      await s.claim('op-x2', 'owner', T0, T0 + 1000);
      assert.equal(await s.cancel('op-x1', T0 + 5), true);
      const cancelled = await s.get('op-x1');
      assert.equal(cancelled?.status, 'cancelled');
      assert.equal(cancelled?.finishedAt, T0 + 5);
      assert.equal(cancelled?.notified, true);
      assert.equal(await s.cancel('op-x1', T0 + 6), false);
      assert.equal(await s.cancel('op-x2', T0 + 6), false);
      assert.equal((await s.get('op-x2'))?.status, 'running');
      assert.equal(await s.cancel('op-missing', T0), false);
    });

    it('orphans and release: lapsed leases are found and handed back as scheduled', async () => {
      const s = storage();
      await s.insert(op('op-o1', { instanceId: 'inst-orphan' }));
      await s.insert(op('op-o2', { instanceId: 'inst-orphan' }));
      await s.claim('op-o1', 'dead', T0, T0 + 1000);
      await s.claim('op-o2', 'alive', T0, T0 + 100_000);
      const lapsed = (await s.orphans(T0 + 2000)).filter((o) => o.instanceId === 'inst-orphan');
      assert.deepEqual(
        lapsed.map((o) => o.id),
        ['op-o1'],
      );
      const every = (await s.orphans(undefined)).filter((o) => o.instanceId === 'inst-orphan');
      assert.deepEqual(every.map((o) => o.id).sort(), ['op-o1', 'op-o2']);
      await s.release('op-o1', T0 + 3000, T0 + 2000);
      const released = await s.get('op-o1');
      assert.equal(released?.status, 'scheduled');
      assert.equal(released?.runAt, T0 + 3000);
      assert.equal(released?.leaseOwner, null);
      assert.equal(released?.leaseUntil, null);
      // Release of an operation that is not running changes nothing.
      await s.release('op-o1', T0 + 99_000, T0 + 2500);
      assert.equal((await s.get('op-o1'))?.runAt, T0 + 3000);
      assert.equal(await s.heartbeat('op-o1', 'dead', T0 + 9000, T0 + 2600), false, 'the dead runner lost its lease');
    });

    it("due, nextRunAt, orphans and unnotified narrowed to some instances (a cluster node's own)", async () => {
      const s = storage();
      await s.insert(op('op-w1', { instanceId: 'inst-n-mine', runAt: T0 - 2000 }));
      await s.insert(op('op-w2', { instanceId: 'inst-n-theirs', runAt: T0 - 4000 }));
      await s.insert(op('op-w3', { instanceId: 'inst-n-mine', status: 'running', leaseOwner: 'dead', leaseUntil: T0 - 1 }));
      await s.insert(op('op-w4', { instanceId: 'inst-n-theirs', status: 'running', leaseOwner: 'dead', leaseUntil: T0 - 1 }));
      await s.insert(op('op-w5', { instanceId: 'inst-n-mine', status: 'succeeded', finishedAt: T0 }));
      await s.insert(op('op-w6', { instanceId: 'inst-n-theirs', status: 'failed', finishedAt: T0 }));
      const mine = ['inst-n-mine'];
      assert.deepEqual(
        (await s.due(T0, 10, mine)).map((o) => o.id),
        ['op-w1'],
      );
      assert.equal(await s.nextRunAt(mine), T0 - 2000);
      assert.deepEqual(
        (await s.orphans(T0, mine)).map((o) => o.id),
        ['op-w3'],
      );
      assert.deepEqual(
        (await s.unnotified(10, mine)).map((o) => o.id),
        ['op-w5'],
      );
      assert.deepEqual(await s.due(T0, 10, []), []);
      assert.equal(await s.nextRunAt([]), undefined);
      assert.deepEqual(await s.orphans(T0, []), []);
      assert.deepEqual(await s.unnotified(10, []), []);
      await s.markNotified('op-w5');
      await s.markNotified('op-w6');
    });

    it('release with lapsedBefore: only while the lease is still lapsed (a heartbeat meanwhile keeps it)', async () => {
      const s = storage();
      await s.insert(op('op-lr', { instanceId: 'inst-lr' }));
      await s.claim('op-lr', 'live', T0, T0 + 1000);
      assert.equal(await s.heartbeat('op-lr', 'live', T0 + 61_000, T0 + 1500), true);
      assert.equal(await s.release('op-lr', T0 + 2000, T0 + 2000, T0 + 2000), false, 'the lease was renewed: not taken over');
      const kept = await s.get('op-lr');
      assert.equal(kept?.status, 'running');
      assert.equal(kept?.leaseOwner, 'live');
      assert.equal(await s.release('op-lr', T0 + 62_000, T0 + 62_000, T0 + 62_000), true, 'lapsed: taken over');
      assert.equal((await s.get('op-lr'))?.status, 'scheduled');
      assert.equal(await s.release('op-lr', T0 + 62_000, T0 + 62_000, T0 + 62_000), false, 'not running any more');
    });

    it('unnotified lists final operations not yet announced; markNotified takes them off', async () => {
      const s = storage();
      await s.insert(op('op-n1', { instanceId: 'inst-notify' }));
      await s.insert(op('op-n2', { instanceId: 'inst-notify' }));
      await s.insert(op('op-n3', { instanceId: 'inst-notify' }));
      await s.claim('op-n1', 'w', T0, T0 + 1000);
      await s.finish('op-n1', 'w', { status: 'succeeded', result: { groupId: 'g' }, error: null }, T0 + 10);
      await s.claim('op-n2', 'w', T0, T0 + 1000);
      await s.finish('op-n2', 'w', { status: 'failed', result: null, error: { code: 'x', message: 'y' } as Operation['error'] }, T0 + 20);
      await s.cancel('op-n3', T0 + 30);
      const pending = (await s.unnotified(100)).filter((o) => o.instanceId === 'inst-notify');
      assert.deepEqual(
        pending.map((o) => o.id),
        ['op-n1', 'op-n2'],
        'finished order; a cancel is announced by its caller',
      );
      await s.markNotified('op-n1');
      await s.markNotified('op-n1');
      assert.deepEqual(
        (await s.unnotified(100)).filter((o) => o.instanceId === 'inst-notify').map((o) => o.id),
        ['op-n2'],
      );
      assert.equal((await s.get('op-n1'))?.notified, true);
      await s.markNotified('op-missing');
    });

    it('deleteInstance removes every operation of that instance only, and is idempotent', async () => {
      const s = storage();
      await s.insert(op('op-z1', { instanceId: 'inst-gone' }));
      await s.insert(op('op-z2', { instanceId: 'inst-gone', status: 'succeeded' }));
      await s.insert(op('op-z3', { instanceId: 'inst-stays' }));
      await s.deleteInstance('inst-gone');
      await s.deleteInstance('inst-gone');
      assert.equal((await s.list('inst-gone', { limit: 10, offset: 0 })).total, 0);
      assert.equal((await s.get('op-z3'))?.instanceId, 'inst-stays');
    });
  });
}
