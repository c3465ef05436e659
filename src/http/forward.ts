/**
 * Cluster mode: a request that needs an instance's live session, arriving at a node that does not
 * run that session, is sent as-is to the node that does, and its answer returned on the same HTTP
 * request. Reads of stored state stay local (every node reads the same PostgreSQL).
 *
 * Which instance a request is about: `request.instanceId`, set by each API once its credentials
 * have resolved it (the native API from `/api/instances/:id/...`, the dialects in their credential
 * hooks). Which requests need the session: every non-GET/HEAD request about an instance, and the
 * GETs whose route says `config: { session: true }` (QR code, pairing code, live connection state).
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionOwnership } from '../core/ports/cluster.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The instance this request is about, once its API's credentials resolved it. */
    instanceId?: string;
  }
  interface FastifyContextConfig {
    /** A GET that reads the live session (QR, pairing code, connection state): answered by the instance's node. */
    session?: boolean;
  }
}

/** Set on a forwarded request: the node receiving it answers it itself, never forwards it again. */
export const FORWARDED_HEADER = 'x-groupgate-forwarded-by';

export interface ForwardingDeps {
  cluster: Pick<SessionOwnership, 'clustered' | 'nodeId' | 'owns' | 'ownerOf'>;
  /** Whether the instance exists (an unknown one is answered locally at once, never held). */
  exists: (instanceId: string) => Promise<boolean>;
  /** How long a request waits for an owner while its instance has none (between a death and the takeover). */
  holdMs?: number;
  /** Longest wait for the owner's answer. */
  timeoutMs?: number;
}

/** Whether the request needs the instance's session. */
export function needsSession(request: FastifyRequest): boolean {
  return !(request.method === 'GET' || request.method === 'HEAD') || request.routeOptions.config?.session === true;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'host', 'content-length']);

/**
 * Whether a failed fetch never reached the other node: no connection was made, so nothing was sent
 * and sending again cannot run it twice. A connection reset or closed mid-request is not one of
 * these: the node may have acted before it died (that request fails, like any request in flight on
 * a node that dies).
 */
function notDelivered(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } })?.cause?.code;
  return code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'UND_ERR_CONNECT_TIMEOUT';
}

/** Installs the forwarding hook on the root app (no-op on a single node). */
export async function installForwarding(app: FastifyInstance, deps: ForwardingDeps): Promise<void> {
  const { cluster } = deps;
  if (!cluster.clustered) return;
  const holdMs = deps.holdMs ?? 20_000;
  const timeoutMs = deps.timeoutMs ?? 180_000;
  // preHandler: after every scope's credential hook (which names the instance) and before the
  // handler and the idempotency hooks of the /api scope, so only the owner records a request key.
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const id = request.instanceId;
    if (!id || request.headers[FORWARDED_HEADER] || !needsSession(request) || cluster.owns(id)) return;
    if (!(await deps.exists(id))) return;
    const until = Date.now() + holdMs;
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    // A parsed body is sent again as it was parsed (JSON re-encoded, bytes as they are); one not
    // parsed yet (multipart) is streamed through as it arrives, and then cannot be sent twice.
    const raw = request.body === undefined && hasBody && !request.raw.readableEnded;
    const body = !hasBody
      ? undefined
      : raw
        ? (Readable.toWeb(request.raw) as ReadableStream)
        : Buffer.isBuffer(request.body) || typeof request.body === 'string'
          ? request.body
          : request.body === undefined
            ? undefined
            : JSON.stringify(request.body);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    headers[FORWARDED_HEADER] = cluster.nodeId;
    for (;;) {
      let owner = await cluster.ownerOf(id);
      // No owner (between a death and the takeover): hold the request until one appears.
      while (!owner && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 200));
        if (cluster.owns(id)) return;
        owner = await cluster.ownerOf(id);
      }
      // Still nobody (or this node after all): answered here, as a not-connected instance.
      if (!owner || owner.nodeId === cluster.nodeId || cluster.owns(id)) return;
      const target = new URL(request.originalUrl ?? request.url, owner.url).toString();
      let answer: Response;
      try {
        answer = await fetch(target, {
          method: request.method,
          headers,
          body: body as RequestInit['body'],
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
          ...(raw ? { duplex: 'half' } : {}),
        } as RequestInit);
      } catch (err) {
        // The owner died (its lease not lapsed yet): nothing reached it, so wait for the next owner.
        if (!raw && notDelivered(err) && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        request.log.warn({ err, owner: owner.nodeId }, "forwarding to the instance's node failed");
        throw err;
      }
      reply.code(answer.status);
      answer.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') reply.header(name, value);
      });
      return reply.send(Buffer.from(await answer.arrayBuffer()));
    }
  });
}
