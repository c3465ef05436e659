/**
 * Tables of the Green API notification queue. The queue itself is the instance's event log; these
 * remember what the client already deleted, so a deleted receipt is never served again, even after
 * a restart.
 */
export interface GreenApiQueuesTable {
  instance_id: string;
  /** Every receipt (event seq) up to this one is done: deleted, skipped or too old. */
  floor_seq: number;
}

export interface GreenApiDeletedReceiptsTable {
  instance_id: string;
  /** A receipt above the floor that the client deleted out of order. */
  receipt_id: number;
  deleted_at: string;
}

export interface GreenApiTables {
  green_api_queues: GreenApiQueuesTable;
  green_api_deleted_receipts: GreenApiDeletedReceiptsTable;
}

/**
 * What the Green API queue needs from persistence. Idempotent throughout: deleting a receipt twice
 * or raising the floor to a lower value changes nothing.
 */
export interface GreenApiQueueRepository {
  /** The floor and the receipts deleted above it (0 and [] for an instance never polled). */
  state(instanceId: string): Promise<{ floor: number; deleted: Set<number> }>;
  /** Records a deleted receipt; returns false when it was already deleted (or under the floor). */
  markDeleted(instanceId: string, receiptId: number, at: string): Promise<boolean>;
  /** Raises the floor (never lowers it) and forgets the deleted receipts at or under it. */
  raiseFloor(instanceId: string, floor: number): Promise<void>;
  /** Forgets the instance's queue state (the instance was deleted). */
  deleteAll(instanceId: string): Promise<void>;
}
