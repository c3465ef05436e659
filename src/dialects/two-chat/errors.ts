/**
 * 2Chat's error answers: `{detail}` for authentication, routing and request-shape errors (422,
 * FastAPI-style `{detail: [{loc, msg, type}]}`), `{success: false, message}` for refusals.
 * Nothing a client sends becomes a 5xx.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../core/common/errors.js';
import { dialectStatus, setRetryAfter, toDomainError } from '../../http/errors.js';
import { DialectReplyError, sendReplyError } from '../kit/reply-error.js';

/** One FastAPI-style validation entry. */
export interface DetailEntry {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** 422 with FastAPI's validation body. */
export function unprocessable(entries: DetailEntry[]): DialectReplyError {
  return new DialectReplyError(422, { detail: entries });
}

/** 400 `{success: false, message}`. */
export function badRequest(message: string): DialectReplyError {
  return new DialectReplyError(400, { success: false, message });
}

/** HTTP status of each domain code on the 2Chat dialect. */
const statusOf = dialectStatus({
  // WhatsApp refused what the client asked: the client's request, not our failure.
  engine_refused: 400,
});

/** Sends a domain error as 2Chat does: `{success: false, message}`. */
export function sendTwoChatDomainError(reply: FastifyReply, err: DomainError, status?: number): FastifyReply {
  setRetryAfter(reply, err);
  return reply.code(status ?? statusOf(err.code)).send({ success: false, message: err.message });
}

type AjvEntry = { instancePath?: string; message?: string; keyword?: string; params?: Record<string, unknown> };

/** The error handler of the 2Chat scope. */
export function twoChatErrorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof DialectReplyError) return sendReplyError(reply, err);
  const validation = (err as FastifyError & { validation?: AjvEntry[]; validationContext?: string }).validation;
  if (validation) {
    const where = (err as { validationContext?: string }).validationContext ?? 'body';
    const detail = validation.map((v) => {
      const path = (v.instancePath ?? '')
        .split('/')
        .filter(Boolean)
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const missing = v.keyword === 'required' && typeof v.params?.missingProperty === 'string' ? [v.params.missingProperty] : [];
      return { loc: [where, ...path, ...missing], msg: v.message ?? 'invalid', type: v.keyword === 'required' ? 'missing' : `value_error.${v.keyword ?? 'invalid'}` };
    });
    return reply.code(422).send({ detail });
  }
  const code = (err as FastifyError).code;
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) {
    return reply.code(422).send({ detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] });
  }
  const { error, status } = toDomainError(err);
  if (status >= 500) request.log.error({ err }, '2chat request failed');
  return sendTwoChatDomainError(reply, error, err instanceof DomainError ? undefined : status);
}
