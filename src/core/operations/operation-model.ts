/**
 * Durable operations: the records every paced action becomes, and the storage ports the pacing and
 * idempotency features need. Plain data; adapters keep it, the HTTP layer shapes it.
 */

export const OPERATION_KINDS = ['group.create', 'participants.add'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

export const OPERATION_STATUSES = ['scheduled', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

export interface OperationProgress {
  done: number;
  total: number;
  /** Per-outcome counts so far (participant adds). */
  counts?: Record<string, number>;
}

export interface OperationError {
  code: string;
  message: string;
  details?: unknown;
}

/** One durable operation. Times are epoch milliseconds here and ISO-8601 in the store and the API. */
export interface Operation {
  id: string;
  instanceId: string;
  kind: OperationKind;
  status: OperationStatus;
  runAt: number;
  attempts: number;
  progress: OperationProgress;
  /** The validated request. */
  input: Record<string, unknown>;
  /** The handler's durable state between steps (never shown to clients). */
  checkpoint: Record<string, unknown>;
  result: unknown;
  error: OperationError | null;
  leaseOwner: string | null;
  leaseUntil: number | null;
  /** True once the completion event is in the event log. */
  notified: boolean;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** The client request that started it (from its Idempotency-Key), when it carried one. */
  requestKey?: string | null;
}

export const isFinal = (status: OperationStatus) => status === 'succeeded' || status === 'failed' || status === 'cancelled';
