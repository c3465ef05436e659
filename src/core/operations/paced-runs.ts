/**
 * The plumbing every paced action kind shares, on both sides of the queue. At the request: resolve
 * `whenPaced`, run directly (pacing off), refuse with `rate_limited`, schedule an operation, or run
 * it now through the queue (stored first, so a crash mid-call is reconciled on the next start) and
 * turn its end into the request's answer. In a step: the common answer to an engine refusal.
 */
import { setTimeout as pollDelay } from 'node:timers/promises';
import { DomainError, isDomainError, type ErrorCode } from '../common/errors.js';
import { ulid } from '../common/ids.js';
import { isFinal, type Operation, type OperationError, type OperationKind, type OperationProgress } from './operation-model.js';
import { operationView, type OperationView } from './operation-view.js';
import type { PacedBecause, PacingPolicy, PacingService, WhenPaced } from '../pacing/pacing-service.js';
import type { OperationQueue, OperationRun, OperationStep } from '../ports/operation-queue.js';

export type { WhenPaced };
export interface PacedOptions {
  /**
   * `queue`: a paced action becomes a scheduled operation. `refuse`: it throws `rate_limited` with
   * retryAfterSeconds. `hold`: the request waits for its turn (up to the hold limit) and then runs;
   * past the limit it is refused. `instance`: what provider dialects use: `queue` when the
   * instance's `queueWhenPaced` is on, else `hold`, so a provider client sees a slow answer rather
   * than an error it was never written for.
   */
  whenPaced: WhenPaced | 'instance';
  /**
   * Identifies one client request across its retries (from its Idempotency-Key): stored with the
   * operation it starts, in the same write, so a retry after a crash follows that operation instead
   * of starting another.
   */
  requestKey?: string;
}
export type PacedResult<T> = { status: 'done'; value: T } | { status: 'scheduled'; operation: OperationView };

/** How long a background operation waits for a disconnected instance before trying again. */
export const RECONNECT_WAIT_MS = 60_000;
/** A background operation gives up after this many attempts on a disconnected instance. */
export const MAX_ATTEMPTS = 60;

/** A domain error as an operation stores it. */
export const toOperationError = (err: DomainError): OperationError => ({
  code: err.code,
  message: err.message,
  ...(err.details !== undefined ? { details: err.details } : {}),
  ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
});

/** How long a retried request waits for the operation its first attempt started inside the request. */
export const FOLLOW_MS = 20_000;

/** True for the first step of an operation that runs inside the request that made it. */
export const isInline = (op: Operation) => op.checkpoint.inline === true && op.attempts <= 1;

export interface PacedRunsDeps {
  queue: OperationQueue;
  pacing: PacingService;
  now: () => number;
  /** How long a held request may wait for its turn (GROUPGATE_PACING_HOLD_SECONDS), ms. Default 120 s. */
  pacingHoldMs?: number;
  /** Waits `ms` (a test clock may advance itself instead). Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Shows an operation with its summary (the operation service); without it, the summary has only the stored input. */
  operations?: { view(op: Operation): Promise<OperationView> };
}

/** The default hold limit of a paced provider request. */
export const DEFAULT_PACING_HOLD_MS = 120_000;

const timerSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The shared steps of paced actions over one queue and one pacing service. */
export function createPacedRuns(deps: PacedRunsDeps) {
  const { queue, pacing, now } = deps;
  const holdMs = deps.pacingHoldMs ?? DEFAULT_PACING_HOLD_MS;
  const sleep = deps.sleep ?? timerSleep;
  const newId = () => `op_${ulid(now()).toLowerCase()}`;
  const secondsUntil = (t: number) => Math.max(1, Math.ceil((t - now()) / 1000));
  const view = (op: Operation): Promise<OperationView> => (deps.operations ? deps.operations.view(op) : Promise.resolve(operationView(op)));

  /** An operation after a step, as the request's answer: its result, its error thrown, or scheduled. */
  async function settle<T>(op: Operation, value: (result: unknown) => T): Promise<PacedResult<T>> {
    if (op.status === 'succeeded') return { status: 'done', value: value(op.result) };
    if (op.status === 'failed' && op.error) {
      const e = op.error as Operation['error'] & { retryAfterSeconds?: number };
      throw new DomainError(e!.code as ErrorCode, e!.message, e!.details, e!.retryAfterSeconds);
    }
    return { status: 'scheduled', operation: await view(op) };
  }

  return {
    /** What to do when paced, for this request and policy. */
    whenPaced: (options: PacedOptions, policy: PacingPolicy): WhenPaced => (options.whenPaced === 'instance' ? (policy.queueWhenPaced ? 'queue' : 'hold') : options.whenPaced),

    /** How long a held request may wait for its turn, ms. */
    holdMs,

    /** Waits (holding the request) until the turn pacing reserved for it at `at`. */
    async hold(at: number): Promise<void> {
      const ms = at - now();
      if (ms > 0) await sleep(ms);
    },

    /**
     * The `rate_limited` answer to a paced request that may not wait (or not that long): the next
     * chance is `at`, and the message says why.
     */
    refusal(what: string, at: number, because: PacedBecause = 'pace', whenPaced?: WhenPaced): DomainError {
      const seconds = secondsUntil(at);
      const why =
        because === 'backoff'
          ? 'WhatsApp answered this instance with a rate limit, so it is backing off'
          : `this instance paces each ${what} like a careful person (see its pacing policy)`;
      const held = whenPaced === 'hold' ? `, later than the ${Math.round(holdMs / 1000)} seconds a request may wait` : '';
      return new DomainError(
        'rate_limited',
        whenPaced === 'hold' || because === 'backoff'
          ? `pacing: the next ${what} may run at ${new Date(at).toISOString()}${held}: ${why}; retry after ${seconds} seconds`
          : `pacing: this instance's next ${what} may run at ${new Date(at).toISOString()} (in ${seconds} s). groupgate spaces group creations and add batches like a careful person, so that WhatsApp does not ban the number; retry then, or set queueWhenPaced in the instance's pacing policy to have such requests queued`,
        { retryAt: new Date(at).toISOString(), reason: because },
        seconds,
      );
    },

    /** Runs an action directly (pacing off), still backing the instance off on a 429. */
    async direct<T>(instanceId: string, fn: () => Promise<T>): Promise<PacedResult<T>> {
      try {
        return { status: 'done', value: await fn() };
      } catch (err) {
        if (isDomainError(err) && err.code === 'rate_limited') {
          const until = await pacing.backOff(instanceId);
          throw new DomainError('rate_limited', err.message, err.details, secondsUntil(until));
        }
        throw err;
      }
    },

    /** Stores an operation to run at `runAt`; answers it as scheduled. */
    async schedule<T>(
      instanceId: string,
      kind: OperationKind,
      runAt: number,
      input: Record<string, unknown>,
      progress: OperationProgress,
      requestKey?: string,
    ): Promise<PacedResult<T>> {
      const op = await queue.enqueue({ id: newId(), instanceId, kind, runAt, input, progress, requestKey });
      return { status: 'scheduled', operation: await view(op) };
    },

    /**
     * The operation an earlier attempt of this request started (same `requestKey`), answered as that
     * attempt would have been: one that began inside the request is waited for (up to `FOLLOW_MS`)
     * while it runs or is due; a scheduled one is answered as scheduled. Undefined when there is none.
     */
    async resume<T>(requestKey: string | undefined, value: (result: unknown) => T): Promise<PacedResult<T> | undefined> {
      if (!requestKey) return undefined;
      let op = await queue.findByRequestKey(requestKey);
      if (!op) return undefined;
      // One that was scheduled was answered as accepted: so is its retry, whatever became of it since.
      if (op.checkpoint.inline !== true) return { status: 'scheduled', operation: await view(op) };
      const deadline = Date.now() + FOLLOW_MS;
      queue.wake();
      while (!isFinal(op.status) && (op.status === 'running' || op.runAt <= now() + 1000) && Date.now() < deadline) {
        await pollDelay(50); // real time: the operation runs in this or another process
        op = (await queue.get(op.id)) ?? op;
      }
      return settle(op, value);
    },

    /**
     * Stores an operation and runs its first step now, in the request: its result is the answer, its
     * error is thrown, and an operation that must go on (a 429 while queueing) is answered as scheduled.
     */
    async runNow<T>(
      instanceId: string,
      kind: OperationKind,
      input: Record<string, unknown>,
      whenPaced: WhenPaced,
      progress: OperationProgress,
      value: (result: unknown) => T,
      requestKey?: string,
    ): Promise<PacedResult<T>> {
      const op = await queue.runNow({ id: newId(), instanceId, kind, runAt: now(), input, checkpoint: { inline: true, whenPaced }, progress, requestKey });
      return settle(op, value);
    },

    /** The common answer to an engine refusal in a step: back off on 429, wait for a reconnection, else fail. */
    async refused(run: OperationRun, err: unknown, cp: Record<string, unknown>, partial?: unknown): Promise<OperationStep> {
      if (!isDomainError(err)) throw err;
      const op = run.operation;
      await run.save({ ...cp, stage: 'idle' });
      if (err.code === 'rate_limited') {
        const until = await pacing.backOff(op.instanceId);
        if (isInline(op) && (op.checkpoint.whenPaced === 'refuse' || op.checkpoint.whenPaced === 'hold')) {
          const retry = Math.max(1, Math.ceil((until - now()) / 1000));
          return { status: 'failed', error: toOperationError(new DomainError('rate_limited', err.message, err.details, retry)), result: partial };
        }
        return { status: 'scheduled', runAt: until };
      }
      if (err.code === 'instance_not_connected' && !isInline(op) && op.attempts < MAX_ATTEMPTS) {
        return { status: 'scheduled', runAt: now() + RECONNECT_WAIT_MS };
      }
      return { status: 'failed', error: toOperationError(err), result: partial };
    },
  };
}

export type PacedRuns = ReturnType<typeof createPacedRuns>;
