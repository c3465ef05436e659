/**
 * The webhook body format port: how a subscription's format turns one event of the log into the
 * JSON body a receiver gets. The native format is built into the core (`webhooks/webhook-formats.ts`);
 * each provider dialect exports its own, and the composition root registers them.
 */
import type { EventRecord } from '../events/event-model.js';
import type { Instance } from '../instances/instance-model.js';

/** The subscription a body is made for: a provider dialect may keep per-subscription choices under its slot. */
export interface WebhookFormatTarget {
  provider: string | null;
  providerSlot: string | null;
}

/** One named body format. */
export interface WebhookBodyFormat {
  /** The format name a subscription stores (`native`, `green-api`, `z-api`). */
  name: string;
  /**
   * The body for one event of the instance's log, for one subscription; null when the format has
   * no shape for it or the subscription does not want it (the event is skipped). It may read the
   * dialect's own tables (hence a promise is allowed) but changes nothing a client sees.
   */
  body(instance: Instance, event: EventRecord, target: WebhookFormatTarget): Record<string, unknown> | null | Promise<Record<string, unknown> | null>;
}
