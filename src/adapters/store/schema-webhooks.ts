import type { Generated } from 'kysely';

/** Tables of webhook subscriptions, their per-instance cursors and their deliveries. */
export interface WebhookSubscriptionsTable {
  id: string;
  url: string;
  /** JSON array of instance ids, or null for every instance. */
  instances: string | null;
  /** JSON array of event filters, or null for every event. */
  events: string | null;
  format: string;
  secret: string;
  enabled: number;
  provider: string | null;
  provider_slot: string | null;
  /** The instance a provider-managed subscription belongs to. */
  provider_instance_id: string | null;
  auth_header: string | null;
  /** When the current signing secret was shown to an admin (reveal or rotation); migration 011. */
  secret_revealed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookCursorsTable {
  subscription_id: string;
  instance_id: string;
  after_seq: number;
  updated_at: string;
  /** Bumped on every write; the worker moves a cursor only at the version it read (migration 007). */
  version: Generated<number>;
}

export interface WebhookDeliveriesTable {
  id: string;
  subscription_id: string;
  instance_id: string | null;
  event_id: string;
  event_seq: number | null;
  event_type: string;
  status: string;
  attempts: number;
  first_attempt_at: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookTables {
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_cursors: WebhookCursorsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
