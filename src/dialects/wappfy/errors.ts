/**
 * Wappfy's envelope and error answers. Every answer is wrapped: success
 * `{success: true, data, meta: {requestId, timestamp}}`, failure
 * `{success: false, error: {code, message, details}, meta}`. Codes are Wappfy's documented ones
 * where Wappfy documents the case (VALIDATION_ERROR, UNAUTHORIZED, FORBIDDEN, NOT_FOUND,
 * INSTANCE_NOT_FOUND, RATE_LIMIT_EXCEEDED, INTERNAL_ERROR), else our stable code in upper snake case.
 * Statuses follow seed 002 (403 not an admin, 404 group not found, 409 already in / not in,
 * 422 participant not written `{phone}@s.whatsapp.net`). Nothing a client sends becomes a 5xx.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorCode } from '../../core/common/errors.js';
import { dialectStatus, setRetryAfter, toDomainError } from '../../http/errors.js';
import { DialectReplyError, sendReplyError } from '../kit/reply-error.js';

/** `meta` of every answer. */
export function meta(request: FastifyRequest, now: number) {
  return { requestId: request.id, timestamp: new Date(now).toISOString() };
}

/** A success envelope. */
export function ok<T>(request: FastifyRequest, now: number, data: T) {
  return { success: true as const, data, meta: meta(request, now) };
}

/** A failure envelope. */
export function failure(request: FastifyRequest, now: number, code: string, message: string, details: unknown = {}) {
  return { success: false as const, error: { code, message, details: details ?? {} }, meta: meta(request, now) };
}

/** HTTP status of each domain code on the Wappfy dialect (seed 002 where it speaks). */
export const wappfyStatus = dialectStatus({
  // WhatsApp refused what the client asked for: the client's request, not our failure.
  engine_refused: 400,
  removed_from_group: 403,
});

/** Wappfy's documented codes; any other domain code is sent in upper snake case. */
const CODES: Partial<Record<ErrorCode, string>> = {
  validation_failed: 'VALIDATION_ERROR',
  invalid_group_id: 'VALIDATION_ERROR',
  invalid_invite_code: 'VALIDATION_ERROR',
  subject_too_long: 'VALIDATION_ERROR',
  description_too_long: 'VALIDATION_ERROR',
  invalid_setting: 'VALIDATION_ERROR',
  payload_too_large: 'VALIDATION_ERROR',
  unauthorized: 'UNAUTHORIZED',
  forbidden: 'FORBIDDEN',
  not_group_admin: 'FORBIDDEN',
  removed_from_group: 'FORBIDDEN',
  not_found: 'NOT_FOUND',
  group_not_found: 'NOT_FOUND',
  operation_not_found: 'NOT_FOUND',
  instance_not_found: 'INSTANCE_NOT_FOUND',
  rate_limited: 'RATE_LIMIT_EXCEEDED',
  too_many_auth_failures: 'RATE_LIMIT_EXCEEDED',
  internal_error: 'INTERNAL_ERROR',
};

/** The Wappfy code of a domain code. */
export const wappfyCode = (code: ErrorCode): string => CODES[code] ?? code.toUpperCase();

/** A refusal the dialect decides itself, in Wappfy's envelope (meta is filled in when sent). */
export function wappfyError(status: number, code: string, message: string, details: unknown = {}, headers: Record<string, string> = {}): DialectReplyError {
  return new DialectReplyError(status, { success: false, error: { code, message, details } }, headers);
}

/** The error handler of the Wappfy scope: every failure in Wappfy's envelope. */
export function createWappfyErrorHandler(now: () => number) {
  return function wappfyErrorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
    if (err instanceof DialectReplyError) {
      return sendReplyError(reply, new DialectReplyError(err.status, { ...err.body, meta: meta(request, now()) }, err.headers));
    }
    const { error, status } = toDomainError(err);
    if (status >= 500) request.log.error({ err }, 'wappfy request failed');
    setRetryAfter(reply, error);
    const code = err instanceof DomainError ? wappfyStatus(error.code) : status;
    return reply.code(code).send(failure(request, now(), wappfyCode(error.code), error.message, error.details));
  };
}
