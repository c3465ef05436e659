/**
 * The operation queue for cluster mode: PostgreSQL rows (`OperationStorage`) stay the truth and the
 * fence, BullMQ (Redis) is the distributed scheduler.
 *
 * - Each node consumes its own BullMQ queue (`ops-<nodeId>` under the Redis prefix). A job says
 *   "look at instance I": jobs carry no state, so a stale, duplicated or dead node's job is harmless.
 * - `enqueue` stores the operation, then adds a delayed job (delay = runAt - now, jobId = operation
 *   id + runAt, so adding it twice is one job) to the queue of the instance's current owner
 *   (`ownerOf`). While nobody owns the instance, its future owner picks the operation up from
 *   PostgreSQL when it acquires the instance (`onAcquired`), as it does with a dead node's work.
 * - The processor works only on instances this node owns, one step at a time per instance (in
 *   process, serialised per instance) in runAt order: it takes over operations whose runner's lease
 *   lapsed, then claims due operations in PostgreSQL (owner + lease, every write conditional on the
 *   lease) and runs each step through the same step runner as the embedded queue. After it, the
 *   instance's scheduled operations (and any running under another node's live lease) get their
 *   jobs on this node's queue again.
 *
 * Reads (`get`, `list`, `findByRequestKey`) and `cancel` go to PostgreSQL, as in the embedded queue.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SessionOwnership } from '../../core/ports/cluster.js';
import type { Operation } from '../../core/operations/operation-model.js';
import type { OperationQueue, OperationStorage, Timer } from '../../core/ports/operation-queue.js';
import { realTimer } from './embedded-queue.js';
import { createStepRunner, storageReads } from './step-runner.js';

export interface BullmqQueueOptions {
  storage: OperationStorage;
  /** Redis and the key prefix every node of the cluster shares (`groupgate:`). */
  redis: { url: string; prefix: string };
  /** Which instances this node runs; `nodeId` names its queue and is its runner id in lease columns. */
  ownership: SessionOwnership;
  now: () => number;
  logger: Logger;
  /** Injectable timer for heartbeats; the default uses unref'd `setTimeout`. */
  timer?: Timer;
  leaseMs?: number;
  /** Instances stepped side by side on this node. */
  concurrency?: number;
  /** Test-only: called at named points; the crash test makes it kill the process. */
  crashPoint?: (name: string) => void;
  /** How often every owned instance's operations get their jobs again (a safety net for jobs lost in Redis). */
  sweepMs?: number;
}

interface StepJob {
  instanceId: string;
  operationId: string;
  /** When the job was meant to fire. */
  at: number;
}

/** A BullMQ queue name for a node (no `:`, which BullMQ keeps for its own keys). */
export const operationsQueueName = (nodeId: string) => `ops-${nodeId.replace(/[^A-Za-z0-9_.-]/g, '_')}`;

