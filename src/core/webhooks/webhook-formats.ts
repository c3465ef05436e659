/**
 * The registry of webhook body formats: the native one (the event as the log holds it) is built in,
 * the provider dialects' formats are registered at wiring. A subscription's format names one of them.
 */
import type { EventRecord } from '../events/event-model.js';
import type { Instance } from '../instances/instance-model.js';
import type { WebhookBodyFormat } from '../ports/webhook-format.js';
import { WEBHOOK_FORMATS, type WebhookFormat } from './webhook-rules.js';

/** The native body: exactly the event of the log. */
export function nativeBody(event: EventRecord): Record<string, unknown> {
  return { id: event.id, seq: event.seq, type: event.type, instanceId: event.instanceId, occurredAt: event.occurredAt, data: event.data };
}

/** The native format. */
export const nativeWebhookFormat: WebhookBodyFormat = { name: 'native', body: (_instance, event) => nativeBody(event) };

/** The formats a subscription may name. */
export interface WebhookFormats {
  /** Formats one event for one subscription format (and provider slot); null = the format has no shape for it (skipped). */
  body(format: WebhookFormat, instance: Instance, event: EventRecord, slot?: string | null): Record<string, unknown> | null;
}

/**
 * Builds the registry from the native format plus `formats`. Throws when a format name a
 * subscription may store (`WEBHOOK_FORMATS`) has no registered format, or a name is not one of them.
 */
export function createWebhookFormats(formats: WebhookBodyFormat[]): WebhookFormats {
  const byName = new Map<string, WebhookBodyFormat>();
  for (const f of [nativeWebhookFormat, ...formats]) {
    if (!(WEBHOOK_FORMATS as readonly string[]).includes(f.name)) throw new Error(`unknown webhook format: ${f.name}`);
    byName.set(f.name, f);
  }
  const missing = WEBHOOK_FORMATS.filter((name) => !byName.has(name));
  if (missing.length) throw new Error(`webhook formats not registered: ${missing.join(', ')}`);
  return {
    body: (format, instance, event, slot) => byName.get(format)!.body(instance, event, slot ?? null),
  };
}
