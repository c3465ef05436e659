/**
 * The webhook body format port: how a subscription's format turns one event of the log into the
 * JSON body a receiver gets. The native format is built into the core (`webhooks/webhook-formats.ts`);
 * each provider dialect exports its own, and the composition root registers them.
 */
import type { EventRecord } from '../events/event-model.js';
import type { Instance } from '../instances/instance-model.js';

/** One named body format. */
export interface WebhookBodyFormat {
  /** The format name a subscription stores (`native`, `green-api`, `z-api`). */
  name: string;
  /**
   * The body for one event of the instance's log; null when the format has no shape for it (the
   * event is skipped). `slot` is the provider webhook setting the subscription mirrors (Z-API's
   * "connected" URL, ...), null for other subscriptions. Pure.
   */
  body(instance: Instance, event: EventRecord, slot: string | null): Record<string, unknown> | null;
}
