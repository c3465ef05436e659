/** How clients see an operation: the stored record minus the runner's bookkeeping, times in ISO-8601. */
import type { Operation, OperationKind, OperationStatus } from './operation-model.js';

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
