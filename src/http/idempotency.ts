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
 *   "Running" is a lease its process renews while it lives: when that process dies (a crash), the
 *   lease ends and the next retry takes the key over.
 * - A request that starts an operation stores its request key with the operation, in the same
 *   write: a retry after a crash (no stored response) follows that operation to its outcome and
 *   never starts a second one.
 * - Responses that invite a retry (429 and 5xx) are not stored: the key is released.
 * - Stored responses never hold a secret (API keys, tokens, webhook secrets: shown once). A replay
 *   answers the resource with each secret replaced by `[withheld]` and `Idempotent-Secrets-Withheld: true`.
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
    idempotency?: { scope: string; key: string; requestKey: string };
  }
}

const METHODS = new Set(['POST', 'PATCH', 'DELETE']);
/** The lease of a key held by a running request; its process renews it every third of this while it lives. */
export const IDEMPOTENCY_LEASE_MS = 15_000;
const REPLAYED_HEADERS = ['content-type', 'location'];
/** What groupgate's secrets look like: API keys, instance tokens, webhook signing secrets. */
const SECRET_VALUE = /^(?:gg_|ggi_|whsec_)[A-Za-z0-9_\-+/=]{16,}$/;
/** Fields that hold a client-chosen secret. */
const SECRET_FIELDS = new Set(['secret', 'webhookUrlToken', 'apiTokenInstance']);
export const WITHHELD = '[withheld]';

/** The JSON body with every secret replaced by `[withheld]`; `withheld` tells whether any was. */
export function withholdSecrets(body: string): { body: string; withheld: boolean } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { body, withheld: false };
  }
  let withheld = false;
  const walk = (value: unknown, field?: string): unknown => {
    if (typeof value === 'string' && (SECRET_VALUE.test(value) || (field !== undefined && SECRET_FIELDS.has(field) && value !== ''))) {
      withheld = true;
      return WITHHELD;
    }
    if (Array.isArray(value)) return value.map((v) => walk(v));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, walk(v, k)]));
    return value;
  };
  const out = walk(parsed);
  return withheld ? { body: JSON.stringify(out), withheld } : { body, withheld };
}

/** The request key a route passes to a paced service (`PacedOptions.requestKey`): set when the request carries an Idempotency-Key. */
export function requestKeyOf(request: FastifyRequest): string | undefined {
  return request.idempotency?.requestKey;
}

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
  /** This process (its leases are renewed while it lives). */
  holder: string;
  /** Test-only crash points (`idempotency.before-record`: the answer is ready, its record not yet written). */
  crashPoint?: (name: string) => void;
}

/** Installs the Idempotency-Key hooks on a scope whose routes authenticate in `onRequest`. */
export function installIdempotency(scope: FastifyInstance, options: IdempotencyOptions): void {
  const { records, now, holder } = options;
  const retentionMs = options.retentionHours * 3_600_000;
  const renewal = setInterval(() => {
    records.renew(holder, now() + IDEMPOTENCY_LEASE_MS).catch((err: unknown) => scope.log.warn({ err }, 'renewing idempotency leases failed'));
  }, IDEMPOTENCY_LEASE_MS / 3);
  renewal.unref();
  scope.addHook('onClose', async () => clearInterval(renewal));

  const claim = async (request: FastifyRequest, reply: FastifyReply) => {
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
    const claim = await records.claim({ scope: scopeId, key, fingerprint, holder, lockedUntil: t + IDEMPOTENCY_LEASE_MS, expiresAt: t + retentionMs }, t);
    if (claim.claimed) {
      const requestKey = createHash('sha256').update(`${scopeId}\n${key}\n${fingerprint}\n${claim.expiresAt}`).digest('hex');
      request.idempotency = { scope: scopeId, key, requestKey };
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
  };

  const record = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
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
    options.crashPoint?.('idempotency.before-record');
    const kept = withholdSecrets(payload);
    if (kept.withheld) headers['idempotent-secrets-withheld'] = 'true';
    await records.complete(held.scope, held.key, { status, headers, body: kept.body });
    return payload;
  };

  // Only routes that change something carry the hooks: reads pay nothing for them. They are the
  // first route-level hooks, so they run where scope-level hooks of this scope would.
  scope.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((m) => METHODS.has(m))) return;
    const own = <T>(hooks: T | T[] | undefined): T[] => (hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]);
    route.preHandler = [claim, ...own(route.preHandler)] as typeof route.preHandler;
    route.onSend = [record, ...own(route.onSend)] as typeof route.onSend;
  });
}
