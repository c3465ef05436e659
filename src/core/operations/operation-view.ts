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
  /** What it does, from its stored input: the group, how many people, and a sentence saying so. */
  summary: OperationSummary;
}

/** What an operation will do, in the client's terms. */
export interface OperationSummary {
  /** The group it concerns (participant adds). */
  groupId?: string;
  /** The group's name: the one to create, or the stored subject of the group to add to (null when unknown). */
  groupName: string | null;
  /** How many people it adds (or creates the group with). */
  participants: number;
  /** How many people each batch adds (participant adds under pacing; null when not batched). */
  batchSize?: number | null;
  /** One sentence saying what it does. */
  description: string;
}

/** What the view may add to the stored input: facts read elsewhere (the group's name, the pacing batch size). */
export interface OperationViewContext {
  groupName?: string | null;
  batchSize?: number | null;
}

const people = (n: number) => (n === 1 ? '1 person' : `${n} people`);

/** The summary of an operation, from its stored input and what the context knows. */
export function operationSummary(op: Pick<Operation, 'kind' | 'input'>, context: OperationViewContext = {}): OperationSummary {
  const count = Array.isArray(op.input.participants) ? op.input.participants.length : 0;
  if (op.kind === 'group.create') {
    const groupName = typeof op.input.name === 'string' ? op.input.name : null;
    const named = groupName === null ? 'a group' : `the group "${groupName}"`;
    return { groupName, participants: count, description: count > 0 ? `Create ${named} with ${people(count)}` : `Create ${named}` };
  }
  const groupId = typeof op.input.groupId === 'string' ? op.input.groupId : '';
  const groupName = context.groupName ?? null;
  const batchSize = context.batchSize ?? null;
  const target = groupName === null ? groupId : `"${groupName}"`;
  const batches = batchSize !== null && count > batchSize ? ` in batches of ${batchSize}` : '';
  return { groupId, groupName, participants: count, batchSize, description: `Add ${people(count)} to ${target}${batches}` };
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

export function operationView(op: Operation, context: OperationViewContext = {}): OperationView {
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
    summary: operationSummary(op, context),
  };
}
