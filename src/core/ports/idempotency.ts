/** The idempotency port: stored Idempotency-Key requests and their answers. */

/** A stored idempotent request and, once answered, its response. */
export interface IdempotencyRecord {
  scope: string;
  key: string;
  fingerprint: string;
  state: 'in_progress' | 'done';
  /** The lease of an in_progress record: renewed by its holder while it lives. */
  lockedUntil: number;
  /** The process holding an in_progress record. */
  holder: string | null;
  response: { status: number; headers: Record<string, string>; body: string } | null;
  expiresAt: number;
}

/** Idempotency records, keyed by (scope, key). */
export interface IdempotencyRepository {
  /**
   * Claims the key for a new request: inserts an in_progress record unless one exists. Returns
   * `claimed` (with the record's expiry) or the existing record. An expired record is replaced; an
   * in_progress one with the same fingerprint whose lease lapsed is taken over, keeping its expiry.
   */
  claim(record: Omit<IdempotencyRecord, 'response' | 'state'>, now: number): Promise<{ claimed: true; expiresAt: number } | { claimed: false; existing: IdempotencyRecord }>;
  /** Stores the response of a claimed key. */
  complete(scope: string, key: string, response: NonNullable<IdempotencyRecord['response']>): Promise<void>;
  /** Forgets a key (the request failed in a way worth retrying). Idempotent. */
  release(scope: string, key: string): Promise<void>;
  /** Extends the lease of every in_progress record `holder` holds to `lockedUntil`. */
  renew(holder: string, lockedUntil: number): Promise<void>;
  /** Ends the lease of every in_progress record held by another process than `holder` (on a single node, those processes are gone). */
  abandonOthers(holder: string): Promise<number>;
  /** Deletes records that expired before `now`; returns how many went. */
  prune(now: number): Promise<number>;
}
