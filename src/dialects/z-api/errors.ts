/**
 * Z-API's error answers: `{error, message?}` bodies (never the native envelope), a status per
 * domain code, and a plugin-scoped error handler. Nothing a client sends becomes a 5xx.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorCode } from '../../core/common/errors.js';
import { dialectStatus, setRetryAfter, toDomainError } from '../../http/errors.js';
import { GROUP_REFUSALS } from '../kit/refusals.js';
import { DialectReplyError, sendReplyError } from '../kit/reply-error.js';

/** HTTP status of each domain code on the Z-API dialect. */
const statusOf = dialectStatus({
  invalid_participant: 400,
  // Z-API answers a disconnected instance with "You are not connected." and a 4xx.
  instance_not_connected: 400,
  invite_code_revoked: 400,
  qr_not_available: 400,
  webhook_url_refused: 400,
  // An image URL the server may not fetch, could not fetch, or that is not a JPEG or PNG.
  media_url_refused: 400,
  media_fetch_failed: 400,
  unsupported_media_type: 400,
  // WhatsApp refused what the client asked: the client's request, not our failure.
  engine_refused: 400,
});

/** Z-API's own wording where it has one; otherwise the domain message. */
function message(err: DomainError): string {
  if (err.code === 'instance_not_connected') return 'You are not connected.';
  return err.message;
}

/** Sends a domain error as Z-API does: `{error, message}`. */
export function sendZapiDomainError(reply: FastifyReply, err: DomainError, status?: number): FastifyReply {
  setRetryAfter(reply, err);
  return reply.code(status ?? statusOf(err.code)).send({ error: err.code, message: message(err) });
}

/**
 * Domain codes that a `{value}` endpoint reports as `{value: false}` (HTTP 200): the request was
 * well formed but WhatsApp would not do it for this group.
 */
export const VALUE_FALSE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([...GROUP_REFUSALS, 'participant_already_member', 'participant_not_member', 'conflict']);

/** The error handler of the Z-API scope. */
export function zapiErrorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof DialectReplyError) return sendReplyError(reply, err);
  const { error, status } = toDomainError(err);
  if (status >= 500) request.log.error({ err }, 'z-api request failed');
  return sendZapiDomainError(reply, error, err instanceof DomainError ? undefined : status);
}
