/**
 * Idempotency-Key on the native API: a POST, PATCH or DELETE sent with `Idempotency-Key: <key>` runs
 * once per (caller, key). The caller is the API key (or instance token) that sent it, so two
 * clients cannot see each other's keys.
 *
 * - Same key, same method, path and body within the retention (24 h by default): the stored
 *   response (status, body, Location) is answered again, with `Idempotent-Replayed: true`.
 * - Same key, different request: 422 `idempotency_key_reused`.
 * - Same key while the first request is still running: 409 `idempotency_in_progress` with
 *   Retry-After: 1 (the second request does not wait; retrying it later gets the stored response).
 * - Responses that invite a retry (429 and 5xx) are not stored: the key is released.
 * Records live in the database, so replays survive restarts.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../core/access/access-service.js';
import { DomainError } from '../core/common/errors.js';
import type { IdempotencyRepository } from '../core/ports/idempotency.js';
import { principalOf } from './auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { scope: string; key: string };
  }
}

const METHODS = new Set(['POST', 'PATCH', 'DELETE']);
/** A request holding a key longer than this (the server's request timeout, plus slack) is presumed lost. */
const LOCK_MS = 130_000;
const REPLAYED_HEADERS = ['content-type', 'location'];

/** The scope of a key: who sent it. */
export function idempotencyScope(principal: Principal): string {
  switch (principal.kind) {
    case 'admin':
      return `admin:${principal.keyId ?? 'root'}`;
    case 'key':
      return `key:${principal.keyId}`;
    case 'instance':
      return `instance:${principal.instanceId}`;
  }
}

/** JSON with sorted keys, so `{a,b}` and `{b,a}` are the same body. */
function canonical(value: unknown): string {
  if (Buffer.isBuffer(value)) return `buffer:${createHash('sha256').update(value).digest('hex')}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

export function requestFingerprint(method: string, url: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${url}\n${canonical(body)}`)
    .digest('hex');
}

export interface IdempotencyOptions {
  records: IdempotencyRepository;
  now: () => number;
  retentionHours: number;
}

/** Installs the Idempotency-Key hooks on a scope whose routes authenticate in `onRequest`. */
export function installIdempotency(scope: FastifyInstance, options: IdempotencyOptions): void {
  const { records, now } = options;
  const retentionMs = options.retentionHours * 3_600_000;

  scope.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!METHODS.has(request.method)) return;
    const raw = request.headers['idempotency-key'];
    if (raw === undefined) return;
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (!key || key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
      throw new DomainError('validation_failed', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
    }
    const scopeId = idempotencyScope(principalOf(request));
    const fingerprint = requestFingerprint(request.method, request.url, request.body);
    const t = now();
    const claim = await records.claim({ scope: scopeId, key, fingerprint, lockedUntil: t + LOCK_MS, expiresAt: t + retentionMs }, t);
    if (claim.claimed) {
      request.idempotency = { scope: scopeId, key };
      return;
    }
    const existing = claim.existing;
    if (existing.fingerprint !== fingerprint) {
      throw new DomainError('idempotency_key_reused', 'this Idempotency-Key was used with a different request; use a new key for a new request');
    }
    if (existing.state !== 'done' || !existing.response) {
      throw new DomainError('idempotency_in_progress', 'a request with this Idempotency-Key is still being processed; retry shortly', undefined, 1);
    }
    for (const [name, value] of Object.entries(existing.response.headers)) reply.header(name, value);
    reply.header('idempotent-replayed', 'true');
    return reply.code(existing.response.status).send(existing.response.body);
  });

  scope.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const held = request.idempotency;
    if (!held) return payload;
    request.idempotency = undefined;
    const status = reply.statusCode;
    if (status === 429 || status >= 500 || typeof payload !== 'string') {
      await records.release(held.scope, held.key);
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) headers[name] = String(value);
    }
    await records.complete(held.scope, held.key, { status, headers, body: payload });
    return payload;
  });
}
