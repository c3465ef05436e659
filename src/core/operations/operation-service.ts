/**
 * Paced actions and durable operations: the one entry point every API (native and dialects) uses
 * to create groups and add people. An action that pacing lets run now runs now, inside the request,
 * yet is stored as an operation first (so a crash mid-call is reconciled on the next start); one
 * that must wait becomes a scheduled operation, or is refused with `rate_limited` when the caller
 * cannot queue.
 */
import type { OperationQueue } from '../ports/operation-queue.js';
import { DomainError, isDomainError, type ErrorCode } from '../common/errors.js';
import type { EventLog } from '../events/event-log.js';
import { validateDescription, validateSubject, type GroupView } from '../groups/group-service.js';
import { ulid } from '../common/ids.js';
import type { Instance } from '../instances/instance-model.js';
import { createOperationHandlers, type HandlerDeps } from './operation-handlers.js';
import { isFinal, type Operation, type OperationKind, type OperationStatus } from './operation-model.js';
import type { Outcome } from '../outcomes/outcomes.js';
import { addPauseMs, nextCreateSlot } from '../pacing/pacing-service.js';
import type { CreateGroupInput } from '../participants/participant-service.js';
import { normalizePeople, type PersonRef } from '../common/phone.js';
import type { Store } from '../ports/store.js';

export type WhenPaced = 'queue' | 'refuse';
export interface PacedOptions {
  /**
   * `queue`: a paced action becomes a scheduled operation. `refuse`: it throws `rate_limited` with
   * retryAfterSeconds. `instance`: as the instance's `queueWhenPaced` says (what provider dialects use).
   */
  whenPaced: WhenPaced | 'instance';
}
export type PacedResult<T> = { status: 'done'; value: T } | { status: 'scheduled'; operation: OperationView };

