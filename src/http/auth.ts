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

/** On a connection: its authenticated GETs in flight, counted per credential hash. */
const kReads = Symbol('openReads');
/** On a request while it is counted: its connection. */
const kCounted = Symbol('countedRead');

type ReadSocket = NonNullable<FastifyRequest['raw']['socket']> & { [kReads]?: Map<string, number> };
type ReadRequest = FastifyRequest & { [kCounted]?: ReadSocket };

/**
 * Ends open reads when their credential is revoked: an event stream or a long poll opened with a
 * key or token that is then rotated or deleted is closed at once, not left receiving events. Reads
 * (GET) only: a write in flight finishes and answers.
 *
 * Each connection counts its authenticated GETs in flight per credential, from their preHandler to
 * their response (a hijacked stream never answers through Fastify: it counts until its connection
 * closes), and is indexed by credential from its first such GET to its close. A revocation closes
 * the connections with a read in flight on that credential. Per request this is one count up and
 * one down: GETs are the API's hottest path, and a keep-alive connection uses one key throughout.
 */
export function closeReadsOnRevocation(app: FastifyInstance, access: Pick<AccessService, 'onRevoked'>): void {
  const open = new Map<string, Set<ReadSocket>>();
  // Callback-style hooks: they run on every request, and most have nothing to do.
  app.addHook('preHandler', (request: ReadRequest, _reply, done) => {
    const hash = request.credentialHash;
    const socket = request.raw.socket as ReadSocket | null;
    if (request.method !== 'GET' || !hash || !socket || socket.destroyed) return done();
    let reads = socket[kReads];
    if (!reads) {
      const counts = (reads = socket[kReads] = new Map());
      socket.once('close', () => {
        for (const h of counts.keys()) {
          const sockets = open.get(h);
          if (sockets?.delete(socket) && sockets.size === 0) open.delete(h);
        }
      });
    }
    const n = reads.get(hash);
    if (n === undefined) {
      let sockets = open.get(hash);
      if (!sockets) open.set(hash, (sockets = new Set()));
      sockets.add(socket);
    }
    reads.set(hash, (n ?? 0) + 1);
    request[kCounted] = socket;
    done();
  });
  app.addHook('onResponse', (request: ReadRequest, _reply, done) => {
    const socket = request[kCounted];
    if (socket) {
      request[kCounted] = undefined;
      const reads = socket[kReads]!;
      const hash = request.credentialHash!;
      reads.set(hash, reads.get(hash)! - 1);
    }
    done();
  });
  const unsubscribe = access.onRevoked((hash) => {
    const sockets = open.get(hash);
    if (!sockets) return;
    for (const socket of [...sockets]) if ((socket[kReads]?.get(hash) ?? 0) > 0) socket.destroy();
  });
  app.addHook('onClose', async () => unsubscribe());
}
