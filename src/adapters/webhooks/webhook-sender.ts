/**
 * The HTTP webhook transport (implements `core/ports/webhook-transport.ts`): signs and sends one
 * message per the Standard Webhooks spec: `webhook-id` (the event id,
 * the same on every attempt so receivers can de-duplicate), `webhook-timestamp` (seconds) and
 * `webhook-signature` (`v1,<base64 HMAC-SHA256>`). The secret and the URL's query never reach a log.
 */
import { createHmac } from 'node:crypto';
import type { PreparedMessage, WebhookMessage, WebhookTarget, WebhookTransport } from '../../core/ports/webhook-transport.js';
import { headerList, postWithLength, type Resolver } from './http-client.js';
import { authorizationHeader } from '../../core/webhooks/webhook-rules.js';

export interface SenderOptions {
  allowPrivate: () => boolean;
  now?: () => number;
  resolver?: Resolver;
  timeoutMs?: number;
}

const keys = new Map<string, Buffer>();
/** The HMAC key of a `whsec_` secret (base64 after the prefix), decoded once per secret. */
function keyOf(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size > 1000) keys.clear();
    key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
    keys.set(secret, key);
  }
  return key;
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.payload">`, as `standardwebhooks` signs, with node:crypto. */
export function signature(secret: string, id: string, atMs: number, payload: string): string {
  return `v1,${createHmac('sha256', keyOf(secret))
    .update(`${id}.${Math.floor(atMs / 1000)}.${payload}`)
    .digest('base64')}`;
}

/** The headers of one signed message. */
export function signedHeaders(sub: Pick<WebhookTarget, 'secret' | 'authorization'>, id: string, atMs: number, payload: string): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'groupgate-webhooks/0.1',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(atMs / 1000)),
    'webhook-signature': signature(sub.secret, id, atMs, payload),
  };
  if (sub.authorization) headers.authorization = authorizationHeader(sub.authorization);
  return headers;
}

const urls = new Map<string, URL | null>();
/** A subscription's URL, parsed once (a lane sends every event to the same one); null when invalid. */
function parsedUrl(text: string): URL | null {
  let url = urls.get(text);
  if (url === undefined) {
    try {
      url = new URL(text);
    } catch {
      url = null;
    }
    if (urls.size >= 1000) urls.clear();
    urls.set(text, url);
  }
  return url;
}

/** A transport that POSTs with the SSRF-checked client; `signal` aborts in-flight requests at shutdown. */
export function createWebhookTransport(options: SenderOptions): WebhookTransport {
  const now = options.now ?? Date.now;
  /** Signs and serialises now (body, signature, headers); the POST waits for `send`. */
  function prepare(sub: WebhookTarget, message: WebhookMessage): PreparedMessage {
    const payload = JSON.stringify(message.body);
    const url = parsedUrl(sub.url);
    const headers = url && headerList(url, signedHeaders(sub, message.id, message.at, payload), payload);
    return {
      at: message.at,
      async send(signal) {
        if (!url || !headers) return { ok: false, statusCode: null, error: 'invalid url', durationMs: 0 };
        const started = now();
        const r = await postWithLength(url, payload, headers, {
          allowPrivate: options.allowPrivate(),
          resolver: options.resolver,
          timeoutMs: options.timeoutMs,
          signal,
        });
        const durationMs = Math.max(0, now() - started);
        if (r.statusCode === null) return { ok: false, statusCode: null, error: r.error ?? 'no answer', durationMs };
        const ok = r.statusCode >= 200 && r.statusCode < 300;
        const error = ok ? null : r.statusCode >= 300 && r.statusCode < 400 ? `answered ${r.statusCode}: redirects are not followed` : `answered ${r.statusCode}`;
        return { ok, statusCode: r.statusCode, error, durationMs };
      },
    };
  }
  return { prepare, send: (sub, message, signal) => prepare(sub, message).send(signal) };
}
