/**
 * Webhook records: subscriptions, deliveries and cursors. The repository port is
 * `core/ports/webhook-repository.ts`.
 */
import type { WebhookFormat } from './webhook-rules.js';

export interface WebhookSubscription {
  id: string;
  url: string;
  /** null = every instance (admin subscriptions only). */
  instances: string[] | null;
  /** null = every event. */
  events: string[] | null;
  format: WebhookFormat;
  /** The Standard Webhooks secret (`whsec_...`): kept to sign, never logged; shown at creation, and once to an admin (reveal or rotation). */
  secret: string;
  /** When the current secret was shown to an admin (reveal or rotation); null while it never was. */
  secretRevealedAt: string | null;
  enabled: boolean;
  /** The provider dialect whose settings (Green API setSettings, Z-API webhooks) manage it, named by that dialect. */
  provider: string | null;
  /** Which of the provider's webhook settings it mirrors (Z-API has several URLs). */
  providerSlot: string | null;
  /**
   * The Authorization value given for deliveries (Green API's webhookUrlToken), kept as given: it is
   * its only copy. Sent as is when it names its scheme, else as `Bearer <value>` (`authorizationHeader`).
   */
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
