/**
 * The OperationQueue port's conformance suite: the same cases on every adapter (the embedded queue
 * on SQLite and PostgreSQL, the BullMQ queue on PostgreSQL + Redis). A test's queue is fresh, owns
 * the instances the test names, and is driven by a manual clock through `runDue`; an adapter may
 * also run due steps in the background, so the cases hold either way.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { Operation } from '../../../src/core/operations/operation-model.js';
import { LeaseLostError, type NewOperation, type OperationQueue, type OperationStorage } from '../../../src/core/ports/operation-queue.js';

export const T0 = Date.parse('2026-11-22T10:00:00.000Z');

export interface QueueUnderTest {
  queue: OperationQueue;
  storage: OperationStorage;
}

export interface QueueFactory {
  /** A fresh, unstarted queue whose node owns `instanceIds`; `now` is the test's clock. */
  create(now: () => number, instanceIds: string[]): Promise<QueueUnderTest>;
  /** Called after every test with the queues it made (already stopped). */
  cleanup?(): Promise<void>;
}

function clock(start = T0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

function newOp(instanceId: string, overrides: Partial<NewOperation> = {}): NewOperation {
  return { id: `op-${randomUUID()}`, instanceId, kind: 'group.create', runAt: T0, input: {}, progress: { done: 0, total: 1 }, ...overrides };
}

const inst = () => `inst-${randomUUID().slice(0, 8)}`;
const noSettle = async () => {};

export function operationQueueConformance(label: string, factory: () => QueueFactory): void {
  describe(`operation queue conformance: ${label}`, () => {
    const made: OperationQueue[] = [];
    const f = factory();
    async function make(now: () => number, instanceIds: string[]): Promise<QueueUnderTest> {
      const q = await f.create(now, instanceIds);
      made.push(q.queue);
      return q;
    }
    after(async () => {
      for (const q of made) await q.stop();
      await f.cleanup?.();
    });

    it('enqueue stores a scheduled operation; get, list, findByRequestKey and cancel read and change the store', async () => {
      const c = clock();
      const a = inst();
      const { queue } = await make(c.now, [a]);
      await queue.start(async () => ({ status: 'succeeded', result: null }), noSettle);
      const op = await queue.enqueue(newOp(a, { runAt: T0 + 3_600_000, requestKey: `rk-${randomUUID()}` }));
      assert.equal(op.status, 'scheduled');
      assert.equal(op.attempts, 0);
      assert.equal((await queue.get(op.id))?.status, 'scheduled');
      assert.equal((await queue.findByRequestKey(op.requestKey as string))?.id, op.id);
      assert.equal(await queue.findByRequestKey('rk-missing'), undefined);
      const listed = await queue.list(a, { limit: 10, offset: 0 });
      assert.equal(listed.total, 1);
      assert.equal(listed.items[0]?.id, op.id);
      const cancelled = await queue.cancel(op.id);
      assert.ok(cancelled && cancelled !== 'not_cancellable');
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(await queue.cancel(op.id), 'not_cancellable');
      assert.equal(await queue.cancel('op-missing'), undefined);
      c.advance(7_200_000);
      await queue.runDue();
      assert.equal((await queue.get(op.id))?.status, 'cancelled', 'a cancelled operation never runs');
    });

    it('runs a due operation exactly once and announces it once; a future one waits for its time', async () => {
      const c = clock();
      const a = inst();
      const { queue } = await make(c.now, [a]);
      const ran: string[] = [];
      const settled: Operation[] = [];
      await queue.start(
        async (run) => {
          ran.push(run.operation.id);
          return { status: 'succeeded', result: { ok: run.operation.id } };
        },
        async (op) => void settled.push(op),
      );
      const due = await queue.enqueue(newOp(a));
      const later = await queue.enqueue(newOp(a, { runAt: T0 + 60_000 }));
      await queue.runDue();
      assert.deepEqual(ran, [due.id]);
      const done = await queue.get(due.id);
      assert.equal(done?.status, 'succeeded');
      assert.deepEqual(done?.result, { ok: due.id });
      assert.equal(done?.attempts, 1);
      assert.equal(done?.notified, true);
      assert.equal((await queue.get(later.id))?.status, 'scheduled');
      c.advance(60_000);
      await queue.runDue();
      await queue.runDue();
      assert.deepEqual(ran, [due.id, later.id]);
      assert.deepEqual(
        settled.map((o) => o.id),
        [due.id, later.id],
      );
    });

    it('a step that says scheduled runs again at its time with the checkpoint it saved', async () => {
      const c = clock();
      const a = inst();
      const { queue } = await make(c.now, [a]);
      const seen: unknown[] = [];
      await queue.start(async (run) => {
        const batch = Number(run.operation.checkpoint.batch ?? 0);
        seen.push(batch);
        await run.save({ batch: batch + 1 }, { done: batch + 1, total: 3 });
        return batch + 1 < 3 ? { status: 'scheduled', runAt: c.now() + 60_000 } : { status: 'succeeded', result: batch + 1 };
      }, noSettle);
      const op = await queue.enqueue(newOp(a, { progress: { done: 0, total: 3 } }));
      await queue.runDue();
      const mid = await queue.get(op.id);
      assert.equal(mid?.status, 'scheduled');
      assert.equal(mid?.runAt, T0 + 60_000);
      assert.deepEqual(mid?.checkpoint, { batch: 1 });
      assert.deepEqual(mid?.progress, { done: 1, total: 3 });
      c.advance(60_000);
      await queue.runDue();
      c.advance(60_000);
      await queue.runDue();
      const done = await queue.get(op.id);
      assert.equal(done?.status, 'succeeded');
      assert.equal(done?.result, 3);
      assert.equal(done?.attempts, 3);
      assert.deepEqual(seen, [0, 1, 2]);
    });

    it('a throwing handler fails the operation with internal_error', async () => {
      const c = clock();
      const a = inst();
      const { queue } = await make(c.now, [a]);
      await queue.start(async () => {
        throw new Error('boom');
      }, noSettle);
      const op = await queue.enqueue(newOp(a));
      await queue.runDue();
      const failed = await queue.get(op.id);
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.error?.code, 'internal_error');
    });

    it('runNow runs the first step in the caller; one that must go on is run later by the queue', async () => {
      const c = clock();
      const a = inst();
      const { queue } = await make(c.now, [a]);
      await queue.start(async (run) => {
        if (run.operation.input.again && run.operation.attempts === 1) return { status: 'scheduled', runAt: c.now() + 30_000 };
        return { status: 'succeeded', result: run.operation.attempts };
      }, noSettle);
      const now = await queue.runNow(newOp(a));
      assert.equal(now.status, 'succeeded');
      assert.equal(now.result, 1);
      const later = await queue.runNow(newOp(a, { input: { again: true } }));
      assert.equal(later.status, 'scheduled');
      c.advance(30_000);
      await queue.runDue();
      const done = await queue.get(later.id);
      assert.equal(done?.status, 'succeeded');
      assert.equal(done?.result, 2);
    });

    it("one instance's operations run one at a time in runAt order; other instances are not held back", async () => {
      const c = clock();
      const a = inst();
      const b = inst();
      const { queue } = await make(c.now, [a, b]);
      const order: string[] = [];
      const active = new Map<string, number>();
      let overlap = false;
      await queue.start(async (run) => {
        const id = run.operation.instanceId;
        active.set(id, (active.get(id) ?? 0) + 1);
        if ((active.get(id) ?? 0) > 1) overlap = true;
        await new Promise((r) => setTimeout(r, 5));
        order.push(String(run.operation.input.name));
        active.set(id, (active.get(id) ?? 1) - 1);
        return { status: 'succeeded', result: null };
      }, noSettle);
      // Enqueued latest first: the queue must still run them in runAt order.
      for (const n of [3, 2, 1]) await queue.enqueue(newOp(a, { runAt: T0 + 3_600_000 + n * 1000, input: { name: `a${n}` } }));
      await queue.enqueue(newOp(b, { runAt: T0 + 3_600_000 + 500, input: { name: 'b1' } }));
      c.advance(3_600_000 + 10_000);
      await queue.runDue();
      await queue.runDue();
      assert.equal(overlap, false, 'never two steps of one instance at once');
      assert.deepEqual(
        order.filter((n) => n.startsWith('a')),
        ['a1', 'a2', 'a3'],
      );
      assert.ok(order.includes('b1'));
    });

    it('stop waits for a step in flight to finish', async () => {
      const c = clock();
      const a = inst();
      const { queue } = await make(c.now, [a]);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const started = new Promise<void>((r) => (entered = r));
      await queue.start(async () => {
        entered();
        await gate;
        return { status: 'succeeded', result: null };
      }, noSettle);
      const op = await queue.enqueue(newOp(a));
      const running = queue.runDue();
      await started;
      const stopped = queue.stop();
      setTimeout(release, 20);
      await stopped;
      await running.catch(() => {});
      assert.equal((await queue.get(op.id))?.status, 'succeeded');
    });

    it('a runner whose lease was taken over cannot write: save throws LeaseLostError and its outcome is dropped', async () => {
      const c = clock();
      const a = inst();
      const { queue, storage } = await make(c.now, [a]);
      let lostError: unknown;
      await queue.start(async (run) => {
        // Another runner takes the operation over (as after a lapsed lease) and claims it.
        await storage.release(run.operation.id, c.now(), c.now());
        await storage.claim(run.operation.id, 'someone-else', c.now(), c.now() + 60_000);
        try {
          await run.save({ late: true });
        } catch (err) {
          lostError = err;
          throw err;
        }
        return { status: 'succeeded', result: 'stale' };
      }, noSettle);
      const op = await queue.enqueue(newOp(a));
      await queue.runDue();
      assert.ok(lostError instanceof LeaseLostError);
      const now = await queue.get(op.id);
      assert.equal(now?.status, 'running');
      assert.equal(now?.leaseOwner, 'someone-else');
      assert.deepEqual(now?.checkpoint, {});
    });
  });
}
