import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessService, Principal } from '../core/access/access-service.js';
import { DomainError } from '../core/common/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Reads the presented key: `Authorization: Bearer <key>` or `X-Api-Key: <key>`. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const auth = Array.isArray(header) ? header[0] : header;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const x = request.headers['x-api-key'];
  const key = Array.isArray(x) ? x[0] : x;
  return key?.trim() || undefined;
}

/**
 * Slows down guessing: after `limit` failed authentications from one address within a minute,
 * that address gets 429 until the minute is over.
 */
export function createAuthFailureLimiter(limit: number, now: () => number = Date.now) {
  const failures = new Map<string, { count: number; resetAt: number }>();
  return {
    /** Seconds to wait when the address is blocked, else 0. */
    blockedFor(ip: string): number {
      const entry = failures.get(ip);
      if (!entry) return 0;
      const t = now();
      if (t >= entry.resetAt) {
        failures.delete(ip);
        return 0;
      }
      return entry.count >= limit ? Math.ceil((entry.resetAt - t) / 1000) : 0;
    },
    fail(ip: string): void {
      const t = now();
      const entry = failures.get(ip);
      if (!entry || t >= entry.resetAt) {
        if (failures.size > 100_000) failures.clear();
        failures.set(ip, { count: 1, resetAt: t + 60_000 });
      } else entry.count++;
    },
  };
}

export type AuthFailureLimiter = ReturnType<typeof createAuthFailureLimiter>;

/** Resolves the caller from a presented secret, counting failures per address. */
export async function authenticateSecret(access: AccessService, limiter: AuthFailureLimiter, request: FastifyRequest, secret: string | undefined): Promise<Principal> {
  const wait = limiter.blockedFor(request.ip);
  if (wait > 0) throw new DomainError('too_many_auth_failures', 'too many failed authentications from this address; try again later', undefined, wait);
  if (!secret) {
    limiter.fail(request.ip);
    throw new DomainError('unauthorized', 'missing API key: send Authorization: Bearer <key> or X-Api-Key');
  }
  const principal = await access.authenticate(secret);
  if (!principal) {
    limiter.fail(request.ip);
    throw new DomainError('unauthorized', 'invalid API key');
  }
  return principal;
}

/** A preHandler that requires a valid key on the native API. */
export function requireKey(access: AccessService, limiter: AuthFailureLimiter) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    request.principal = await authenticateSecret(access, limiter, request, presentedKey(request));
  };
}

/** The authenticated principal (routes behind `requireKey` only). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError('unauthorized', 'missing API key');
  return request.principal;
}

/** Refuses non-admin principals (403 forbidden). */
export function requireAdmin(access: AccessService, request: FastifyRequest): void {
  if (!access.isAdmin(principalOf(request))) throw new DomainError('forbidden', 'this action needs an admin key');
}

/**
 * Refuses access to an instance the principal may not see, answering as if it did not exist (404),
 * so a scoped key cannot probe for other instances.
 */
export function requireInstance(access: AccessService, request: FastifyRequest, instanceId: string): void {
  if (!access.canAccess(principalOf(request), instanceId)) {
    throw new DomainError('instance_not_found', `no such instance: ${instanceId}`);
  }
}
