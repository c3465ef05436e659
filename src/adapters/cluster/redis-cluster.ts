/**
 * Cluster mode on Redis: the node registry, one lease per instance with a fencing token, the
 * balancing loop and the notice bus (`SessionOwnership` + `ClusterBus` of `core/ports/cluster.ts`).
 *
 * - Registry: `<prefix>node:<nodeId>` holds the node's `NodeInfo` with a TTL (the lease time),
 *   refreshed with every renewal; `<prefix>nodes` is the set of names ever seen (dead ones are
 *   dropped when their key is gone).
 * - Lease: `<prefix>lease:<instanceId>` = `<nodeId>:<token>`, set NX with PX = the lease time; the
 *   token comes from INCR `<prefix>fence:<instanceId>`, so it only grows. Renewal and release are
 *   compare-and-set scripts on the whole value.
 * - Local deadline: the lease counts from when its acquire or renewal was *sent*; once that time
 *   plus the lease time has passed without a successful renewal, `owns()` is false and the
 *   instance is lost (its session stopped), before Redis can give the lease to another node.
 * - Balancing: every `balanceMs`, and at once on a node joining, leaving or handing over, a node
 *   takes unowned instances while it holds fewer than ceil(instances / live nodes), and hands over
 *   its extras when it holds more.
 */
import { Redis } from 'ioredis';
import type { ClusterBus, NodeInfo, SessionOwnership } from '../../core/ports/cluster.js';
import type { Logger } from '../../core/ports/logger.js';

const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return token`;
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0`;

export interface RedisClusterOptions {
  url: string;
  /** Prefix of every key and channel (tests use one each). */
  prefix: string;
  node: NodeInfo;
  /** Every instance the cluster should run (from the shared store). */
  listInstances: () => Promise<string[]>;
  logger: Logger;
  leaseMs?: number;
  renewMs?: number;
  balanceMs?: number;
  now?: () => number;
}

export interface RedisCluster extends SessionOwnership, ClusterBus {
  /** The lease's fencing token while this node holds the instance. */
  tokenOf(instanceId: string): number | undefined;
  /** Registers this node, subscribes, and starts renewing and balancing. */
  start(): Promise<void>;
  /** Runs one balancing pass now (tests). */
  balance(): Promise<void>;
  /** Graceful: stops every owned instance, releases its lease, tells the others, unregisters. */
  close(): Promise<void>;
}

interface Held {
  value: string;
  token: number;
  /** Local deadline: when the last successful acquire/renew was sent, plus the lease time. */
  deadline: number;
}

const INTERNAL = 'cluster';

