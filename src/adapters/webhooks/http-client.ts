/**
 * The HTTP client for outbound calls to client-given URLs (webhook POSTs, picture GETs): a checked address (every address the name resolves to must be
 * allowed, and the connection goes to the checked one, so DNS rebinding cannot slip in between),
 * a hard timeout, no redirects, and at most 64 KB of the answer read.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import { isIP, type LookupFunction } from 'node:net';
import { addressAllowed, connectRefusal } from '../../core/webhooks/webhook-ssrf.js';
import { DELIVERY_TIMEOUT_MS, MAX_RESPONSE_BYTES } from '../../core/webhooks/webhook-rules.js';
import type { FetchResult, MediaFetcher } from '../../core/ports/media-fetcher.js';

/** Resolves a host name to all of its addresses (injectable for tests). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

export interface PostOptions {
  allowPrivate: boolean;
  timeoutMs?: number;
  maxResponseBytes?: number;
  resolver?: Resolver;
  signal?: AbortSignal;
}

export interface PostResult {
  /** The receiver's status, when it answered. */
  statusCode: number | null;
  /** Why no answer came (refused address, timeout, connection error). */
  error: string | null;
  /** Bytes of the answer read (at most maxResponseBytes). */
  bytesRead: number;
}

class RefusedAddress extends Error {}
class TimedOut extends Error {}

/**
 * Keep-alive agents, one per (protocol, resolver, policy). A pooled socket is safe to reuse: it was
 * opened to an address that passed the check, and reuse never resolves the name again, so DNS
 * rebinding cannot redirect it. New sockets always go through the checked lookup.
 */
const agents = new Map<string, Map<Resolver, http.Agent>>();
function agentFor(protocol: string, resolver: Resolver, allowPrivate: boolean): http.Agent {
  const kind = `${protocol}${allowPrivate ? '+private' : ''}`;
  let byResolver = agents.get(kind);
  if (!byResolver) agents.set(kind, (byResolver = new Map()));
  let agent = byResolver.get(resolver);
  if (!agent) {
    const options = { keepAlive: true, keepAliveMsecs: 1000, maxSockets: 16, maxFreeSockets: 16, timeout: 30_000, lookup: checkedLookup(resolver, allowPrivate) };
    agent = protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
    byResolver.set(resolver, agent);
  }
  return agent;
}

