import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessService, Principal } from '../core/access/access-service.js';
import { DomainError } from '../core/common/errors.js';
import { hashSecret } from '../core/common/ids.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** The hash of the secret this request authenticated with (its reads end when that secret is revoked). */
    credentialHash?: string;
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
 * Failed-authentication limiting. A valid credential is always accepted: the limiter is consulted
 * only once a credential was refused, so a flood of bad keys never locks out a good one (not even
 * when every client shares one address behind a proxy). Failures are counted per client address
 * (the real one behind a proxy when GROUPGATE_TRUST_PROXY says which proxies to trust): after
 * `limit` failures within a minute, that address's further failures are answered 429 with
 * Retry-After until the minute is over, which makes guessing slow and noisy without ever refusing
 * someone who holds a key.
 */
export function createAuthFailureLimiter(limit: number, now: () => number = Date.now): AuthFailureLimiter {
  const failures = new Map<string, { count: number; resetAt: number }>();
  return {
    async fail(ip: string): Promise<number> {
      const t = now();
      let entry = failures.get(ip);
      if (!entry || t >= entry.resetAt) {
        // Bounded memory: a flood from many addresses drops the oldest windows first.
        if (failures.size >= 100_000) failures.delete(failures.keys().next().value!);
        failures.delete(ip);
        entry = { count: 0, resetAt: t + 60_000 };
        failures.set(ip, entry);
      }
      entry.count++;
      return entry.count > limit ? Math.max(1, Math.ceil((entry.resetAt - t) / 1000)) : 0;
    },
  };
}

/** Counts failed authentications per client address: in memory on one node, in Redis in a cluster. */
export interface AuthFailureLimiter {
  /** Counts a failure from `ip`; answers the seconds to wait when the address is over the limit, else 0. */
  fail(ip: string): Promise<number>;
}

/** The 429 for an address over the failure limit. */
export const tooManyFailures = (seconds: number) =>
  new DomainError('too_many_auth_failures', 'too many failed authentications from this address; try again later', undefined, seconds);

/** Resolves the caller from a presented secret; a refused secret counts toward the address's failure limit. */
export async function authenticateSecret(access: AccessService, limiter: AuthFailureLimiter, request: FastifyRequest, secret: string | undefined): Promise<Principal> {
  const principal = secret ? await access.authenticate(secret) : undefined;
  if (principal) {
    request.credentialHash = hashSecret(secret!);
    return principal;
  }
  const wait = await limiter.fail(request.ip);
  if (wait > 0) throw tooManyFailures(wait);
  if (!secret) throw new DomainError('unauthorized', 'missing API key: send Authorization: Bearer <key> or X-Api-Key');
  throw new DomainError('unauthorized', 'invalid API key');
}

/**
 * A hook that requires a valid key on the native API. Callback-style: a known key (the admin key or
 * a cached lookup) is resolved synchronously from its hash, hashed once; anything else takes the
 * full path through the store and the failure limiter.
 */
export function requireKey(access: AccessService, limiter: AuthFailureLimiter) {
  return (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
    const secret = presentedKey(request);
    if (secret && secret.length <= 512) {
      const hash = hashSecret(secret);
      const known = access.knownPrincipal(hash);
      if (known) {
        request.principal = known;
        request.credentialHash = hash;
        return done();
      }
    }
    authenticateSecret(access, limiter, request, secret).then(
      (principal) => {
        request.principal = principal;
        done();
      },
      (err: Error) => done(err),
    );
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

/** On a tracked request: the set of open reads it is in. */
const kOpenReads = Symbol('openReads');
/** On a socket: its requests being tracked, and the one `close` listener that untracks them. */
const kSocketReads = Symbol('socketReads');

type TrackedRequest = FastifyRequest & { [kOpenReads]?: Set<FastifyRequest> };
type TrackedSocket = NonNullable<FastifyRequest['raw']['socket']> & { [kSocketReads]?: Set<TrackedRequest> };

/**
 * Ends open reads when their credential is revoked: an event stream or a long poll opened with a
 * key or token that is then rotated or deleted is closed at once, not left receiving events. Reads
 * (GET) only: a write in flight finishes and answers.
 *
 * Every authenticated GET is tracked from its preHandler to its response, or to its connection's
 * close (a hijacked stream never answers through Fastify). The bookkeeping is two set entries per
 * request and one listener per connection, not a closure and a listener per request: GETs are the
 * API's hottest path.
 */
export function closeReadsOnRevocation(app: FastifyInstance, access: Pick<AccessService, 'onRevoked'>): void {
  const open = new Map<string, Set<FastifyRequest>>();
  const untrack = (request: TrackedRequest, hash: string) => {
    const set = request[kOpenReads];
    if (!set) return;
    request[kOpenReads] = undefined;
    set.delete(request);
    if (set.size === 0 && open.get(hash) === set) open.delete(hash);
    (request.raw.socket as TrackedSocket | null)?.[kSocketReads]?.delete(request);
  };
  // Callback-style hooks: they run on every request, and most have nothing to do.
  app.addHook('preHandler', (request: TrackedRequest, _reply, done) => {
    const hash = request.credentialHash;
    const socket = request.raw.socket as TrackedSocket | null;
    if (request.method !== 'GET' || !hash || !socket || socket.destroyed) return done();
    let set = open.get(hash);
    if (!set) open.set(hash, (set = new Set()));
    set.add(request);
    request[kOpenReads] = set;
    let onSocket = socket[kSocketReads];
    if (!onSocket) {
      const reads = (onSocket = socket[kSocketReads] = new Set());
      socket.once('close', () => {
        for (const r of [...reads]) untrack(r, r.credentialHash!);
      });
    }
    onSocket.add(request);
    done();
  });
  app.addHook('onResponse', (request: TrackedRequest, _reply, done) => {
    if (request[kOpenReads]) untrack(request, request.credentialHash!);
    done();
  });
  const unsubscribe = access.onRevoked((hash) => {
    const set = open.get(hash);
    if (!set) return;
    for (const request of [...set]) request.raw.socket?.destroy();
  });
  app.addHook('onClose', async () => unsubscribe());
}
