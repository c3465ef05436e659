/**
 * The embedded operation queue: operations live in the app database (`OperationStorage`) and run in
 * this process. One node only: on start it takes over every operation a previous process left
 * running, whatever its lease. Operations of one instance run one at a time (pacing is per
 * instance); different instances run side by side up to `concurrency`.
 */
import type { Logger } from 'pino';
import type { Operation } from '../../core/operations/operation-model.js';
import {
  LeaseLostError,
  type NewOperation,
  type OperationHandler,
  type OperationQueue,
  type OperationRun,
  type OperationStep,
  type OperationStorage,
  type SettledListener,
  type Timer,
} from '../../core/ports/operation-queue.js';

export interface EmbeddedQueueOptions {
  storage: OperationStorage;
  now: () => number;
  logger: Logger;
  /** Injectable timer; the default uses unref'd `setTimeout`, so a pending wake-up never holds the process open. */
  timer?: Timer;
  /** This runner's id in lease columns. */
  owner: string;
  leaseMs?: number;
  concurrency?: number;
  /** Longest sleep between two looks at the table (clock changes, another writer). */
  maxSleepMs?: number;
  /** Test-only: called at named points; the crash test makes it kill the process. */
  crashPoint?: (name: string) => void;
}

export const realTimer: Timer = {
  set(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, Math.min(ms, 2_147_483_647)));
    handle.unref();
    return handle;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Creates the embedded queue over its storage. */
