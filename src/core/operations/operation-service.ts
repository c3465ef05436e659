/**
 * Durable operations as the API shows them: get, list and cancel, and the background runner (start,
 * stop, the completion event). What an operation does is not here: each kind's module (group
 * creation, bulk participant adds) registers its step handler, an optional on-cancel hook and how
 * to read the group its result concerns; this service dispatches to them by kind.
 */
import type { OperationHandler, OperationQueue, OperationStep, OperationRun } from '../ports/operation-queue.js';
import { DomainError, isDomainError } from '../common/errors.js';
import type { EventLog } from '../events/event-log.js';
import type { InstanceService } from '../instances/instance-service.js';
import { isFinal, type Operation, type OperationKind, type OperationStatus } from './operation-model.js';
import { operationView, type OperationView, type OperationViewContext } from './operation-view.js';
import { toOperationError } from './paced-runs.js';
import type { Store } from '../ports/store.js';

export { operationView, type OperationView };
export type { PacedOptions, PacedResult, WhenPaced } from './paced-runs.js';

/** What one operation kind brings to the service. */
export interface OperationKindHooks {
  /** Runs one step. A thrown domain error fails the operation with that error. */
  run: OperationHandler;
  /** Called after an operation of this kind was cancelled, with the operation as it was before. */
  onCancel?(before: Operation): Promise<void>;
  /** The group a succeeded operation's result concerns, for its completion event. */
  groupIdOf?(result: unknown): string | undefined;
}

export interface OperationServiceDeps {
  queue: OperationQueue;
  store: Store;
  events: EventLog;
  instances: InstanceService;
  now: () => number;
  /** The instance's pacing policy, for the batch size an operation's summary names. */
  pacing?: { policy(instanceId: string): Promise<{ enabled: boolean; addBatchSize: number }> };
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
  const { queue, store, events, instances, now } = deps;
  const kinds = new Map<OperationKind, OperationKindHooks>();

  /** Runs one step of any registered operation kind. */
  async function handle(run: OperationRun): Promise<OperationStep> {
    const kind = kinds.get(run.operation.kind);
    if (!kind) throw new Error(`no handler for operation kind ${run.operation.kind}`);
    try {
      return await kind.run(run);
    } catch (err) {
      if (isDomainError(err)) return { status: 'failed', error: toOperationError(err) };
      throw err;
    }
  }

  /** Emits `operation.succeeded|failed` once: after a crash between finishing and this, the log is checked first. */
  async function announce(op: Operation): Promise<void> {
    if (!(await store.instances.get(op.instanceId))) return; // the instance was deleted with its log
    const type = op.status === 'succeeded' ? 'operation.succeeded' : 'operation.failed';
    const since = ulidFloor((op.finishedAt ?? now()) - 1000);
    const recent = await store.events.listAcross([op.instanceId], since, 1000);
    if (recent.some((e) => e.type === type && e.data.operationId === op.id)) return;
    const groupId = op.result ? kinds.get(op.kind)?.groupIdOf?.(op.result) : undefined;
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

  /** What an operation's summary needs beyond its input: the stored group's name and the batch size (memoised per call site). */
  function contextOf(): (op: Operation) => Promise<OperationViewContext> {
    const names = new Map<string, Promise<string | null>>();
    const sizes = new Map<string, Promise<number | null>>();
    const name = (instanceId: string, groupId: string) =>
      store.groups.get(instanceId, groupId).then(
        (g) => g?.subject ?? null,
        () => null,
      );
    const size = (instanceId: string) =>
      deps.pacing
        ? deps.pacing.policy(instanceId).then(
            (p) => (p.enabled ? p.addBatchSize : null),
            () => null,
          )
        : Promise.resolve(null);
    return async (op) => {
      if (op.kind !== 'participants.add' || typeof op.input.groupId !== 'string') return {};
      const key = `${op.instanceId}\u0000${op.input.groupId}`;
      if (!names.has(key)) names.set(key, name(op.instanceId, op.input.groupId));
      if (!sizes.has(op.instanceId)) sizes.set(op.instanceId, size(op.instanceId));
      return { groupName: await names.get(key)!, batchSize: await sizes.get(op.instanceId)! };
    };
  }

  /** An operation as clients see it, its summary included. */
  async function view(op: Operation): Promise<OperationView> {
    return operationView(op, await contextOf()(op));
  }

  return {
    view,

    /** Registers what an operation kind does (once per kind, before `start`). */
    register(kind: OperationKind, hooks: OperationKindHooks): void {
      if (kinds.has(kind)) throw new Error(`operation kind ${kind} is already registered`);
      kinds.set(kind, hooks);
    },

    /** Starts the background runner (resuming what a previous process left). */
    start: () => queue.start(handle, announce),
    stop: () => queue.stop(),

    async get(instanceId: string, id: string): Promise<OperationView> {
      await instances.get(instanceId);
      const op = await queue.get(id);
      if (!op || op.instanceId !== instanceId) throw new DomainError('operation_not_found', `no such operation: ${id}`);
      return view(op);
    },

    async list(instanceId: string, query: { status?: OperationStatus; kind?: OperationKind; limit?: number; offset?: number }) {
      await instances.get(instanceId);
      const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
      const offset = Math.max(query.offset ?? 0, 0);
      const { items, total } = await queue.list(instanceId, { status: query.status, kind: query.kind, limit, offset });
      const context = contextOf();
      const operations = await Promise.all(items.map(async (op) => operationView(op, await context(op))));
      return { operations, total, limit, offset };
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
      await kinds.get(cancelled.kind)?.onCancel?.(existing);
      return view(cancelled);
    },
  };
}

export type OperationService = ReturnType<typeof createOperationService>;
