/**
 * Cluster cases: two or three queues in one process sharing PostgreSQL (and Redis for BullMQ), with
 * a fake `SessionOwnership` that moves instances between them. Real time, short leases; nothing is
 * asserted on timings, only on who ran what, how often and in which order.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { createBullmqQueue, operationsQueueName } from '../../../src/adapters/queue/bullmq-queue.js';
import { createEmbeddedQueue } from '../../../src/adapters/queue/embedded-queue.js';
import { createOperationStorage } from '../../../src/adapters/store/kysely/operations.js';
import type { SessionOwnership } from '../../../src/core/ports/cluster.js';
import type { NewOperation, OperationHandler, OperationQueue, OperationStorage } from '../../../src/core/ports/operation-queue.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger } from '../../../src/logger.js';
import { postgresAvailable } from '../../support/app.js';
import { REDIS_URL, redisAvailable, useDatabase } from '../../support/database.js';
import { fakeCluster, type FakeCluster } from '../../support/fake-ownership.js';
import { dropPrefix, testPrefix } from '../../support/redis.js';

const logger = createLogger('silent', { pretty: false });
const LEASE_MS = 3000;

async function waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Storage a test can "kill": afterwards every call fails, as the process is gone (heartbeats stop). */
function killable(storage: OperationStorage): OperationStorage & { kill(): void } {
  let dead = false;
  const wrapped = {} as OperationStorage & { kill(): void };
  for (const [name, fn] of Object.entries(storage) as [keyof OperationStorage, (...a: unknown[]) => Promise<unknown>][]) {
    (wrapped as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => (dead ? Promise.reject(new Error('this node is dead')) : fn(...args));
  }
  wrapped.kill = () => void (dead = true);
  return wrapped;
}

interface Effect {
  op: string;
  name: string;
  node: string;
}

/** What every node's handler shares: effects, gates that hold a step, and a per-instance overlap check. */
function world() {
  const effects: Effect[] = [];
  const gates = new Map<string, Promise<void>>();
  const active = new Map<string, number>();
  const state = { overlap: false };
  const entered = new Set<string>();
  function gate(opId: string): () => void {
    let open!: () => void;
    gates.set(opId, new Promise<void>((r) => (open = r)));
    return open;
  }
  function handler(node: string): OperationHandler {
    return async (run) => {
      const { id, instanceId } = run.operation;
      active.set(instanceId, (active.get(instanceId) ?? 0) + 1);
      if ((active.get(instanceId) ?? 0) > 1) state.overlap = true;
      try {
        entered.add(`${id}@${node}`);
        await gates.get(id);
        // The fence: a runner that lost its lease stops here, before the effect.
        await run.save({ applying: node });
        effects.push({ op: id, name: String(run.operation.input.name), node });
        return { status: 'succeeded', result: node };
      } finally {
        active.set(instanceId, (active.get(instanceId) ?? 1) - 1);
      }
    };
  }
  /** A dead node's step is gone: it no longer counts as active. */
  const forgetActive = () => active.clear();
  return { effects, gate, gates, handler, state, entered, forgetActive };
}

function newOp(instanceId: string, name: string, runAt = Date.now()): NewOperation {
  return { id: `op-${randomUUID()}`, instanceId, kind: 'group.create', runAt, input: { name }, progress: { done: 0, total: 1 } };
}

type Kind = 'bullmq' | 'embedded';

const pg = await postgresAvailable();
const redis = pg && (await redisAvailable());

for (const kind of ['bullmq', 'embedded'] as Kind[]) {
  const usable = kind === 'bullmq' ? redis : pg;
  describe(`${kind} queue in a cluster`, { skip: usable ? false : 'PostgreSQL or Redis unreachable' }, () => {
    if (!usable) return;
    const place = useDatabase('postgres', `cl${kind.slice(0, 2)}`);
    const prefix = testPrefix(`cl${kind.slice(0, 2)}`);
    const started: OperationQueue[] = [];
    after(async () => {
      for (const q of started) await q.stop().catch(() => {});
      if (kind === 'bullmq') await dropPrefix(prefix);
    });

    function node(cluster: FakeCluster, nodeId: string, w: ReturnType<typeof world>, sweepMs?: number) {
      const storage = killable(createOperationStorage(place.handle.db));
      const ownership: SessionOwnership = cluster.node(nodeId);
      const queue =
        kind === 'bullmq'
          ? createBullmqQueue({ storage, redis: { url: REDIS_URL, prefix }, ownership, now: Date.now, logger, leaseMs: LEASE_MS, sweepMs })
          : createEmbeddedQueue({ storage, owner: nodeId, ownership, now: Date.now, logger, leaseMs: LEASE_MS, maxSleepMs: 200 });
      started.push(queue);
      return {
        nodeId,
        queue,
        storage,
        start: () => queue.start(w.handler(nodeId), async () => {}),
      };
    }
    const uniq = () => randomUUID().slice(0, 8);
    const statusOf = async (q: OperationQueue, id: string) => (await q.get(id))?.status;

    it('an operation enqueued on a node that does not own its instance runs on the owner, exactly once', async () => {
      const cluster = fakeCluster();
      const w = world();
      const [a, b] = [node(cluster, `a-${uniq()}`, w), node(cluster, `b-${uniq()}`, w)];
      const inst = `inst-${uniq()}`;
      await cluster.assign(inst, a.nodeId);
      await a.start();
      await b.start();
      const op = await b.queue.enqueue(newOp(inst, 'one'));
      await waitFor('the operation to succeed', async () => (await statusOf(b.queue, op.id)) === 'succeeded');
      assert.equal(await b.queue.runDue(), 0, 'the non-owner runs nothing');
      await a.queue.runDue();
      assert.deepEqual(
        w.effects.map((e) => [e.op, e.node]),
        [[op.id, a.nodeId]],
      );
      assert.equal((await a.queue.get(op.id))?.attempts, 1);
    });

    it('an operation of an instance nobody owns waits; the node that acquires the instance runs it', async () => {
      const cluster = fakeCluster();
      const w = world();
      const [a, b] = [node(cluster, `a-${uniq()}`, w), node(cluster, `b-${uniq()}`, w)];
      const inst = `inst-${uniq()}`;
      await a.start();
      await b.start();
      const op = await a.queue.enqueue(newOp(inst, 'orphan'));
      assert.equal(await a.queue.runDue(), 0);
      assert.equal(await b.queue.runDue(), 0);
      assert.equal(await statusOf(a.queue, op.id), 'scheduled');
      await cluster.assign(inst, b.nodeId);
      await waitFor('the new owner to run it', async () => (await statusOf(a.queue, op.id)) === 'succeeded');
      assert.deepEqual(
        w.effects.map((e) => e.node),
        [b.nodeId],
      );
    });

    it("a node dies mid-step: once its lease lapses the new owner finishes the instance's operations exactly once, in order", async () => {
      const cluster = fakeCluster();
      const w = world();
      const [a, b] = [node(cluster, `a-${uniq()}`, w), node(cluster, `b-${uniq()}`, w)];
      const inst = `inst-${uniq()}`;
      await cluster.assign(inst, a.nodeId);
      await a.start();
      await b.start();
      const t = Date.now();
      const first = newOp(inst, 'first', t);
      const openOnA = w.gate(first.id);
      await a.queue.enqueue(first);
      await waitFor('the first step to start on a', () => w.entered.has(`${first.id}@${a.nodeId}`));
      const second = await a.queue.enqueue(newOp(inst, 'second', t + 1));
      const third = await b.queue.enqueue(newOp(inst, 'third', t + 2));
      // a dies: its storage is gone (heartbeats stop), its step never ends; the cluster moves the instance.
      a.storage.kill();
      w.forgetActive();
      await cluster.assign(inst, b.nodeId);
      // The step held on a is not held on b (a new runner, the same operation).
      w.gates.delete(first.id);
      await waitFor('every operation to succeed on b', async () => {
        for (const id of [first.id, second.id, third.id]) if ((await statusOf(b.queue, id)) !== 'succeeded') return false;
        return true;
      });
      openOnA(); // a's step wakes up: its fence refuses it
      await b.queue.runDue();
      assert.deepEqual(
        w.effects.map((e) => [e.name, e.node]),
        [
          ['first', b.nodeId],
          ['second', b.nodeId],
          ['third', b.nodeId],
        ],
      );
      assert.equal(w.state.overlap, false);
      assert.equal((await b.queue.get(first.id))?.attempts, 2, 'taken over once');
    });

    it('per-instance order holds across nodes: operations enqueued anywhere run one at a time in runAt order on the owner', async () => {
      const cluster = fakeCluster();
      const w = world();
      const nodes = [node(cluster, `a-${uniq()}`, w), node(cluster, `b-${uniq()}`, w), node(cluster, `c-${uniq()}`, w)];
      const [inst, other] = [`inst-${uniq()}`, `inst-${uniq()}`];
      await cluster.assign(inst, nodes[0].nodeId);
      await cluster.assign(other, nodes[2].nodeId);
      for (const n of nodes) await n.start();
      const base = Date.now() + 1500;
      const ids: string[] = [];
      // Latest first, spread over the three nodes.
      for (let i = 5; i >= 1; i--) ids.push((await nodes[i % 3].queue.enqueue(newOp(inst, `n${i}`, base + i))).id);
      ids.push((await nodes[1].queue.enqueue(newOp(other, 'other', base))).id);
      await waitFor('all to succeed', async () => {
        for (const id of ids) if ((await statusOf(nodes[0].queue, id)) !== 'succeeded') return false;
        return true;
      });
      assert.deepEqual(
        w.effects.filter((e) => e.name.startsWith('n')).map((e) => [e.name, e.node]),
        [1, 2, 3, 4, 5].map((i) => [`n${i}`, nodes[0].nodeId]),
      );
      assert.deepEqual(
        w.effects.filter((e) => e.name === 'other').map((e) => e.node),
        [nodes[2].nodeId],
      );
      assert.equal(w.state.overlap, false);
    });

    it('jobs lost from Redis are added again by the periodic sweep', { skip: kind !== 'bullmq' }, async () => {
      const cluster = fakeCluster();
      const w = world();
      const a = node(cluster, `a-${uniq()}`, w, 300);
      const inst = `inst-${uniq()}`;
      await cluster.assign(inst, a.nodeId);
      await a.start();
      const op = await a.queue.enqueue(newOp(inst, 'lost', Date.now() + 60_000));
      // Redis loses the node's queue (a flush); PostgreSQL still holds the operation. It becomes due.
      const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
      const raw = new Queue(operationsQueueName(a.nodeId), { connection, prefix });
      await raw.obliterate({ force: true });
      await raw.close();
      await connection.quit();
      await place.handle.db.updateTable('operations').set({ run_at: new Date().toISOString() }).where('id', '=', op.id).execute();
      await waitFor('the sweep to run it', async () => (await statusOf(a.queue, op.id)) === 'succeeded');
      assert.deepEqual(
        w.effects.map((e) => [e.name, e.node]),
        [['lost', a.nodeId]],
      );
    });

    it("restarting a node never re-runs another live node's step in flight, even on an instance it now owns", async () => {
      const cluster = fakeCluster();
      const w = world();
      const a = node(cluster, `a-${uniq()}`, w);
      const bId = `b-${uniq()}`;
      const b = node(cluster, bId, w);
      const inst = `inst-${uniq()}`;
      await cluster.assign(inst, a.nodeId);
      await a.start();
      await b.start();
      const t = Date.now();
      const inFlight = newOp(inst, 'in-flight', t);
      const open = w.gate(inFlight.id);
      await a.queue.enqueue(inFlight);
      await waitFor('the step to start on a', () => w.entered.has(`${inFlight.id}@${a.nodeId}`));
      const next = await a.queue.enqueue(newOp(inst, 'next', t + 1));
      // The instance is handed over to b while a's step is still in flight (a keeps heartbeating its lease).
      await cluster.assign(inst, b.nodeId);
      await b.queue.stop();
      const b2 = node(cluster, bId, w);
      await b2.start();
      // Longer than a lease: a live runner's heartbeats keep the step a's.
      await new Promise((r) => setTimeout(r, LEASE_MS + 1500));
      await b2.queue.runDue();
      const held = await b2.queue.get(inFlight.id);
      assert.equal(held?.status, 'running');
      assert.equal(held?.leaseOwner, a.nodeId);
      assert.equal(held?.attempts, 1);
      assert.equal(await statusOf(b2.queue, next.id), 'scheduled', 'the next operation waits for the step in flight');
      assert.equal(w.effects.length, 0, "nothing ran while a's step was in flight");
      open();
      await waitFor('both to succeed', async () => (await statusOf(b2.queue, inFlight.id)) === 'succeeded' && (await statusOf(b2.queue, next.id)) === 'succeeded');
      assert.deepEqual(
        w.effects.map((e) => [e.name, e.node]),
        [
          ['in-flight', a.nodeId],
          ['next', bId],
        ],
      );
      assert.equal(w.state.overlap, false);
    });
  });
}