export function createEmbeddedQueue(options: EmbeddedQueueOptions): OperationQueue {
  const { storage, now, logger, owner } = options;
  const timer = options.timer ?? realTimer;
  const leaseMs = options.leaseMs ?? 60_000;
  const concurrency = options.concurrency ?? 4;
  const maxSleepMs = options.maxSleepMs ?? 60_000;
  const crashPoint = options.crashPoint ?? (() => {});

  let handler: OperationHandler | undefined;
  let onSettled: SettledListener | undefined;
  let running = false;
  let wakeHandle: unknown;
  let ticking: Promise<number> | undefined;
  let again = false;
  /** Instances with a step in flight (background or inline). */
  const busy = new Set<string>();
  const inFlight = new Set<Promise<unknown>>();

  function newRecord(op: NewOperation, t: number): Operation {
    return {
      ...op,
      status: 'scheduled',
      attempts: 0,
      checkpoint: op.checkpoint ?? {},
      result: null,
      error: null,
      leaseOwner: null,
      leaseUntil: null,
      notified: false,
      createdAt: t,
      updatedAt: t,
      startedAt: null,
      finishedAt: null,
    };
  }

  /** Runs one claimed step: handler, heartbeats, then the resulting transition. */
  async function execute(op: Operation): Promise<Operation> {
    if (!handler) throw new Error('the operation queue is not started');
    let lost = false;
    const beat = () => {
      hb = timer.set(() => {
        storage.heartbeat(op.id, owner, now() + leaseMs, now()).then(
          (ok) => {
            if (!ok) lost = true;
            else if (!lost) beat();
          },
          (err) => logger.warn({ err, operationId: op.id }, 'operation heartbeat failed'),
        );
      }, leaseMs / 3);
    };
    let hb: unknown;
    beat();
    const run: OperationRun = {
      operation: op,
      async save(checkpoint, progress) {
        if (lost || !(await storage.save(op.id, owner, { checkpoint, progress }, now()))) throw new LeaseLostError(op.id);
        op.checkpoint = checkpoint;
        if (progress) op.progress = progress;
      },
      crashPoint,
    };
    let step: OperationStep;
    try {
      step = await handler(run);
    } catch (err) {
      if (err instanceof LeaseLostError) {
        timer.clear(hb);
        logger.warn({ operationId: op.id }, 'operation taken over by another runner');
        return (await storage.get(op.id)) ?? op;
      }
      logger.error({ err, operationId: op.id }, 'operation step failed');
      step = { status: 'failed', error: { code: 'internal_error', message: 'internal error' } };
    } finally {
      timer.clear(hb);
    }
    const t = now();
    if (step.status === 'scheduled') {
      await storage.reschedule(op.id, owner, step.runAt, t);
    } else {
      const ok = await storage.finish(
        op.id,
        owner,
        { status: step.status, result: step.status === 'succeeded' ? step.result : (step.result ?? null), error: step.status === 'failed' ? step.error : null },
        t,
      );
      if (ok) {
        crashPoint('operation.after-finish');
        const settled = await storage.get(op.id);
        if (settled) await announce(settled);
      }
    }
    return (await storage.get(op.id)) ?? op;
  }

  async function announce(op: Operation): Promise<void> {
    if (!onSettled) return;
    try {
      await onSettled(op);
      await storage.markNotified(op.id);
    } catch (err) {
      logger.error({ err, operationId: op.id }, 'announcing an operation failed; retried on the next start');
    }
  }

  /** Claims and runs what is due, one step per instance at a time. */
  async function tick(): Promise<number> {
    let ran = 0;
    for (;;) {
      const t = now();
      const due = (await storage.due(t, 50)).filter((op) => !busy.has(op.instanceId));
      const batch: Operation[] = [];
      for (const op of due) {
        if (batch.length + busy.size >= concurrency) break;
        if (batch.some((b) => b.instanceId === op.instanceId)) continue;
        if (await storage.claim(op.id, owner, t, t + leaseMs)) batch.push({ ...op, status: 'running', attempts: op.attempts + 1, leaseOwner: owner });
      }
      if (batch.length === 0) return ran;
      await Promise.all(
        batch.map(async (op) => {
          busy.add(op.instanceId);
          try {
            await execute(op);
          } finally {
            busy.delete(op.instanceId);
          }
        }),
      );
      ran += batch.length;
    }
  }

  function track<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => {});
    return p;
  }

  /** One tick at a time; a wake during a tick runs another right after it. */
  function kick(): Promise<number> {
    if (ticking) {
      again = true;
      return ticking;
    }
    ticking = track(
      (async () => {
        let total = 0;
        do {
          again = false;
          total += await tick();
        } while (again && running);
        return total;
      })(),
    ).finally(() => {
      ticking = undefined;
      if (running) void arm();
    });
    return ticking;
  }

  /** Sleeps until the earliest scheduled operation is due (at most `maxSleepMs`). */
  async function arm(): Promise<void> {
    if (!running) return;
    if (wakeHandle !== undefined) timer.clear(wakeHandle);
    wakeHandle = undefined;
    let next: number | undefined;
    try {
      next = await storage.nextRunAt();
    } catch (err) {
      logger.error({ err }, 'reading the operation queue failed');
    }
    if (!running) return;
    const delay = next === undefined ? maxSleepMs : Math.min(Math.max(0, next - now()), maxSleepMs);
    wakeHandle = timer.set(() => {
      wakeHandle = undefined;
      kick().catch((err) => logger.error({ err }, 'running due operations failed'));
    }, delay);
  }

  return {
    async enqueue(op) {
      const record = newRecord(op, now());
      await storage.insert(record);
      if (running) this.wake();
      return record;
    },
    get: (id) => storage.get(id),
    findByRequestKey: (requestKey) => storage.byRequestKey(requestKey),
    list: (instanceId, query) => storage.list(instanceId, query),
    async cancel(id) {
      if (await storage.cancel(id, now())) return storage.get(id);
      const op = await storage.get(id);
      return op ? 'not_cancellable' : undefined;
    },

    async runNow(op) {
      const t = now();
      const record = newRecord(op, t);
      await storage.insert(record);
      if (!(await storage.claim(record.id, owner, t, t + leaseMs))) throw new Error(`could not claim new operation ${record.id}`);
      busy.add(op.instanceId);
      try {
        return await track(execute({ ...record, status: 'running', attempts: 1, leaseOwner: owner, startedAt: t }));
      } finally {
        busy.delete(op.instanceId);
      }
    },

    async start(h, settled) {
      handler = h;
      onSettled = settled;
      // A single embedded node owns everything: what a dead process left running starts again now.
      for (const op of await storage.orphans(undefined)) await storage.release(op.id, Math.min(op.runAt, now()), now());
      for (const op of await storage.unnotified(1000)) await announce(op);
      running = true;
      this.wake();
    },

    async stop() {
      running = false;
      if (wakeHandle !== undefined) timer.clear(wakeHandle);
      wakeHandle = undefined;
      await Promise.allSettled([...inFlight]);
    },

    wake() {
      if (!running) return;
      if (wakeHandle !== undefined) timer.clear(wakeHandle);
      wakeHandle = timer.set(() => {
        wakeHandle = undefined;
        kick().catch((err) => logger.error({ err }, 'running due operations failed'));
      }, 0);
    },

    async runDue() {
      let total = 0;
      for (;;) {
        if (ticking) await ticking.catch(() => 0);
        const n = await kick();
        total += n;
        if (n === 0 && !ticking) return total;
      }
    },
  };
}