/** Creates the BullMQ-scheduled operation queue of one cluster node. */
export function createBullmqQueue(options: BullmqQueueOptions): OperationQueue {
  const { storage, ownership, now, logger } = options;
  if (!ownership.clustered) throw new Error('the BullMQ operation queue runs in cluster mode only (a clustered SessionOwnership)');
  const sweepMs = options.sweepMs ?? 60_000;
  let sweepHandle: unknown;
  const owner = ownership.nodeId;
  const timer = options.timer ?? realTimer;
  const leaseMs = options.leaseMs ?? 60_000;
  const concurrency = options.concurrency ?? 4;
  const crashPoint = options.crashPoint ?? (() => {});
  const prefix = options.redis.prefix.replace(/:+$/, '') || 'groupgate';
  const steps = createStepRunner({ storage, now, logger, timer, owner, leaseMs, crashPoint });

  const producer = new Redis(options.redis.url, { maxRetriesPerRequest: null, lazyConnect: true });
  producer.on('error', (err) => logger.warn({ err }, 'redis (operation queue) error'));
  /** Producers for every node's queue this node added jobs to. */
  const queues = new Map<string, Queue>();
  let worker: Worker<StepJob> | undefined;
  let workerConnection: Redis | undefined;
  let running = false;
  let listening = false;
  /** Per instance: the drain running now (one step at a time per instance on this node). */
  const draining = new Map<string, { again: boolean; done: Promise<number> }>();
  /** Per instance: a step run inline by `runNow`, which a drain waits for. */
  const inline = new Map<string, Promise<unknown>>();
  const inFlight = new Set<Promise<unknown>>();

  function track<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => {});
    return p;
  }

  function queueOf(nodeId: string): Queue {
    let q = queues.get(nodeId);
    if (!q) {
      q = new Queue(operationsQueueName(nodeId), { connection: producer, prefix });
      q.on('error', (err) => logger.warn({ err, nodeId }, 'operation queue producer error'));
      queues.set(nodeId, q);
    }
    return q;
  }

  /** Adds the job that runs `op` at `at` to `nodeId`'s queue; the same (operation, time) is one job. */
  async function addJob(nodeId: string, op: Pick<Operation, 'id' | 'instanceId'>, at: number, tag = 'run'): Promise<void> {
    const jobId = `${op.id}-${tag}-${at}`;
    await queueOf(nodeId).add('step', { instanceId: op.instanceId, operationId: op.id, at }, { jobId, delay: Math.max(0, at - now()), removeOnComplete: true, removeOnFail: true });
  }

  /** Sends a scheduled operation to its instance's owner; nothing while nobody owns it (its future owner picks it up). */
  async function dispatch(op: Operation): Promise<void> {
    const target = ownership.owns(op.instanceId) ? owner : (await ownership.ownerOf(op.instanceId))?.nodeId;
    if (target) await addJob(target, op, op.runAt);
  }

  /** Hands back as scheduled the instance's operations whose runner's lease lapsed (a dead node's, or a step that lost its lease). */
  async function takeOverLapsed(instanceId: string): Promise<void> {
    const t = now();
    for (const op of await storage.orphans(t, [instanceId])) {
      if (await storage.release(op.id, Math.min(op.runAt, t), t, t))
        logger.info({ operationId: op.id, previousOwner: op.leaseOwner }, 'took over an operation whose runner lapsed');
    }
  }

  /** Puts jobs for the instance's scheduled operations on this node's queue, and a look when another runner's live lease ends. */
  async function pickUp(instanceId: string): Promise<void> {
    if (!ownership.owns(instanceId)) return;
    const { items } = await storage.list(instanceId, { status: 'scheduled', limit: 1000, offset: 0 });
    for (const op of items) await addJob(owner, op, op.runAt);
    for (const op of await storage.orphans(undefined, [instanceId])) {
      if (!steps.runsHere(op.id) && op.leaseUntil !== null) await addJob(owner, op, op.leaseUntil + 1, 'lease');
    }
  }

  /** Runs the instance's due operations one step at a time, in runAt order, while this node owns it; then re-adds jobs for what is left. */
  async function drainOnce(instanceId: string, force: boolean): Promise<number> {
    let ran = 0;
    if (!ownership.owns(instanceId)) return ran;
    await takeOverLapsed(instanceId);
    while ((running || force) && ownership.owns(instanceId)) {
      await inline.get(instanceId);
      // A step under another runner's live lease (a node that just handed the instance over) goes first: pickUp looks again when its lease ends.
      if ((await storage.orphans(undefined, [instanceId])).some((op) => !steps.runsHere(op.id))) break;
      const [due] = await storage.due(now(), 1, [instanceId]);
      if (!due) break;
      const claimed = await steps.claim(due);
      if (!claimed) continue;
      const after = await track(steps.execute(claimed));
      ran++;
      // Handed over during the step: what goes on is the new owner's.
      if (!ownership.owns(instanceId)) {
        const [next] = after.status === 'scheduled' ? [after] : await storage.due(now(), 1, [instanceId]);
        if (next) await dispatch(next);
      }
    }
    if (running) await pickUp(instanceId);
    return ran;
  }

  /**
   * One drain per instance at a time in this process. A drain asked for while one runs makes it look
   * once more when it ends (so a burst of jobs for one instance never fills the worker's slots).
   */
  function drain(instanceId: string, force = false): Promise<number> {
    const current = draining.get(instanceId);
    if (current) {
      current.again = true;
      return current.done;
    }
    const state = { again: false, done: Promise.resolve(0) };
    state.done = (async () => {
      let ran = 0;
      try {
        do {
          state.again = false;
          ran += await drainOnce(instanceId, force);
        } while (state.again && (running || force));
      } finally {
        draining.delete(instanceId);
      }
      return ran;
    })();
    draining.set(instanceId, state);
    return state.done;
  }

  async function process(job: Job<StepJob>): Promise<void> {
    const { instanceId, operationId, at } = job.data;
    if (!ownership.owns(instanceId)) return; // not ours (any more): its owner picked it up from PostgreSQL
    const current = draining.get(instanceId);
    if (current) {
      current.again = true; // the running drain looks again; this job's slot is free at once
      void current.done.then(() => early(operationId, at)).catch((err) => logger.warn({ err, operationId }, 'scheduling an operation job failed'));
      return;
    }
    await drain(instanceId);
    await early(operationId, at);
  }

  /** A job that fired before its operation was due (clocks differ between nodes): one more job, under a fresh id (the old one may still exist). */
  async function early(operationId: string, at: number): Promise<void> {
    const op = await storage.get(operationId);
    if (running && op?.status === 'scheduled' && op.runAt === at && op.runAt > now() && ownership.owns(op.instanceId)) await addJob(owner, op, op.runAt, `again${now()}`);
  }

  return {
    async enqueue(op) {
      const record = steps.newRecord(op, now());
      await storage.insert(record);
      try {
        await dispatch(record);
      } catch (err) {
        // Stored is accepted: its owner picks it up when it next looks at the instance.
        logger.warn({ err, operationId: record.id }, 'scheduling an operation job failed');
      }
      return record;
    },
    ...storageReads(storage, now),

    async runNow(op) {
      const t = now();
      // Stored already claimed: a runner looking at this instance meanwhile sees a live lease, not a due operation.
      const claimed = steps.claimedRecord(op, t);
      await storage.insert(claimed);
      const step = track(steps.execute(claimed));
      const settled = step.catch(() => {});
      inline.set(op.instanceId, settled);
      try {
        const after = await step;
        if (after.status === 'scheduled') await dispatch(after).catch((err) => logger.warn({ err, operationId: after.id }, 'scheduling an operation job failed'));
        return after;
      } finally {
        if (inline.get(op.instanceId) === settled) inline.delete(op.instanceId);
        // A drain that saw this step running (claimed, not yet started here) stood back: look again.
        if (running && ownership.owns(op.instanceId)) void drain(op.instanceId).catch((err) => logger.warn({ err, instanceId: op.instanceId }, 'running due operations failed'));
      }
    },

    async start(h, settled) {
      steps.bind(h, settled);
      running = true;
      await producer.connect().catch((err: unknown) => {
        if (producer.status !== 'ready' && producer.status !== 'connect' && producer.status !== 'connecting') throw err;
      });
      workerConnection = new Redis(options.redis.url, { maxRetriesPerRequest: null });
      workerConnection.on('error', (err) => logger.warn({ err }, 'redis (operation worker) error'));
      worker = new Worker<StepJob>(operationsQueueName(owner), process, { connection: workerConnection, prefix, concurrency });
      worker.on('failed', (job, err) => logger.error({ err, instanceId: job?.data.instanceId }, 'operation job failed'));
      worker.on('error', (err) => logger.warn({ err }, 'operation worker error'));
      if (!listening) {
        listening = true;
        ownership.onAcquired(async (instanceId) => {
          if (!running) return;
          try {
            for (const op of await storage.unnotified(1000, [instanceId])) await steps.announce(op);
            await takeOverLapsed(instanceId);
            await pickUp(instanceId);
          } catch (err) {
            logger.error({ err, instanceId }, 'picking up operations of an acquired instance failed');
          }
        });
      }
      // Only what this node owns, and only once its runner's lease lapsed: never a live node's step.
      for (const instanceId of ownership.owned()) {
        for (const op of await storage.unnotified(1000, [instanceId])) await steps.announce(op);
        await takeOverLapsed(instanceId);
        await pickUp(instanceId);
      }
      const sweep = () => {
        sweepHandle = timer.set(() => {
          if (!running) return;
          void (async () => {
            for (const instanceId of ownership.owned()) await pickUp(instanceId);
          })()
            .catch((err) => logger.warn({ err }, 'sweeping the operation queue failed'))
            .finally(() => {
              if (running) sweep();
            });
        }, sweepMs);
      };
      sweep();
    },

    async stop() {
      if (!running && !worker) return;
      running = false;
      if (sweepHandle !== undefined) timer.clear(sweepHandle);
      // A step in flight finishes; no drain takes another.
      await worker?.close();
      worker = undefined;
      await Promise.allSettled([...inFlight]);
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
      queues.clear();
      await Promise.allSettled([workerConnection?.quit(), producer.status === 'wait' ? producer.disconnect() : producer.status === 'end' ? undefined : producer.quit()]);
      workerConnection = undefined;
    },

    wake() {
      if (!running) return;
      const owned = ownership.owned();
      void storage
        .due(now(), 100, owned)
        .then(async (due) => {
          for (const op of due) if (ownership.owns(op.instanceId)) await addJob(owner, op, op.runAt);
        })
        .catch((err) => logger.warn({ err }, 'waking the operation queue failed'));
    },

    async runDue() {
      let total = 0;
      for (;;) {
        // Background steps first (a worker's drain may hold a claimed step).
        await Promise.allSettled([...[...draining.values()].map((d) => d.done), ...inFlight]);
        const due = (await storage.due(now(), 1000, ownership.owned())).filter((op) => ownership.owns(op.instanceId));
        const instances = [...new Set(due.map((op) => op.instanceId))];
        if (instances.length === 0) {
          if (draining.size === 0 && inFlight.size === 0) return total;
          continue;
        }
        const counts = await Promise.all(instances.map((id) => drain(id, true)));
        const n = counts.reduce((a, c) => a + c, 0);
        total += n;
        if (n === 0) return total;
      }
    },
  };
}
