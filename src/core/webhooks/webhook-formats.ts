/**
 * The body a subscription's format gives an event: native (the event as the log holds it), or the
 * Green API / Z-API webhook body. null = the format has no shape for this event (it is skipped).
 */
import type { EventRecord } from '../events/event-model.js';
import type { Instance } from '../instances/instance-model.js';
import type { WebhookFormat } from './webhook-rules.js';
import { greenApiWebhookBody } from '../../dialects/green-api/wire-format.js';
import { zapiCallbackBody } from '../../dialects/z-api/wire-format.js';

/** The native body: exactly the event of the log. */
export function nativeBody(event: EventRecord): Record<string, unknown> {
  return { id: event.id, seq: event.seq, type: event.type, instanceId: event.instanceId, occurredAt: event.occurredAt, data: event.data };
}

/** Formats one event for one subscription format. */
export function formatBody(format: WebhookFormat, instance: Instance, event: EventRecord): Record<string, unknown> | null {
  switch (format) {
    case 'native':
      return nativeBody(event);
    case 'green-api':
      return greenApiWebhookBody(instance, event);
    case 'z-api':
      return zapiCallbackBody(instance, event);
  }
}
