import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorCode } from '../core/common/errors.js';

/** HTTP status of each domain error code on the native API. Dialects keep their own tables. */
export const NATIVE_STATUS: Record<ErrorCode, number> = {
  validation_failed: 400,
  invalid_participant: 422,
  invalid_group_id: 400,
  invalid_invite_code: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  not_found: 404,
  method_not_allowed: 405,
  unauthorized: 401,
  forbidden: 403,
  too_many_auth_failures: 429,
  instance_not_found: 404,
  instance_not_connected: 409,
  engine_not_available: 422,
  qr_not_available: 409,
  phone_in_use: 409,
  group_not_found: 404,
  not_group_admin: 403,
  participant_already_member: 409,
  participant_not_member: 409,
  invite_code_revoked: 410,
  already_member: 409,
  removed_from_group: 403,
  subject_too_long: 400,
  description_too_long: 400,
  invalid_setting: 400,
  group_full: 409,
  rate_limited: 429,
  engine_refused: 502,
  key_not_found: 404,
  operation_not_found: 404,
  operation_not_cancellable: 409,
  idempotency_key_reused: 422,
  idempotency_in_progress: 409,
  webhook_not_found: 404,
  webhook_url_refused: 422,
  secret_already_revealed: 409,
  media_url_refused: 422,
  media_fetch_failed: 422,
  delivery_not_found: 404,
  event_not_found: 404,
  conflict: 409,
  internal_error: 500,
};

/** The native error body: `{error: {code, message, details?}, requestId}`. */
export function errorBody(requestId: string, code: string, message: string, details?: unknown) {
  return { error: { code, message, ...(details !== undefined ? { details } : {}) }, requestId };
}

/** A dialect's status table: the native status of each code, except where the dialect has its own. */
export function dialectStatus(own: Partial<Record<ErrorCode, number>>): (code: ErrorCode) => number {
  return (code) => own[code] ?? NATIVE_STATUS[code];
}

/** Sets `retry-after` (whole seconds, at least 1) when the error says when to try again; every dialect does. */
export function setRetryAfter(reply: FastifyReply, err: DomainError): void {
  if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
}

/** Sends a domain error in the native envelope. */
export function sendDomainError(reply: FastifyReply, err: DomainError, status = NATIVE_STATUS[err.code]): FastifyReply {
  setRetryAfter(reply, err);
  return reply.code(status).send(errorBody(reply.request.id, err.code, err.message, err.details));
}

/**
 * Converts whatever was thrown into a DomainError a client may see: Fastify's own request errors
 * (bad JSON, body too large, wrong content type, schema validation) keep their 4xx; anything else
 * is an internal error whose message is never leaked.
 */
export function toDomainError(err: unknown): { error: DomainError; status: number } {
  if (err instanceof DomainError) return { error: err, status: NATIVE_STATUS[err.code] };
  const e = err as FastifyError & { validation?: { instancePath?: string; message?: string; params?: unknown }[]; validationContext?: string };
  if (e?.validation) {
    const where = e.validationContext ?? 'body';
    const details = e.validation.map((v) => ({ path: `${where}${v.instancePath ?? ''}`, message: v.message ?? 'invalid', ...(v.params ? { params: v.params } : {}) }));
    const first = details[0];
    return { error: new DomainError('validation_failed', first ? `${first.path} ${first.message}` : 'invalid request', details), status: 400 };
  }
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { error: new DomainError('payload_too_large', 'request body is too large'), status: 413 };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { error: new DomainError('unsupported_media_type', 'unsupported content type; send application/json'), status: status === 400 ? 400 : 415 };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { error: new DomainError('validation_failed', 'body cannot be empty when content-type is application/json'), status: 400 };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { error: new DomainError('validation_failed', 'body is not valid JSON'), status: 400 };
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_MAX_PARAM_LENGTH':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return { error: new DomainError('not_found', 'no such route'), status: 404 };
  }
  if (e instanceof SyntaxError || (status >= 400 && status < 500)) {
    return {
      error: new DomainError('validation_failed', status === 413 ? 'request body is too large' : 'malformed request'),
      status: status >= 400 && status < 500 ? status : 400,
    };
  }
  return { error: new DomainError('internal_error', 'internal error'), status: 500 };
}

/** Installs the error and not-found handlers that answer every failure in the native envelope. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const { error, status } = toDomainError(err);
    if (status >= 500) request.log.error({ err }, 'request failed');
    return sendDomainError(reply, error, status);
  });
  // The path is not echoed: clients put secrets in paths, and a 404 body is often logged by whoever receives it.
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).send(errorBody(request.id, 'not_found', `no route for ${request.method} at this path; the API is described at /docs`)),
  );
}

/** Whether any string inside a parsed value (keys included) holds a NUL character. Iterative: depth is client-controlled. */
export function containsNul(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.includes('\u0000');
  if (typeof value !== 'object' || Buffer.isBuffer(value)) return false;
  // A flat object of strings (path params, most query strings), on every request: no stack, no entries.
  let nested = false;
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    if (k.includes('\u0000') || (typeof v === 'string' && v.includes('\u0000'))) return true;
    if (v !== null && typeof v === 'object') nested = true;
  }
  if (!nested) return false;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      for (const [k, item] of Object.entries(v)) {
        if (k.includes('\u0000')) return true;
        stack.push(item);
      }
    }
  }
  return false;
}

/**
 * A preValidation hook refusing NUL (U+0000) anywhere in params, query or body: PostgreSQL cannot
 * store it in text, and no WhatsApp name, id or text carries it, so it is refused as invalid input
 * before any handler acts (rather than failing half-way as a 500).
 */
export async function rejectNul(request: FastifyRequest): Promise<void> {
  if (containsNul(request.params) || containsNul(request.query) || containsNul(request.body)) {
    throw new DomainError('validation_failed', 'the request contains a NUL (U+0000) character');
  }
}

/** A preValidation hook: a multipart body must name its boundary (else the parser fails deep inside a route). */
export async function rejectMultipartWithoutBoundary(request: FastifyRequest): Promise<void> {
  const type = request.headers['content-type'];
  if (typeof type === 'string' && /^\s*multipart\//i.test(type) && !/;\s*boundary=("[^"]+"|[^;\s]+)/i.test(type)) {
    throw new DomainError('validation_failed', 'a multipart body needs a boundary: Content-Type: multipart/form-data; boundary=...');
  }
}

/** Both preValidation checks above as one callback-style hook (no promise per request). */
export function checkInput(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
  const type = request.headers['content-type'];
  if (containsNul(request.params) || containsNul(request.query) || containsNul(request.body)) {
    done(new DomainError('validation_failed', 'the request contains a NUL (U+0000) character'));
  } else if (typeof type === 'string' && /^\s*multipart\//i.test(type) && !/;\s*boundary=("[^"]+"|[^;\s]+)/i.test(type)) {
    done(new DomainError('validation_failed', 'a multipart body needs a boundary: Content-Type: multipart/form-data; boundary=...'));
  } else {
    done();
  }
}

/** Fastify's `frameworkErrors` option: URL errors raised before routing, in the same envelope. */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { error, status } = toDomainError(err);
  // Raised before routing, so the app's onSend hook that sets this header does not run.
  reply.header('x-request-id', request.id);
  void sendDomainError(reply, error, status);
}
