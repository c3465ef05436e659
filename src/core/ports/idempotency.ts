/** The idempotency port: stored Idempotency-Key requests and their answers. */

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