/** A `lookup` for the socket that resolves, checks every address, and hands over only checked ones. */
function checkedLookup(resolver: Resolver, allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolver(hostname).then(
      (addresses) => {
        const refused = addresses.find((a) => !addressAllowed(a.address, allowPrivate));
        if (refused) return callback(new RefusedAddress(connectRefusal(hostname, refused.address)), '', 0);
        const family = typeof options === 'object' && options ? options.family : undefined;
        const usable = addresses.filter((a) => !family || family === 0 || a.family === family);
        if (!usable.length) return callback(Object.assign(new Error(`${hostname} has no usable address`), { code: 'ENOTFOUND' }), '', 0);
        if (typeof options === 'object' && options?.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
        callback(null, usable[0]!.address, usable[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

interface Target {
  host: string;
  ip: boolean;
  allowedPublic: boolean;
  allowedPrivate: boolean;
  request: http.RequestOptions;
  /** The agent its last request used, with what chose it (a lane's requests all use the same). */
  agent?: { resolver: Resolver; allowPrivate: boolean; agent: http.Agent };
}
const targets = new WeakMap<URL, Target>();
/** What a URL's requests need, worked out once per URL object (a lane posts every event to one). */
function targetOf(url: URL): Target {
  let target = targets.get(url);
  if (!target) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const ip = isIP(host) !== 0;
    target = {
      host,
      ip,
      allowedPublic: !ip || addressAllowed(host, false),
      allowedPrivate: !ip || addressAllowed(host, true),
      request: urlToHttpOptions(url),
    };
    targets.set(url, target);
  }
  return target;
}

/** The keep-alive agent for a target's requests (`agentFor`, remembered on the target). */
function targetAgent(url: URL, target: Target, resolver: Resolver, allowPrivate: boolean): http.Agent {
  const last = target.agent;
  if (last && last.resolver === resolver && last.allowPrivate === allowPrivate) return last.agent;
  const agent = agentFor(url.protocol, resolver, allowPrivate);
  target.agent = { resolver, allowPrivate, agent };
  return agent;
}

/** Requests in flight per abort signal: one listener on a signal for all of them, not one per request. */
const inFlight = new WeakMap<AbortSignal, Set<http.ClientRequest>>();
function abortable(signal: AbortSignal, req: http.ClientRequest): Set<http.ClientRequest> {
  let reqs = inFlight.get(signal);
  if (!reqs) {
    const set = (reqs = new Set());
    inFlight.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        for (const r of set) r.destroy(new TimedOut('aborted: the server is shutting down'));
        set.clear();
      },
      { once: true },
    );
  }
  reqs.add(req);
  return reqs;
}

/** POSTs `body` to `url`; resolves with the status or an error text, never rejects. */
export function postJson(url: URL, body: string, headers: Record<string, string>, options: PostOptions): Promise<PostResult> {
  return postWithLength(url, body, withContentLength(headers, body), options);
}

/** `headers` with the body's `content-length` added (a new object). */
export function withContentLength(headers: Record<string, string>, body: string): Record<string, string> {
  return { ...headers, 'content-length': String(Buffer.byteLength(body)) };
}

/**
 * The whole header block of a POST of `body` to `url` as a flat [name, value, ...] list: `host`,
 * `headers`, `content-length`. Node writes such a list as it is (still validating every name and
 * value) instead of setting the headers one by one, which is cheaper per request.
 */
export function headerList(url: URL, headers: Record<string, string>, body: string): string[] {
  const list = ['host', url.host];
  for (const name of Object.keys(headers)) list.push(name, headers[name]!);
  list.push('content-length', String(Buffer.byteLength(body)));
  return list;
}

/**
 * As `postJson`, with headers that already hold the body's `content-length` (`withContentLength`,
 * or `headerList`), so a message prepared ahead costs no header work when sent. The request goes
 * out synchronously when the agent has a free socket (written on the next tick).
 */
export function postWithLength(url: URL, body: string, headers: Record<string, string> | string[], options: PostOptions): Promise<PostResult> {
  const target = targetOf(url);
  if (target.ip && !(options.allowPrivate ? target.allowedPrivate : target.allowedPublic)) {
    return Promise.resolve({ statusCode: null, error: connectRefusal(target.host, target.host), bytesRead: 0 });
  }
  const timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      aborts?.delete(req);
      resolve(r);
    };
    const req = client.request({
      ...target.request,
      method: 'POST',
      headers,
      agent: targetAgent(url, target, options.resolver ?? systemResolver, options.allowPrivate),
    });
    const timer = setTimeout(() => req.destroy(new TimedOut(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const aborts = options.signal && abortable(options.signal, req);
    req.on('response', (res) => {
      let bytesRead = 0;
      res.on('data', (chunk: Buffer) => {
        bytesRead += chunk.length;
        // Enough read: the status is what counts, a huge answer must not hold memory.
        if (bytesRead >= maxBytes) {
          bytesRead = maxBytes;
          res.destroy();
          finish({ statusCode: res.statusCode ?? null, error: null, bytesRead });
        }
      });
      res.on('end', () => finish({ statusCode: res.statusCode ?? null, error: null, bytesRead }));
      res.on('error', () => finish({ statusCode: res.statusCode ?? null, error: null, bytesRead }));
      res.on('close', () => finish({ statusCode: res.statusCode ?? null, error: null, bytesRead }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      // Node's messages name the address connected to ("connect ECONNREFUSED 10.0.0.5:5432"): a
      // tenant must not learn what a name resolves to, so only the error code is reported.
      const text = err instanceof RefusedAddress || err instanceof TimedOut ? err.message : err.code ? `connection failed: ${err.code}` : 'connection failed';
      finish({ statusCode: null, error: text, bytesRead: 0 });
    });
    req.end(body);
  });
}

/** GETs `url` through the checked agent: the status and at most `maxBytes` of the body; never rejects. */
export async function getBytes(url: URL, options: { allowPrivate: boolean; timeoutMs: number; maxBytes: number; resolver?: Resolver }): Promise<FetchResult> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !addressAllowed(host, options.allowPrivate)) return { ok: false, error: connectRefusal(host, host) };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<FetchResult>((resolve) => {
    let settled = false;
    const finish = (r: FetchResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = client.request(url, { method: 'GET', agent: agentFor(url.protocol, options.resolver ?? systemResolver, options.allowPrivate) });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          res.destroy();
          finish({ ok: false, error: `more than ${options.maxBytes} bytes`, tooLarge: true });
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => finish({ ok: true, status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? null, body: Buffer.concat(chunks) }));
      res.on('error', (err) => finish({ ok: false, error: err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const text = err instanceof RefusedAddress ? err.message : err.code ? `${err.code}: ${err.message}` : err.message;
      finish({ ok: false, error: text });
    });
    req.end();
  });
}

/** The media fetcher over `getBytes`. */
export const httpMediaFetcher: MediaFetcher = {
  get: (url, limits) => getBytes(url, limits),
};
