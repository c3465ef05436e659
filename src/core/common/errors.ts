/**
 * Domain errors: every refusal the core can make, with a stable string code that clients branch on.
 * Services throw these; the HTTP layer maps each code to a status per dialect. Never an HTTP error here.
 */
export const ERROR_CODES = [
  // request shape
  'validation_failed',
  'invalid_participant',
  'invalid_group_id',
  'invalid_invite_code',
  'payload_too_large',
  'unsupported_media_type',
  'not_found',
  'method_not_allowed',
  // auth
  'unauthorized',
  'forbidden',
  'too_many_auth_failures',
  // instances
  'instance_not_found',
  'instance_not_connected',
  'engine_not_available',
  'qr_not_available',
  'phone_in_use',
  // groups
  'group_not_found',
  'not_group_admin',
  'participant_already_member',
  'participant_not_member',
  'invite_code_revoked',
  'already_member',
  'removed_from_group',
  'subject_too_long',
  'description_too_long',
  'invalid_setting',
  'group_full',
  'rate_limited',
  'engine_refused',
  // keys, operations, webhooks
  'key_not_found',
  'operation_not_found',
  'operation_not_cancellable',
  'idempotency_key_reused',
  'idempotency_in_progress',
  'webhook_not_found',
  'webhook_url_refused',
  'secret_already_revealed',
  'media_url_refused',
  'media_fetch_failed',
  'delivery_not_found',
  'event_not_found',
  // generic
  'conflict',
  'internal_error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** A refusal with a stable code, a human-readable message and optional structured details. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Seconds after which retrying may succeed (rate limits, pacing). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Shorthand constructor. */
export function fail(code: ErrorCode, message: string, details?: unknown): never {
  throw new DomainError(code, message, details);
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
