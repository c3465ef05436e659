/** The webhook repository port: subscriptions, cursors and deliveries. One Kysely adapter serves SQLite and PostgreSQL. */
import type { EventRecord } from '../events/event-model.js';
import type { DeliveryQuery, WebhookCursor, WebhookDelivery, WebhookSubscription } from '../webhooks/webhook-model.js';

/** Persistence of subscriptions, cursors and deliveries. `get*` answer undefined when absent. */
export interface WebhookRepository {
  insertSubscription(sub: WebhookSubscription, cursors: WebhookCursor[]): Promise<void>;
  getSubscription(id: string): Promise<WebhookSubscription | undefined>;
  getProviderSubscription(instanceId: string, provider: string, slot: string): Promise<WebhookSubscription | undefined>;
  listSubscriptions(): Promise<WebhookSubscription[]>;
  /** Updates fields; `newCursors` are inserted when absent (instances added to the subscription). */
  updateSubscription(id: string, patch: Partial<Omit<WebhookSubscription, 'id' | 'createdAt'>>, newCursors?: WebhookCursor[]): Promise<void>;
  /** Records that the current secret was shown, only if it never was; false when it was (or no such subscription). */
  markSecretRevealed(id: string, at: string): Promise<boolean>;
  /** Deletes the subscription with its cursors and deliveries; false when absent. */
  deleteSubscription(id: string): Promise<boolean>;

  listCursors(subscriptionId?: string): Promise<WebhookCursor[]>;
  getCursor(subscriptionId: string, instanceId: string): Promise<WebhookCursor | undefined>;

  /** The lane's oldest pending delivery (lowest event seq). */
  firstPending(subscriptionId: string, instanceId: string): Promise<WebhookDelivery | undefined>;
  /**
   * In one transaction: moves the cursor to `afterSeq` (never backwards) and, when given, inserts
   * the delivery created for the event at that position.
   */
  advance(subscriptionId: string, instanceId: string, afterSeq: number, delivery?: WebhookDelivery): Promise<void>;
  /**
   * In one transaction: moves the cursor to `afterSeq` only while its version is still
   * `expectedVersion`, and inserts `deliveries` (the outcomes of the events up to that position).
   * Answers the cursor's new version, or undefined (nothing written) when the cursor changed or
   * went away meanwhile: a replay or a deleted subscription or instance wins.
   */
  moveCursor(cursor: { subscriptionId: string; instanceId: string; afterSeq: number; expectedVersion: number }, deliveries: WebhookDelivery[]): Promise<number | undefined>;
  /**
   * `moveCursor` for several lanes in one transaction: each move is checked on its own (its answer
   * at the same index, undefined when its cursor changed and nothing of it was written); a failed
   * statement fails them all.
   */
  moveCursors(
    moves: { cursor: { subscriptionId: string; instanceId: string; afterSeq: number; expectedVersion: number }; deliveries: WebhookDelivery[] }[],
  ): Promise<(number | undefined)[]>;
  /**
   * Updates a delivery only while it is still `pending` and, when given, still last updated at
   * `expectedUpdatedAt`; false when it changed meanwhile (cancelled by a replay, retried by hand).
   */
  updatePending(id: string, patch: Partial<WebhookDelivery>, expectedUpdatedAt?: string): Promise<boolean>;
  updateDelivery(id: string, patch: Partial<WebhookDelivery>): Promise<void>;
  insertDelivery(delivery: WebhookDelivery): Promise<void>;
  getDelivery(id: string): Promise<WebhookDelivery | undefined>;
  listDeliveries(subscriptionId: string, query: DeliveryQuery): Promise<WebhookDelivery[]>;
  /** Earliest `nextAttemptAt` among pending deliveries of enabled lanes, ISO, or undefined. */
  nextPendingAt(): Promise<string | undefined>;
  /** Count of pending deliveries per (subscription, instance). */
  pendingCounts(): Promise<{ subscriptionId: string; instanceId: string; count: number }[]>;
  /** Replay: cancels pending deliveries and sets cursors, in one transaction. */
  rewind(subscriptionId: string, cursors: WebhookCursor[], now: string): Promise<number>;

  /** The seq just before the first event of the instance with id >= `id` (or occurred at >= `at`). */
  seqBefore(instanceId: string, from: { id?: string; at?: string }): Promise<number>;
  /** Event of the log by id. */
  getEvent(id: string): Promise<EventRecord | undefined>;

  // --- retention ---
  /** Deletes events of one instance that occurred before `before` and have seq < `belowSeq`. */
  pruneEvents(instanceId: string, before: string, belowSeq: number): Promise<number>;
  /** Deletes finished deliveries last updated before `before`. */
  pruneDeliveries(before: string): Promise<number>;
  /** Deletes cursors and pending deliveries of instances that no longer exist. */
  pruneOrphans(existingInstanceIds: string[], now: string): Promise<number>;
  /** Drops an instance's cursors, deliveries and provider subscriptions (the instance was deleted). */
  deleteInstance(instanceId: string): Promise<void>;
}