/** An operation as clients see it. */
export interface OperationView {
  id: string;
  instanceId: string;
  kind: OperationKind;
  status: OperationStatus;
  runAt: string;
  attempts: number;
  progress: Operation['progress'];
  result: unknown;
  error: Operation['error'];
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

export function operationView(op: Operation): OperationView {
  return {
    id: op.id,
    instanceId: op.instanceId,
    kind: op.kind,
    status: op.status,
    runAt: new Date(op.runAt).toISOString(),
    attempts: op.attempts,
    progress: op.progress,
    result: op.result ?? null,
    error: op.error,
    createdAt: new Date(op.createdAt).toISOString(),
    updatedAt: new Date(op.updatedAt).toISOString(),
    startedAt: iso(op.startedAt),
    finishedAt: iso(op.finishedAt),
  };
}

/** The core services and the queue the paced entry points run on. */
export interface OperationServiceDeps extends Omit<HandlerDeps, 'createdGroupIds'> {
  queue: OperationQueue;
  store: Store;
  events: EventLog;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The smallest ULID of a millisecond: events appended at or after `t` sort after it. */
function ulidFloor(t: number): string {
  let out = '';
  let v = Math.max(0, t);
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[v % 32] + out;
    v = Math.floor(v / 32);
  }
  return out + '0'.repeat(16);
}

export function createOperationService(deps: OperationServiceDeps) {
  const { queue, store, events, instances, groups, participants, pacing, now } = deps;

  const handlers = createOperationHandlers({
    ...deps,
    async createdGroupIds(instanceId, exceptOperationId) {
      const { items } = await queue.list(instanceId, { kind: 'group.create', limit: 1000, offset: 0 });
      return new Set(items.filter((o) => o.id !== exceptOperationId && typeof o.checkpoint.groupId === 'string').map((o) => o.checkpoint.groupId as string));
    },
  });

  const newId = () => `op_${ulid(now()).toLowerCase()}`;
  const secondsUntil = (t: number) => Math.max(1, Math.ceil((t - now()) / 1000));

  function pacedRefusal(what: string, at: number): DomainError {
    const seconds = secondsUntil(at);
    return new DomainError('rate_limited', `pacing: the next ${what} may run at ${new Date(at).toISOString()}; retry after ${seconds} seconds`, { retryAt: new Date(at).toISOString() }, seconds);
  }

  /** Runs an action directly (pacing off), still backing the instance off on a 429. */
  async function direct<T>(instanceId: string, fn: () => Promise<T>): Promise<PacedResult<T>> {
    try {
      return { status: 'done', value: await fn() };
    } catch (err) {
      if (isDomainError(err) && err.code === 'rate_limited') {
        const until = await pacing.backOff(instanceId);
        throw new DomainError('rate_limited', err.message, err.details, secondsUntil(until));
      }
      throw err;
    }
  }

  /** The answer of an operation run inside the request. */
  function settle<T>(op: Operation, value: (result: unknown) => T): PacedResult<T> {
    if (op.status === 'succeeded') return { status: 'done', value: value(op.result) };
    if (op.status === 'failed' && op.error) {
      const e = op.error as Operation['error'] & { retryAfterSeconds?: number };
      throw new DomainError(e!.code as ErrorCode, e!.message, e!.details, e!.retryAfterSeconds);
    }
    return { status: 'scheduled', operation: operationView(op) };
  }

  const resolve = (options: PacedOptions, queueWhenPaced: boolean): WhenPaced =>
    options.whenPaced === 'instance' ? (queueWhenPaced ? 'queue' : 'refuse') : options.whenPaced;

  function people(instance: Instance, inputs: unknown[]): PersonRef[] {
    const refs = normalizePeople(inputs);
    const own = refs.filter((r) => instance.phone && r.phone === instance.phone);
    if (own.length) throw new DomainError('invalid_participant', "the instance's own number cannot be a participant", { invalid: own.map((r) => r.input) });
    if (refs.length === 0) throw new DomainError('validation_failed', 'participants must list at least one person');
    return refs;
  }

  /** Emits `operation.succeeded|failed` once: after a crash between finishing and this, the log is checked first. */
  async function announce(op: Operation): Promise<void> {
    if (!(await store.instances.get(op.instanceId))) return; // the instance was deleted with its log
    const type = op.status === 'succeeded' ? 'operation.succeeded' : 'operation.failed';
    const since = ulidFloor((op.finishedAt ?? now()) - 1000);
    const recent = await store.events.listAcross([op.instanceId], since, 1000);
    if (recent.some((e) => e.type === type && e.data.operationId === op.id)) return;
    const result = op.result as { id?: string; groupId?: string } | null;
    const groupId = op.kind === 'group.create' ? result?.id : result?.groupId;
    await events.transact((_tx, emit) =>
      emit(op.instanceId, type, {
        operationId: op.id,
        kind: op.kind,
        status: op.status,
        progress: op.progress,
        ...(groupId ? { groupId } : {}),
        ...(op.error ? { error: op.error } : {}),
      }),
    );
  }

  return {
    /** Starts the background runner (resuming what a previous process left). */
    start: () => queue.start(handlers.handle, announce),
    stop: () => queue.stop(),

    async get(instanceId: string, id: string): Promise<OperationView> {
      await instances.get(instanceId);
      const op = await queue.get(id);
      if (!op || op.instanceId !== instanceId) throw new DomainError('operation_not_found', `no such operation: ${id}`);
      return operationView(op);
    },

    async list(instanceId: string, query: { status?: OperationStatus; kind?: OperationKind; limit?: number; offset?: number }) {
      await instances.get(instanceId);
      const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
      const offset = Math.max(query.offset ?? 0, 0);
      const { items, total } = await queue.list(instanceId, { status: query.status, kind: query.kind, limit, offset });
      return { operations: items.map(operationView), total, limit, offset };
    },

    /** Cancels what has not started; `operation_not_cancellable` otherwise. */
    async cancel(instanceId: string, id: string): Promise<OperationView> {
      await instances.get(instanceId);
      const existing = await queue.get(id);
      if (!existing || existing.instanceId !== instanceId) throw new DomainError('operation_not_found', `no such operation: ${id}`);
      const cancelled = await queue.cancel(id);
      if (cancelled === undefined) throw new DomainError('operation_not_found', `no such operation: ${id}`);
      if (cancelled === 'not_cancellable') {
        const now2 = await queue.get(id);
        const status = now2?.status ?? existing.status;
        const hint = isFinal(status) ? 'it already ended' : 'it is running';
        throw new DomainError('operation_not_cancellable', `operation ${id} cannot be cancelled: ${hint} (status ${status})`, { status });
      }
      if (cancelled.kind === 'group.create' && existing.progress.done === 0) {
        // Give the reserved creation slot back, so later requests are not spaced after a group that will never exist.
        await pacing.locked(instanceId, async () => {
          const state = await pacing.state(instanceId);
          const i = state.slots.lastIndexOf(existing.runAt);
          if (i >= 0) await pacing.save(instanceId, { ...state, slots: state.slots.filter((_, j) => j !== i) });
        });
      }
      return operationView(cancelled);
    },

    /** Creates a group now, or schedules it when pacing says wait (or refuses, per `whenPaced`). */
    async createGroup(instanceId: string, input: CreateGroupInput, options: PacedOptions): Promise<PacedResult<GroupView & { outcomes: Outcome[] }>> {
      const instance = await instances.get(instanceId);
      validateSubject(input.name);
      if (input.description !== undefined) validateDescription(input.description);
      people(instance, input.participants);
      const policy = await pacing.policy(instanceId);
      const whenPaced = resolve(options, policy.queueWhenPaced);
      const stored = { ...input } as unknown as Record<string, unknown>;

      const decision = await pacing.locked(instanceId, async () => {
        const state = await pacing.state(instanceId);
        if (!policy.enabled && state.backoffUntil <= now()) return { run: 'direct' as const };
        const at = nextCreateSlot(policy, state, now(), pacing.random);
        if (at <= now()) {
          await pacing.save(instanceId, { ...state, slots: [...state.slots, now()] });
          return { run: 'now' as const };
        }
        if (whenPaced === 'refuse') return { run: 'refuse' as const, at };
        await pacing.save(instanceId, { ...state, slots: policy.enabled ? [...state.slots, at] : state.slots });
        return { run: 'later' as const, at };
      });

      switch (decision.run) {
        case 'direct':
          return direct(instanceId, () => participants.create(instanceId, input));
        case 'refuse':
          throw pacedRefusal('group creation', decision.at);
        case 'later': {
          const op = await queue.enqueue({ id: newId(), instanceId, kind: 'group.create', runAt: decision.at, input: stored, progress: { done: 0, total: 1 } });
          return { status: 'scheduled', operation: operationView(op) };
        }
        case 'now': {
          const op = await queue.runNow({
            id: newId(),
            instanceId,
            kind: 'group.create',
            runAt: now(),
            input: stored,
            checkpoint: { inline: true, whenPaced },
            progress: { done: 0, total: 1 },
          });
          return settle(op, (r) => r as GroupView & { outcomes: Outcome[] });
        }
      }
    },

    /**
     * Adds people now (up to one batch, when pacing allows), or as an operation: more than one batch
     * always becomes an operation that adds them batch by batch with pauses.
     */
    async addParticipants(
      instanceId: string,
      groupId: string,
      inputs: unknown[],
      inviteOnPrivacyRefusal: boolean | undefined,
      options: PacedOptions,
    ): Promise<PacedResult<{ outcomes: Outcome[] }>> {
      const instance = await instances.get(instanceId);
      const refs = people(instance, inputs);
      const policy = await pacing.policy(instanceId);
      const whenPaced = resolve(options, policy.queueWhenPaced);
      const input = { groupId, participants: refs.map((r) => r.input), ...(inviteOnPrivacyRefusal !== undefined ? { inviteOnPrivacyRefusal } : {}) };
      const bulk = policy.enabled && refs.length > policy.addBatchSize;

      const decision = await pacing.locked(instanceId, async () => {
        const state = await pacing.state(instanceId);
        if (!policy.enabled && state.backoffUntil <= now()) return { run: 'direct' as const };
        const at = Math.max(now(), state.backoffUntil, policy.enabled ? state.nextAddAt : 0);
        if (!bulk && at <= now()) {
          await pacing.save(instanceId, { ...state, nextAddAt: now() + addPauseMs(policy, pacing.random) });
          return { run: 'now' as const };
        }
        if (whenPaced === 'refuse' && at > now()) return { run: 'refuse' as const, at };
        return { run: 'later' as const, at };
      });

      switch (decision.run) {
        case 'direct':
          return direct(instanceId, () => participants.add(instanceId, groupId, inputs, inviteOnPrivacyRefusal));
        case 'refuse':
          throw pacedRefusal('participant batch', decision.at);
        case 'later': {
          await groups.stored(instanceId, groupId); // an unknown group is refused now, not after the wait
          const op = await queue.enqueue({ id: newId(), instanceId, kind: 'participants.add', runAt: decision.at, input, progress: { done: 0, total: refs.length, counts: {} } });
          return { status: 'scheduled', operation: operationView(op) };
        }
        case 'now': {
          const op = await queue.runNow({
            id: newId(),
            instanceId,
            kind: 'participants.add',
            runAt: now(),
            input,
            checkpoint: { inline: true, whenPaced },
            progress: { done: 0, total: refs.length, counts: {} },
          });
          return settle(op, (r) => ({ outcomes: (r as { outcomes: Outcome[] }).outcomes }));
        }
      }
    },
  };
}

export type OperationService = ReturnType<typeof createOperationService>;
