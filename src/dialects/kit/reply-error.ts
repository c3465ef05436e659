/**
 * An answer a dialect decides itself, in its provider's exact shape (credentials, routing, limits):
 * thrown from hooks and routes, sent as is by the dialect's error handler.
 */
import type { FastifyReply } from 'fastify';

export class DialectReplyError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.message === 'string' ? body.message : typeof body.error === 'string' ? body.error : 'error');
    this.name = 'DialectReplyError';
  }
}

/** Sends a DialectReplyError: its status, headers and body. */
export function sendReplyError(reply: FastifyReply, err: DialectReplyError): FastifyReply {
  return reply.code(err.status).headers(err.headers).send(err.body);
}
