/**
 * Tables of durable operations, pacing state and idempotency records (migration 002). Same
 * portable types as every table: ISO-8601 text times, JSON as text, integers.
 */
export interface OperationsTable {
  id: string;
  instance_id: string;
  kind: string;
  /** scheduled | running | succeeded | failed | cancelled */
  status: string;
  run_at: string;
  attempts: number;
  /** JSON `{done, total, counts?}`. */
  progress: string;
  /** JSON of what was asked (the validated request). */
  input: string;
  /** JSON of the handler's durable checkpoint (creation key, stage, outcomes so far). */
  checkpoint: string;
  result: string | null;
  error: string | null;
  /** Node that runs it while `running`, and until when its claim holds (heartbeats extend it). */
  lease_owner: string | null;
  lease_until: string | null;
  /** 1 once `operation.succeeded|failed` is in the event log. */
  notified: number;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** The client request that started it (a hash over its Idempotency-Key); unique (migration 009). */
  request_key: string | null;
}

export interface PacingStateTable {
  instance_id: string;
  /** JSON of `PacingState`. */
  data: string;
  updated_at: string;
}

export interface IdempotencyKeysTable {
  /** Who sent it: `admin`, `key:<id>` or `instance:<id>`. */
  scope: string;
  key: string;
  /** SHA-256 of method, path and canonical body. */
  fingerprint: string;
  /** in_progress | done */
  state: string;
  /** While in_progress: the lease; after this time the request is presumed lost and the key may be taken over. */
  locked_until: string;
  /** The process holding an in_progress record (its lease is renewed while that process lives). */
  holder: string | null;
  response_status: number | null;
  response_headers: string | null;
  response_body: string | null;
  created_at: string;
  expires_at: string;
}

export interface OperationTables {
  operations: OperationsTable;
  pacing_state: PacingStateTable;
  idempotency_keys: IdempotencyKeysTable;
}
