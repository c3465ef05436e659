/** Tables of the Wappfy dialect. */

/**
 * Wappfy webhook subscriptions: what Wappfy's API shows that the core subscription behind each
 * (provider `wappfy`, slot = the id) does not keep. The URL, the signing secret and whether it is
 * active live in that core subscription.
 */
export interface WappfyWebhooksTable {
  /** A uuid v4, as Wappfy writes webhook ids. */
  id: string;
  instance_id: string;
  /** Wappfy's event names (`message.received`, `group.joined`, ...), a JSON array. */
  events: string;
  /** Stored and answered back: deliveries follow groupgate's retry policy. */
  retry_count: number;
  /** Stored and answered back: deliveries follow groupgate's timeout. */
  timeout_ms: number;
  description: string | null;
  /** The id of the API key that created it (null: the configured admin key). */
  user_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface WappfyTables {
  wappfy_webhooks: WappfyWebhooksTable;
}
