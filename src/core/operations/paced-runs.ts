/**
 * The plumbing every paced action kind shares, on both sides of the queue. At the request: resolve
 * `whenPaced`, run directly (pacing off), refuse with `rate_limited`, schedule an operation, or run
 * it now through the queue (stored first, so a crash mid-call is reconciled on the next start) and
 * turn its end into the request's answer. In a step: the common answer to an engine refusal.
 */
import { DomainError, isDomainError, type ErrorCode } from '../common/errors.js';
import { ulid } from '../common/ids.js';
import type { Operation, OperationError, OperationKind, OperationProgress } from './operation-model.js';
import { operationView, type OperationView } from './operation-view.js';
import type { PacingPolicy, PacingService, WhenPaced } from '../pacing/pacing-service.js';
import type { OperationQueue, OperationRun, OperationStep } from '../ports/operation-queue.js';

export type { WhenPaced };
export interface PacedOptions {
  /**
   * `queue`: a paced action becomes a scheduled operation. `refuse`: it throws `rate_limited` with
   * retryAfterSeconds. `instance`: as the instance's `queueWhenPaced` says (what provider dialects use).
   */
  whenPaced: WhenPaced | 'instance';
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

/** True for the first step of an operation that runs inside the request that made it. */
export const isInline = (op: Operation) => op.checkpoint.inline === true && op.attempts <= 1;

export interface PacedRunsDeps {
  queue: OperationQueue;
  pacing: PacingService;
  now: () => number;
}

/** The shared steps of paced actions over one queue and one pacing service. */
export function createPacedRuns(deps: PacedRunsDeps) {
  const { queue, pacing, now } = deps;
  const newId = () => `op_${ulid(now()).toLowerCase()}`;
  const secondsUntil = (t: number) => Math.max(1, Math.ceil((t - now()) / 1000));

  return {
    /** What to do when paced, for this request and policy. */
    whenPaced: (options: PacedOptions, policy: PacingPolicy): WhenPaced => (options.whenPaced === 'instance' ? (policy.queueWhenPaced ? 'queue' : 'refuse') : options.whenPaced),

    /** The `rate_limited` answer to a paced request that may not wait: the next chance is `at`. */
    refusal(what: string, at: number): DomainError {
      const seconds = secondsUntil(at);
      return new DomainError(
        'rate_limited',
        `pacing: this instance's next ${what} may run at ${new Date(at).toISOString()} (in ${seconds} s). groupgate spaces group creations and add batches like a careful person, so that WhatsApp does not ban the number; retry then, or set queueWhenPaced in the instance's pacing policy to have such requests queued`,
        { retryAt: new Date(at).toISOString() },
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
    async schedule<T>(instanceId: string, kind: OperationKind, runAt: number, input: Record<string, unknown>, progress: OperationProgress): Promise<PacedResult<T>> {
      const op = await queue.enqueue({ id: newId(), instanceId, kind, runAt, input, progress });
      return { status: 'scheduled', operation: operationView(op) };
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
    ): Promise<PacedResult<T>> {
      const op = await queue.runNow({ id: newId(), instanceId, kind, runAt: now(), input, checkpoint: { inline: true, whenPaced }, progress });
      if (op.status === 'succeeded') return { status: 'done', value: value(op.result) };
      if (op.status === 'failed' && op.error) {
        const e = op.error as Operation['error'] & { retryAfterSeconds?: number };
        throw new DomainError(e!.code as ErrorCode, e!.message, e!.details, e!.retryAfterSeconds);
      }
      return { status: 'scheduled', operation: operationView(op) };
    },

    /** The common answer to an engine refusal in a step: back off on 429, wait for a reconnection, else fail. */
    async refused(run: OperationRun, err: unknown, cp: Record<string, unknown>, partial?: unknown): Promise<OperationStep> {
      if (!isDomainError(err)) throw err;
      const op = run.operation;
      await run.save({ ...cp, stage: 'idle' });
      if (err.code === 'rate_limited') {
        const until = await pacing.backOff(op.instanceId);
        if (isInline(op) && op.checkpoint.whenPaced === 'refuse') {
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
