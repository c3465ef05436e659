/**
 * The operation-queue port: durable operations, run when due, exactly one runner at a time.
 *
 * `OperationQueue` is what the core uses. Both adapters keep operations in the app database through
 * `OperationStorage`: the embedded one (`adapters/queue/embedded-queue.ts`) runs them in this
 * process; the BullMQ one (`adapters/queue/bullmq-queue.ts`, cluster mode) schedules each step on
 * the node that owns the instance, through one Redis queue per node. The
 * claim model is shaped for that: a runner claims an operation with an owner id and a lease,
 * extends the lease by heartbeats while it runs, and every write it makes is conditional on still
 * owning the lease, so an operation whose runner died is taken over once its lease lapses.
 */
import type { Operation, OperationError, OperationKind, OperationProgress, OperationStatus } from '../operations/operation-model.js';

export interface NewOperation {
  id: string;
  instanceId: string;
  kind: OperationKind;
  runAt: number;
  input: Record<string, unknown>;
  checkpoint?: Record<string, unknown>;
  progress: OperationProgress;
  /** The client request that started it (see `PacedOptions.requestKey`); unique among operations. */
  requestKey?: string;
}

/** What a handler decides after a step. */
export type OperationStep =
  | { status: 'succeeded'; result: unknown }
  | { status: 'failed'; error: OperationError; result?: unknown }
  /** Not finished: run again at `runAt` (pacing, backoff, next batch). The checkpoint saved so far is kept. */
  | { status: 'scheduled'; runAt: number };

/** The handle a handler gets for the operation it runs. */
export interface OperationRun {
  operation: Operation;
  /** Durably saves checkpoint and progress before the handler goes on. Throws `LeaseLostError` when another runner took over. */
  save(checkpoint: Record<string, unknown>, progress?: OperationProgress): Promise<void>;
  /** Test-only crash points: a no-op unless the process was started to die at `name`. */
  crashPoint(name: string): void;
}

/** Runs one step of an operation. Throwing counts as a failure of the operation with `internal_error`. */
export type OperationHandler = (run: OperationRun) => Promise<OperationStep>;

/** Called once an operation reached a final status, before it is marked notified (retried on start until it succeeds). */
export type SettledListener = (operation: Operation) => Promise<void>;

export class LeaseLostError extends Error {
  constructor(id: string) {
    super(`operation ${id} is no longer owned by this runner`);
    this.name = 'LeaseLostError';
  }
}

export interface OperationListQuery {
  status?: OperationStatus;
  kind?: OperationKind;
  limit: number;
  offset: number;
}

export interface OperationQueue {
  // --- storage ---
  /** Stores a new scheduled operation and wakes the runner. */
  enqueue(op: NewOperation): Promise<Operation>;
  /** Undefined when absent. */
  get(id: string): Promise<Operation | undefined>;
  /** The operation a client request started (its `requestKey`); undefined when none. */
  findByRequestKey(requestKey: string): Promise<Operation | undefined>;
  /** An instance's operations, newest first. */
  list(instanceId: string, query: OperationListQuery): Promise<{ items: Operation[]; total: number }>;
  /** Cancels a scheduled operation: the operation, `not_cancellable` (it ran or runs), or undefined when absent. */
  cancel(id: string): Promise<Operation | 'not_cancellable' | undefined>;

  // --- running ---
  /**
   * Stores a new operation already claimed by the caller and runs it now, in the caller, through the
   * handler; resolves to the operation after that step (final, or scheduled again). Crash-safe like
   * any other: if the process dies meanwhile, the operation is resumed on the next start.
   */
  runNow(op: NewOperation): Promise<Operation>;
  /** Starts the background runner: takes over what a previous process left, then runs what is due. */
  start(handler: OperationHandler, onSettled: SettledListener): Promise<void>;
  /** Stops taking work and waits for running steps to end. Idempotent. */
  stop(): Promise<void>;
  /** Something may be due sooner than the runner thought: look again now. */
  wake(): void;
  /** Runs every due operation step until none is due; resolves when they have ended (tests, with a manual clock). */
  runDue(): Promise<number>;
}

/** Storage the embedded adapter runs on. Every `owner`-guarded write returns false when the lease is not the caller's. */
export interface OperationStorage {
  /** Stores a new operation with its `requestKey` (one write: the request and its operation are recorded together). */
  insert(op: Operation): Promise<void>;
  get(id: string): Promise<Operation | undefined>;
  /** Undefined when no operation carries this request key. */
  byRequestKey(requestKey: string): Promise<Operation | undefined>;
  list(instanceId: string, query: OperationListQuery): Promise<{ items: Operation[]; total: number }>;
  /** Scheduled operations with runAt <= now, earliest first; only those of `instanceIds` when given (a cluster node's own). */
  due(now: number, limit: number, instanceIds?: readonly string[]): Promise<Operation[]>;
  /** Earliest runAt among scheduled operations (of `instanceIds` when given). */
  nextRunAt(instanceIds?: readonly string[]): Promise<number | undefined>;
  /** scheduled -> running for `owner` until `leaseUntil`; attempts + 1. False when it was not scheduled any more. */
  claim(id: string, owner: string, now: number, leaseUntil: number): Promise<boolean>;
  /** Running operations whose lease lapsed before `now` (or every running one when `now` is undefined); only those of `instanceIds` when given. */
  orphans(now: number | undefined, instanceIds?: readonly string[]): Promise<Operation[]>;
  /**
   * running (any owner) -> scheduled at `runAt`, lease cleared: a takeover of an orphan. With
   * `lapsedBefore`, only while its lease still lapsed before that time (a runner that heartbeat
   * meanwhile keeps it). False when nothing changed.
   */
  release(id: string, runAt: number, now: number, lapsedBefore?: number): Promise<boolean>;
  heartbeat(id: string, owner: string, leaseUntil: number, now: number): Promise<boolean>;
  save(id: string, owner: string, patch: { checkpoint: Record<string, unknown>; progress?: OperationProgress }, now: number): Promise<boolean>;
  /** running -> scheduled at `runAt`, lease cleared. */
  reschedule(id: string, owner: string, runAt: number, now: number): Promise<boolean>;
  /** running -> succeeded/failed with result/error, lease cleared, notified 0. */
  finish(id: string, owner: string, outcome: { status: 'succeeded' | 'failed'; result: unknown; error: OperationError | null }, now: number): Promise<boolean>;
  /** scheduled -> cancelled. False when it was not scheduled. */
  cancel(id: string, now: number): Promise<boolean>;
  /** Deletes every operation of an instance (the instance was deleted). */
  deleteInstance(instanceId: string): Promise<void>;
  /** Final operations whose completion was not yet announced (of `instanceIds` when given). */
  unnotified(limit: number, instanceIds?: readonly string[]): Promise<Operation[]>;
  markNotified(id: string): Promise<void>;
}

/** Injectable timer so tests never wait on real time. */
export interface Timer {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}
