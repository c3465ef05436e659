/**
 * Webhook records and the repository port they are kept through. One Kysely adapter
 * (`src/store/kysely/webhooks.ts`) serves SQLite and PostgreSQL.
 */
import type { EventRecord } from './model.js';
import type { WebhookFormat } from './webhooks-rules.js';

export type ProviderName = 'green-api' | 'z-api';

export interface WebhookSubscription {
  id: string;
  url: string;
  /** null = every instance (admin subscriptions only). */
  instances: string[] | null;
  /** null = every event. */
  events: string[] | null;
  format: WebhookFormat;
  /** The Standard Webhooks secret (`whsec_...`): kept to sign, never shown after creation, never logged. */
  secret: string;
  enabled: boolean;
  /** Set when a provider dialect's settings (Green API setSettings, Z-API webhooks) manage it. */
  provider: ProviderName | null;
  /** Which of the provider's webhook settings it mirrors (Z-API has several URLs). */
  providerSlot: string | null;
  /** `Authorization` header value sent with each delivery (Green API's webhookUrlToken). */
  authorization: string | null;
  createdAt: string;
  updatedAt: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'skipped' | 'cancelled';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed', 'skipped', 'cancelled'];

export interface WebhookDelivery {
  id: string;
  subscriptionId: string;
  /** null for a test ping. */
  instanceId: string | null;
  /** The event id: the `webhook-id` header, stable across attempts and replays. */
  eventId: string;
  eventSeq: number | null;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  firstAttemptAt: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookCursor {
  subscriptionId: string;
  instanceId: string;
  /** Every event with seq <= afterSeq has been turned into a delivery (or filtered out). */
  afterSeq: number;
  /** Bumped by every write of the cursor (read back by `getCursor`; ignored when writing). */
  version?: number;
}

export interface DeliveryQuery {
  status?: DeliveryStatus;
  instanceId?: string;
  limit: number;
  /** Delivery id to page from (older ones follow). */
  before?: string;
}

/** Persistence of subscriptions, cursors and deliveries. `get*` answer undefined when absent. */
export interface WebhookRepository {
  insertSubscription(sub: WebhookSubscription, cursors: WebhookCursor[]): Promise<void>;
  getSubscription(id: string): Promise<WebhookSubscription | undefined>;
  getProviderSubscription(instanceId: string, provider: ProviderName, slot: string): Promise<WebhookSubscription | undefined>;
  listSubscriptions(): Promise<WebhookSubscription[]>;
  /** Updates fields; `newCursors` are inserted when absent (instances added to the subscription). */
  updateSubscription(id: string, patch: Partial<Omit<WebhookSubscription, 'id' | 'createdAt'>>, newCursors?: WebhookCursor[]): Promise<void>;
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
