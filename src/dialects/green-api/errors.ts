/**
 * Green API's error answers: `{statusCode, message}` with Green API's statuses (400 validation and
 * instance not authorized, 401 token, 403 idInstance, 404 method, 429 rate limit). The token in the
 * path is never echoed.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorCode } from '../../core/common/errors.js';
import { setRetryAfter, toDomainError } from '../../http/errors.js';
import { DialectReplyError, sendReplyError } from '../kit/reply-error.js';

/** A Green API answer with a status the dialect decides itself (e.g. 500 for a refused group creation). */
export const greenReply = (status: number, message: string) => new DialectReplyError(status, { statusCode: status, message });

type AjvError = { instancePath?: string; keyword?: string; message?: string; params?: Record<string, unknown> };

/** One Ajv error in Green API's (Joi-like) words: `"groupId" is required`. */
export function validationDetail(v: AjvError): string {
  const path = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const p = v.params ?? {};
  if (v.keyword === 'required') return `"${[path, p.missingProperty].filter(Boolean).join('.')}" is required`;
  const name = `"${path || 'value'}"`;
  switch (v.keyword) {
    case 'type':
      return `${name} must be a ${String(p.type).split(',')[0]}`;
    case 'maxLength':
      return `${name} length must be less than or equal to ${String(p.limit)} characters long`;
    case 'minLength':
      return `${name} is not allowed to be empty`;
    case 'minimum':
      return `${name} must be greater than or equal to ${String(p.limit)}`;
    case 'maximum':
      return `${name} must be less than or equal to ${String(p.limit)}`;
    case 'minProperties':
      return `${name} must have at least ${String(p.limit)} key`;
    case 'maxItems':
      return `${name} must contain less than or equal to ${String(p.limit)} items`;
    default:
      return `${name} ${v.message ?? 'is invalid'}`;
  }
}

const VALIDATION: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'validation_failed',
  'invalid_participant',
  'invalid_group_id',
  'invalid_invite_code',
  'subject_too_long',
  'description_too_long',
  'invalid_setting',
  'unsupported_media_type',
]);

/** Status and message of a domain error on the Green API dialect. */
export function greenStatus(err: DomainError): { status: number; message: string } {
  if (VALIDATION.has(err.code)) return { status: 400, message: `Validation failed. Details: ${err.message}` };
  switch (err.code) {
    case 'unauthorized':
      return { status: 401, message: 'Unauthorized' };
    case 'forbidden':
    case 'instance_not_found':
      return { status: 403, message: 'Forbidden' };
    case 'not_found':
      return { status: 404, message: err.message.startsWith('Not Found') ? err.message : 'Not Found' };
    case 'method_not_allowed':
      return { status: 404, message: 'Not Found' };
    case 'too_many_auth_failures':
      return { status: 429, message: 'Too Many Requests' };
    case 'rate_limited':
      // Pacing past the hold limit: say when the request may run and why (Retry-After says it too).
      return { status: 429, message: `Too Many Requests: ${err.message}` };
    case 'payload_too_large':
      return { status: 413, message: 'Payload Too Large' };
    case 'instance_not_connected': {
      const status = (err.details as { status?: string } | undefined)?.status;
      const starting = status === 'starting' || status === 'disconnected';
      return { status: 400, message: starting ? 'instance in starting process try later' : 'instance account not authorized' };
    }
    case 'internal_error':
      return { status: 500, message: 'Internal Server Error' };
    default:
      // Group-level refusals outside group methods, engine refusals: the request cannot be served.
      return { status: 400, message: err.message };
  }
}

/** The plugin-scoped error handler: every failure in Green API's body, 5xx messages never leaked. */
export function greenErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof DialectReplyError) return sendReplyError(reply, err);
  const validation = (err as FastifyError & { validation?: AjvError[] }).validation;
  if (validation?.length) {
    return reply.code(400).send({ statusCode: 400, message: `Validation failed. Details: ${validationDetail(validation[0]!)}` });
  }
  const { error, status: nativeStatus } = toDomainError(err);
  let { status, message } = greenStatus(error);
  // Fastify's own request errors (bad JSON, content type) keep the status toDomainError gave them.
  if (!(err instanceof DomainError) && error.code !== 'internal_error') {
    status = nativeStatus === 413 ? 413 : 400;
    message = nativeStatus === 413 ? 'Payload Too Large' : `Validation failed. Details: ${error.message}`;
  }
  if (status >= 500) request.log.error({ err }, 'green api request failed');
  setRetryAfter(reply, error);
  return reply.code(status).send({ statusCode: status, message });
}
