/**
 * The webhook transport port: sends one signed Standard Webhooks message to a receiver, now, once.
 * The HTTP adapter (`adapters/webhooks/webhook-sender.ts`) implements it; the delivery worker and
 * the test ping use it. Retries, backoff and the dead letter are the core's business, not the transport's.
 */
import type { WebhookSubscription } from '../webhooks/webhook-model.js';

/** Where and how a message goes: the receiver's URL, the signing secret, an optional Authorization value. */
export type WebhookTarget = Pick<WebhookSubscription, 'url' | 'secret' | 'authorization'>;

/** One message: `id` is the `webhook-id` header (stable across attempts), `at` the signing time (ms). */
export interface WebhookMessage {
  id: string;
  body: unknown;
  at: number;
}

/** The outcome of one POST. */
export interface SendResult {
  ok: boolean;
  /** The receiver's HTTP status, when it answered. */
  statusCode: number | null;
  /** Why it failed (never includes the secret or the URL's query). */
  error: string | null;
  durationMs: number;
}

/** A message signed and serialised ahead of its POST (a lane prepares the next one while a POST is in flight). */
export interface PreparedMessage {
  /** The signing time (ms), as `WebhookMessage.at`. */
  readonly at: number;
  /** Sends it once, as `WebhookTransport.send` does. */
  send(signal?: AbortSignal): Promise<SendResult>;
}

/** Sends signed messages. */
export interface WebhookTransport {
  /**
   * Sends one message without retrying; ok = the receiver answered 2xx. Never throws: a refused
   * address, a timeout or a connection error is a failed result. `signal` aborts a request in flight.
   */
  send(target: WebhookTarget, message: WebhookMessage, signal?: AbortSignal): Promise<SendResult>;
  /** Signs and serialises a message now, to be sent later with `send` of the answer (optional). */
  prepare?(target: WebhookTarget, message: WebhookMessage): PreparedMessage;
}
