/**
 * Pure rules of webhook subscriptions: event filters, Standard Webhooks secrets, retry backoff and
 * the dead-letter deadline. No I/O here; the service and the delivery worker apply them.
 */
import { randomBytes } from 'node:crypto';
import { DomainError } from '../common/errors.js';
import { EVENT_TYPES } from '../events/event-model.js';

/** The body formats a subscription may name; each has a registered `WebhookBodyFormat` (`webhook-formats.ts`). */
export const WEBHOOK_FORMATS = ['native', 'green-api', 'z-api', '2chat', 'wappfy'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** Whether a string names a webhook format. */
export function isWebhookFormat(value: string): value is WebhookFormat {
  return (WEBHOOK_FORMATS as readonly string[]).includes(value);
}

/** A delivery is retried until this long after its first attempt, then dead-lettered. */
export const DEAD_LETTER_AFTER_MS = 24 * 60 * 60 * 1000;
/** Longest wait between two attempts. */
export const MAX_RETRY_DELAY_MS = 10 * 60 * 1000;
/** How long one POST may take, connection included. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** At most this much of a receiver's answer is read. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

const SECRET_PREFIX = 'whsec_';

/** A new Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * A provider's own signing secret (one its client chose, carried into a provider subscription as a
 * Standard Webhooks secret) may be this short: Wappfy's documented example is 23 characters.
 */
export const MIN_PROVIDER_SECRET_BYTES = 16;

/** Whether a secret has the Standard Webhooks shape (`whsec_` + base64 of `minBytes` (24 unless given)..64 bytes). */
export function isValidWebhookSecret(secret: string, minBytes = 24): boolean {
  if (!secret.startsWith(SECRET_PREFIX)) return false;
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return false;
  const bytes = Buffer.from(b64, 'base64').length;
  return bytes >= minBytes && bytes <= 64;
}

/**
 * Checks event filters: each entry is `*`, an event type, or a prefix ending in `.*` that covers
 * at least one event type (`group.*`, `group.participants.*`). Returns them de-duplicated.
 */
export function validateEventFilters(filters: string[]): string[] {
  const bad = filters.filter((f) => {
    if (f === '*') return false;
    if (f.endsWith('.*')) {
      const prefix = f.slice(0, -1);
      return !EVENT_TYPES.some((t) => t.startsWith(prefix));
    }
    return !(EVENT_TYPES as readonly string[]).includes(f);
  });
  if (bad.length) {
    throw new DomainError('validation_failed', `unknown event type or prefix: ${bad.join(', ')}`, { invalid: bad, known: EVENT_TYPES });
  }
  return [...new Set(filters)];
}

/** Whether an event type passes a subscription's filters (null = every event). */
export function matchesEventFilters(filters: string[] | null, type: string): boolean {
  if (filters === null) return true;
  return filters.some((f) => f === '*' || f === type || (f.endsWith('.*') && type.startsWith(f.slice(0, -1))));
}

/**
 * Wait before attempt number `attempt + 1`, after `attempt` failed ones: base, 2x base, 4x base ...
 * capped at 10 minutes, with +-20% jitter so receivers coming back are not hit in lockstep.
 */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exp = Math.min(Math.max(attempt, 1) - 1, 30);
  const raw = Math.min(baseMs * 2 ** exp, MAX_RETRY_DELAY_MS);
  const jittered = raw * (0.8 + 0.4 * random());
  return Math.max(1, Math.round(Math.min(jittered, MAX_RETRY_DELAY_MS)));
}

/**
 * What follows a failed attempt: dead-letter once 24 h have passed since the first attempt, else
 * the time of the next attempt (never later than the deadline, so the last try happens at it).
 */
export function afterFailure(input: {
  attempts: number;
  firstAttemptAt: number;
  now: number;
  baseMs: number;
  random?: () => number;
}): { dead: true } | { dead: false; nextAttemptAt: number } {
  const deadline = input.firstAttemptAt + DEAD_LETTER_AFTER_MS;
  if (input.now >= deadline) return { dead: true };
  const next = input.now + retryDelayMs(input.attempts, input.baseMs, input.random);
  return { dead: false, nextAttemptAt: Math.min(next, deadline) };
}

/** Whether a string is a ULID (an event id). */
export function isEventId(value: string): boolean {
  return /^[0-9A-HJKMNP-TV-Z]{26}$/.test(value);
}

/**
 * The Authorization header a stored Authorization value is sent as: as it is when it already names
 * its scheme ("Basic ...", "Bearer ..."), else `Bearer <value>`. Applying it twice changes nothing.
 */
export function authorizationHeader(value: string): string {
  return /^\S+\s+\S/.test(value) ? value : `Bearer ${value}`;
}
