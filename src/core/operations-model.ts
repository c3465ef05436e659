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
}

export const isFinal = (status: OperationStatus) => status === 'succeeded' || status === 'failed' || status === 'cancelled';

/**
 * Per-instance pacing state (not the policy): what was done and reserved, and the 429 backoff.
 * Epoch milliseconds.
 */
export interface PacingState {
  /** Actual group creations in the last 24 hours, ascending. */
  created: number[];
  /** Reserved creation slots (past 24 h and future), ascending: admission spaces new ones after them. */
  slots: number[];
  /** The next participant batch may start at this time. */
  nextAddAt: number;
  /** While in the future, nothing of this instance reaches the engine (WhatsApp answered 429). */
  backoffUntil: number;
  /** Consecutive 429s; the backoff doubles with each, and resets after a success. */
  backoffLevel: number;
}

export const EMPTY_PACING_STATE: PacingState = { created: [], slots: [], nextAddAt: 0, backoffUntil: 0, backoffLevel: 0 };

/** Pacing state per instance. `get` returns the empty state when none is stored; `put` upserts. */
export interface PacingStateRepository {
  get(instanceId: string): Promise<PacingState>;
  put(instanceId: string, state: PacingState, now: number): Promise<void>;
  /** Idempotent. */
  delete(instanceId: string): Promise<void>;
}

/** A stored idempotent request and, once answered, its response. */
export interface IdempotencyRecord {
  scope: string;
  key: string;
  fingerprint: string;
  state: 'in_progress' | 'done';
  lockedUntil: number;
  response: { status: number; headers: Record<string, string>; body: string } | null;
  expiresAt: number;
}

/** Idempotency records, keyed by (scope, key). */
export interface IdempotencyRepository {
  /**
   * Claims the key for a new request: inserts an in_progress record unless one exists. Returns
   * `claimed` or the existing record. An expired record, or an in_progress one whose lock lapsed,
   * is replaced (and `claimed` returned).
   */
  claim(record: Omit<IdempotencyRecord, 'response' | 'state'>, now: number): Promise<{ claimed: true } | { claimed: false; existing: IdempotencyRecord }>;
  /** Stores the response of a claimed key. */
  complete(scope: string, key: string, response: NonNullable<IdempotencyRecord['response']>): Promise<void>;
  /** Forgets a key (the request failed in a way worth retrying). Idempotent. */
  release(scope: string, key: string): Promise<void>;
  /** Deletes records that expired before `now`; returns how many went. */
  prune(now: number): Promise<number>;
}
