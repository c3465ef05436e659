import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createRedisCluster, createRedisAuthFailureLimiter, type RedisCluster } from '../../../src/adapters/cluster/redis-cluster.js';
import type { Logger } from '../../../src/core/ports/logger.js';
import { dropRedisPrefix, REDIS_URL, redisAvailable, redisPrefix } from '../../support/redis.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const available = await redisAvailable();

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('redis cluster: leases, fencing, balancing', { skip: !available && 'Redis is unreachable' }, () => {
  const prefixes: string[] = [];
  const nodes: RedisCluster[] = [];
  after(async () => {
    await Promise.all(nodes.map((n) => n.close().catch(() => {})));
    for (const p of prefixes) await dropRedisPrefix(p);
  });

  function node(prefix: string, nodeId: string, instances: () => string[], extra: { leaseMs?: number; now?: () => number } = {}) {
    const started: string[] = [];
    const stopped: string[] = [];
    const cluster = createRedisCluster({
      url: REDIS_URL,
      prefix,
      node: { nodeId, url: `http://${nodeId}.invalid`, startedAt: Date.now() },
      listInstances: async () => instances(),
      logger: silent,
      leaseMs: extra.leaseMs ?? 1_000,
      balanceMs: 100,
      now: extra.now,
    });
    cluster.onAcquired((id) => void started.push(id));
    cluster.onLost((id) => void stopped.push(id));
    nodes.push(cluster);
    return { cluster, started, stopped };
  }

  const fresh = (label: string) => {
    const p = redisPrefix(label);
    prefixes.push(p);
    return p;
  };

  it('acquires every instance alone, with a fencing token, and renews past the lease time', async () => {
    const prefix = fresh('acquire');
    const ids = ['a', 'b', 'c'];
    const a = node(prefix, 'n1', () => ids);
    await a.cluster.start();
    assert.deepEqual([...a.cluster.owned()].sort(), ids);
    assert.deepEqual([...a.started].sort(), ids);
    assert.ok(a.cluster.tokenOf('a')! >= 1);
    assert.equal((await a.cluster.ownerOf('a'))?.nodeId, 'n1');
    // Three lease times later it still owns them: renewal works.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual([...a.cluster.owned()].sort(), ids);
    assert.deepEqual(a.stopped, []);
    await a.cluster.close();
    assert.deepEqual([...a.stopped].sort(), ids);
    const raw = new Redis(REDIS_URL);
    assert.equal(await raw.exists(`${prefix}lease:a`, `${prefix}lease:b`, `${prefix}lease:c`), 0, 'a graceful close releases every lease');
    raw.disconnect();
  });

  it('spreads instances over two nodes, hands over on close, and the fencing token increases', async () => {
    const prefix = fresh('spread');
    const ids = ['i1', 'i2', 'i3', 'i4'];
    const a = node(prefix, 'n1', () => ids);
    await a.cluster.start();
    const tokens = new Map(ids.map((id) => [id, a.cluster.tokenOf(id)!]));
    const b = node(prefix, 'n2', () => ids);
    await b.cluster.start();
    await until(() => a.cluster.owned().length === 2 && b.cluster.owned().length === 2);
    for (const id of b.cluster.owned()) {
      assert.ok(!a.cluster.owns(id), 'never two owners');
      assert.ok(b.cluster.tokenOf(id)! > tokens.get(id)!, 'a new holder gets a larger token');
    }
    await a.cluster.close();
    await until(() => b.cluster.owned().length === 4, 3_000);
    await b.cluster.close();
  });

  it('a dead node loses its leases within the lease time and a survivor takes them', async () => {
    const prefix = fresh('dead');
    const ids = ['x', 'y'];
    const a = node(prefix, 'n1', () => ids, { leaseMs: 1_000 });
    await a.cluster.start();
    // Simulate a dead node: stop its timers without releasing (a kill -9 of the process).
    const raw = new Redis(REDIS_URL);
    const b = node(prefix, 'n2', () => ids, { leaseMs: 1_000 });
    await b.cluster.start();
    await until(() => a.cluster.owned().length + b.cluster.owned().length === 2 && b.cluster.owned().length === 1);
    const victim = a.cluster.owned()[0]!;
    // Another client steals the lease value: the owner's compare-and-set renewal fails and it stops at once.
    await raw.set(`${prefix}lease:${victim}`, 'intruder:999', 'PX', 1_000);
    await until(() => !a.cluster.owns(victim), 3_000);
    assert.ok(a.stopped.includes(victim), 'the session of a lost lease is stopped');
    // Release by compare-and-set: the old holder's value no longer deletes the key.
    assert.equal(await raw.eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end return 0`, 1, `${prefix}lease:${victim}`, 'n1:1'), 0);
    // After the stolen lease expires, somebody takes the instance again.
    await until(async () => (await a.cluster.ownerOf(victim)) !== undefined || (await b.cluster.ownerOf(victim)) !== undefined, 5_000);
    raw.disconnect();
  });

  it('stops acting once its local deadline passes without a renewal (clock past the lease)', async () => {
    const prefix = fresh('deadline');
    let skew = 0;
    const a = node(prefix, 'n1', () => ['only'], { leaseMs: 5_000, now: () => Date.now() + skew });
    await a.cluster.start();
    assert.ok(a.cluster.owns('only'));
    // The renewals stop arriving in time: seen from this node's clock, the lease time has passed.
    skew = 60_000;
    assert.equal(a.cluster.owns('only'), false, 'owns() is false as soon as the deadline has passed');
    await until(() => a.stopped.includes('only'), 2_000);
  });

  it('the failed-auth limiter is shared through Redis', async () => {
    const prefix = fresh('limiter');
    const one = createRedisAuthFailureLimiter({ url: REDIS_URL, prefix, limit: 2, logger: silent });
    const two = createRedisAuthFailureLimiter({ url: REDIS_URL, prefix, limit: 2, logger: silent });
    try {
      assert.equal(await one.fail('10.0.0.1'), 0);
      assert.equal(await two.fail('10.0.0.1'), 0);
      const wait = await one.fail('10.0.0.1');
      assert.ok(wait > 0 && wait <= 60, 'the third failure over both nodes is over the limit');
      assert.equal(await two.fail('10.0.0.2'), 0, 'per address');
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('the bus delivers notices to every node', async () => {
    const prefix = fresh('bus');
    const a = node(prefix, 'n1', () => []);
    const b = node(prefix, 'n2', () => []);
    const heard: string[] = [];
    b.cluster.subscribe('access.revoked', (m) => heard.push(m));
    await a.cluster.start();
    await b.cluster.start();
    a.cluster.publish('access.revoked', 'hash1');
    await until(() => heard.includes('hash1'), 3_000);
  });
});