export function createRedisCluster(options: RedisClusterOptions): RedisCluster {
  const { prefix, node, logger } = options;
  const leaseMs = options.leaseMs ?? 10_000;
  const renewMs = options.renewMs ?? Math.floor(leaseMs / 4);
  const balanceMs = options.balanceMs ?? 2_000;
  const now = options.now ?? Date.now;
  const redisOptions = { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: true };
  const redis = new Redis(options.url, redisOptions);
  const sub = new Redis(options.url, redisOptions);
  for (const r of [redis, sub]) r.on('error', (err) => logger.warn({ err: String(err) }, 'redis connection error'));

  const held = new Map<string, Held>();
  /** Instance -> node, as of the last balancing pass (display only). */
  const owners = new Map<string, string>();
  const acquiredFns: ((id: string) => Promise<void> | void)[] = [];
  const lostFns: ((id: string) => Promise<void> | void)[] = [];
  const listeners = new Map<string, ((m: string) => void)[]>();
  // One change at a time per instance (start after stop, never both at once).
  const chains = new Map<string, Promise<void>>();
  let renewTimer: NodeJS.Timeout | undefined;
  let balanceTimer: NodeJS.Timeout | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  let closed = false;
  let started = false;
  let balancing: Promise<void> | undefined;
  let balanceAgain = false;

  const leaseKey = (id: string) => `${prefix}lease:${id}`;
  const fenceKey = (id: string) => `${prefix}fence:${id}`;
  const nodeKey = (id: string) => `${prefix}node:${id}`;
  const channelKey = (c: string) => `${prefix}bus:${c}`;

  function serial(id: string, fn: () => Promise<void>): Promise<void> {
    const next = (chains.get(id) ?? Promise.resolve()).then(fn, fn);
    const tail = next.catch(() => {});
    chains.set(id, tail);
    void tail.then(() => {
      if (chains.get(id) === tail) chains.delete(id);
    });
    return next;
  }

  async function runAll(fns: ((id: string) => Promise<void> | void)[], id: string, what: string): Promise<void> {
    for (const fn of fns) {
      try {
        await fn(id);
      } catch (err) {
        logger.error({ err, instanceId: id }, `cluster ${what} hook failed`);
      }
    }
  }

  const owns = (id: string) => {
    const h = held.get(id);
    return !!h && now() < h.deadline;
  };

  /** Lost without our consent (renewal refused or too late): forget at once, then stop. */
  function lost(id: string, why: string): void {
    if (!held.delete(id)) return;
    logger.warn({ instanceId: id, why }, 'lost the lease of an instance');
    void serial(id, () => runAll(lostFns, id, 'lost'));
  }

  async function acquire(id: string): Promise<boolean> {
    if (closed || held.has(id)) return false;
    const value = node.nodeId;
    const sent = now();
    const token = Number(await redis.eval(ACQUIRE, 2, leaseKey(id), fenceKey(id), value, String(leaseMs)));
    if (!token) return false;
    held.set(id, { value: `${value}:${token}`, token, deadline: sent + leaseMs });
    logger.info({ instanceId: id, token }, 'acquired the lease of an instance');
    await serial(id, () => runAll(acquiredFns, id, 'acquired'));
    return true;
  }

  /** Hands an instance over: stop everything first (we still hold the lease), then release it. */
  async function release(id: string): Promise<void> {
    const h = held.get(id);
    if (!h) return;
    await serial(id, async () => {
      await runAll(lostFns, id, 'lost');
      held.delete(id);
      await redis.eval(RELEASE, 1, leaseKey(id), h.value).catch((err) => logger.warn({ err: String(err), instanceId: id }, 'releasing a lease failed'));
    });
  }

  async function renew(): Promise<void> {
    const sent = now();
    const entries = [...held.entries()];
    const pipeline = redis.pipeline();
    pipeline.set(nodeKey(node.nodeId), JSON.stringify(node), 'PX', leaseMs);
    for (const [id, h] of entries) pipeline.eval(RENEW, 1, leaseKey(id), h.value, String(leaseMs));
    const results = await pipeline.exec();
    if (!results) return;
    entries.forEach(([id, h], i) => {
      const [err, ok] = results[i + 1]!;
      if (held.get(id) !== h) return;
      if (!err && Number(ok) === 1) h.deadline = sent + leaseMs;
      else if (!err) lost(id, 'the lease is held by another node');
    });
  }

  function checkDeadlines(): void {
    const t = now();
    for (const [id, h] of held) if (t >= h.deadline) lost(id, 'no renewal within the lease time');
  }

  async function liveNodes(): Promise<NodeInfo[]> {
    const names = await redis.smembers(`${prefix}nodes`);
    if (!names.length) return [node];
    const values = await redis.mget(names.map(nodeKey));
    const live: NodeInfo[] = [];
    const dead: string[] = [];
    values.forEach((v, i) => (v ? live.push(JSON.parse(v) as NodeInfo) : dead.push(names[i]!)));
    if (dead.length) await redis.srem(`${prefix}nodes`, ...dead);
    if (!closed && !live.some((n) => n.nodeId === node.nodeId)) live.push(node);
    return live;
  }

  async function balanceOnce(): Promise<void> {
    if (closed) return;
    const ids = await options.listInstances();
    const present = new Set(ids);
    for (const id of [...held.keys()]) if (!present.has(id)) await release(id);
    const live = await liveNodes();
    const target = Math.ceil(ids.length / Math.max(1, live.length));
    if (held.size > target) {
      const extras = [...held.keys()].slice(target);
      for (const id of extras) await release(id);
      publishInternal({ type: 'handover', nodeId: node.nodeId });
      return;
    }
    const values = ids.length ? await redis.mget(ids.map(leaseKey)) : [];
    owners.clear();
    values.forEach((v, i) => v && owners.set(ids[i]!, v.slice(0, v.lastIndexOf(':'))));
    if (held.size >= target) return;
    const free = ids.filter((id, i) => !held.has(id) && !values[i]);
    // Shuffled: nodes taking over at the same moment rarely race for the same instance.
    for (let i = free.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [free[i], free[j]] = [free[j]!, free[i]!];
    }
    for (const id of free) {
      if (closed || held.size >= target) break;
      await acquire(id);
    }
  }

  function balance(): Promise<void> {
    if (balancing) {
      balanceAgain = true;
      return balancing;
    }
    balancing = (async () => {
      do {
        balanceAgain = false;
        try {
          await balanceOnce();
        } catch (err) {
          if (!closed) logger.warn({ err: String(err) }, 'cluster balancing failed');
        }
      } while (balanceAgain && !closed);
    })().finally(() => {
      balancing = undefined;
    });
    return balancing;
  }

  function publishInternal(notice: { type: 'joined' | 'left' | 'handover'; nodeId: string }): void {
    redis.publish(channelKey(INTERNAL), JSON.stringify(notice)).catch(() => {});
  }

  sub.on('message', (channel: string, message: string) => {
    if (!channel.startsWith(`${prefix}bus:`)) return;
    const name = channel.slice(`${prefix}bus:`.length);
    if (name === INTERNAL) {
      if (!closed) void balance();
      return;
    }
    for (const fn of listeners.get(name) ?? []) {
      try {
        fn(message);
      } catch (err) {
        logger.error({ err, channel: name }, 'a cluster notice handler failed');
      }
    }
  });

  const every = (ms: number, fn: () => void) => {
    const t = setInterval(fn, ms);
    t.unref();
    return t;
  };

  return {
    nodeId: node.nodeId,
    clustered: true,
    owns,
    owned: () => [...held.keys()].filter(owns),
    knownOwner: (id) => (owns(id) ? node.nodeId : held.has(id) ? undefined : owners.get(id)),
    tokenOf: (id) => (owns(id) ? held.get(id)!.token : undefined),
    async ownerOf(id) {
      const value = await redis.get(leaseKey(id));
      if (!value) return undefined;
      const nodeId = value.slice(0, value.lastIndexOf(':'));
      if (nodeId === node.nodeId) return node;
      const info = await redis.get(nodeKey(nodeId));
      return info ? (JSON.parse(info) as NodeInfo) : undefined;
    },
    onAcquired: (fn) => void acquiredFns.push(fn),
    onLost: (fn) => void lostFns.push(fn),
    nodes: liveNodes,
    async place(id) {
      const [ids, live] = await Promise.all([options.listInstances(), liveNodes()]);
      if (held.size < Math.ceil(ids.length / Math.max(1, live.length)) && (await acquire(id))) return;
      // Another node has room: it takes the instance on this notice.
      publishInternal({ type: 'handover', nodeId: node.nodeId });
    },
    publish(channel, message) {
      redis.publish(channelKey(channel), message).catch((err) => logger.warn({ err: String(err), channel }, 'publishing a cluster notice failed'));
    },
    subscribe(channel, fn) {
      const list = listeners.get(channel);
      if (list) list.push(fn);
      else {
        listeners.set(channel, [fn]);
        // Before start(), start() subscribes to every channel named so far.
        if (started) sub.subscribe(channelKey(channel)).catch((err) => logger.error({ err: String(err), channel }, 'subscribing to a cluster channel failed'));
      }
    },
    async start() {
      started = true;
      await Promise.all([redis.connect(), sub.connect()]);
      await sub.subscribe(channelKey(INTERNAL), ...[...listeners.keys()].map(channelKey));
      await redis.multi().set(nodeKey(node.nodeId), JSON.stringify(node), 'PX', leaseMs).sadd(`${prefix}nodes`, node.nodeId).exec();
      publishInternal({ type: 'joined', nodeId: node.nodeId });
      renewTimer = every(renewMs, () => {
        renew().catch((err) => logger.warn({ err: String(err) }, 'renewing leases failed'));
      });
      watchdog = every(Math.min(250, renewMs), checkDeadlines);
      balanceTimer = every(balanceMs, () => void balance());
      await balance();
    },
    balance,
    async close() {
      if (closed) return;
      closed = true;
      for (const t of [renewTimer, balanceTimer, watchdog]) if (t) clearInterval(t);
      await balancing?.catch(() => {});
      // Keep the leases alive while sessions stop (a long stop must not let them lapse under us).
      const keepAlive = every(renewMs, () => void renew().catch(() => {}));
      try {
        await Promise.all([...held.keys()].map((id) => release(id)));
      } finally {
        clearInterval(keepAlive);
      }
      await redis
        .multi()
        .del(nodeKey(node.nodeId))
        .srem(`${prefix}nodes`, node.nodeId)
        .exec()
        .catch(() => {});
      publishInternal({ type: 'left', nodeId: node.nodeId });
      await redis.quit().catch(() => {});
      await sub.quit().catch(() => {});
    },
  };
}

/** The failed-authentication limiter shared by every node: one counter per address and minute. */
export function createRedisAuthFailureLimiter(options: { url: string; prefix: string; limit: number; logger: Logger }) {
  const redis = new Redis(options.url, { maxRetriesPerRequest: 2 });
  redis.on('error', (err) => options.logger.warn({ err: String(err) }, 'redis connection error'));
  const SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;
  return {
    /** Counts a failure from `ip`; answers the seconds to wait when the address is over the limit, else 0. */
    async fail(ip: string): Promise<number> {
      const [count, ttl] = (await redis.eval(SCRIPT, 1, `${options.prefix}authfail:${ip}`, '60000')) as [number, number];
      return count > options.limit ? Math.max(1, Math.ceil(Math.max(ttl, 0) / 1000)) : 0;
    },
    async close(): Promise<void> {
      await redis.quit().catch(() => {});
    },
  };
}
