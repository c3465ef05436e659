/**
 * Running one claimed step of an operation, shared by every queue adapter over `OperationStorage`
 * (the embedded queue and the BullMQ queue): the handler with heartbeats on the lease, then the
 * transition it asked for, every write conditional on still holding the lease; and the completion
 * announcement, retried until it succeeds.
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

/** The queue methods both queues answer straight from the operation storage. */
export function storageReads(storage: OperationStorage, now: () => number): Pick<OperationQueue, 'get' | 'findByRequestKey' | 'list' | 'cancel'> {
  return {
    get: (id) => storage.get(id),
    findByRequestKey: (requestKey) => storage.byRequestKey(requestKey),
    list: (instanceId, query) => storage.list(instanceId, query),
    async cancel(id) {
      if (await storage.cancel(id, now())) return storage.get(id);
      const op = await storage.get(id);
      return op ? 'not_cancellable' : undefined;
    },
  };
}

export interface StepRunnerOptions {
  storage: OperationStorage;
  now: () => number;
  logger: Logger;
  timer: Timer;
  /** This runner's id in lease columns. */
  owner: string;
  leaseMs: number;
  crashPoint: (name: string) => void;
}

export interface StepRunner {
  /** Sets the handler and the settled listener (the queue's `start`). */
  bind(handler: OperationHandler, onSettled: SettledListener): void;
  readonly bound: boolean;
  /** A new scheduled operation record, created at `t`. */
  newRecord(op: NewOperation, t: number): Operation;
  /** A new operation already claimed by this runner: stored in one write, so no other runner can take it between storing and claiming. */
  claimedRecord(op: NewOperation, t: number): Operation;
  /** Claims a scheduled operation for this runner; the claimed operation, or undefined when it was not scheduled any more. */
  claim(op: Operation): Promise<Operation | undefined>;
  /** Runs one claimed step: handler, heartbeats, then the resulting transition. Resolves to the operation as stored afterwards. */
  execute(op: Operation): Promise<Operation>;
  /** Announces a final operation, then marks it notified; a failure is logged and retried later. */
  announce(op: Operation): Promise<void>;
  /** Whether this process runs a step of the operation now (else a running one is another runner's). */
  runsHere(id: string): boolean;
}

export function createStepRunner(options: StepRunnerOptions): StepRunner {
  const { storage, now, logger, timer, owner, leaseMs, crashPoint } = options;
  let handler: OperationHandler | undefined;
  let onSettled: SettledListener | undefined;
  const here = new Set<string>();

  async function announce(op: Operation): Promise<void> {
    if (!onSettled) return;
    try {
      await onSettled(op);
      await storage.markNotified(op.id);
    } catch (err) {
      logger.error({ err, operationId: op.id }, 'announcing an operation failed; retried on the next start');
    }
  }

  return {
    bind(h, settled) {
      handler = h;
      onSettled = settled;
    },
    get bound() {
      return handler !== undefined;
    },

    newRecord(op, t) {
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
    },

    claimedRecord(op, t) {
      return { ...this.newRecord(op, t), status: 'running', attempts: 1, leaseOwner: owner, leaseUntil: t + leaseMs, startedAt: t };
    },

    async claim(op) {
      const t = now();
      if (!(await storage.claim(op.id, owner, t, t + leaseMs))) return undefined;
      return { ...op, status: 'running', attempts: op.attempts + 1, leaseOwner: owner, leaseUntil: t + leaseMs, startedAt: op.startedAt ?? t };
    },

    async execute(op) {
      if (!handler) throw new Error('the operation queue is not started');
      here.add(op.id);
      try {
        return await step(op, handler);
      } finally {
        here.delete(op.id);
      }
    },

    announce,
    runsHere: (id) => here.has(id),
  };

  async function step(op: Operation, handler: OperationHandler): Promise<Operation> {
    let lost = false;
    let hb: unknown;
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
}
