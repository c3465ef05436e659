/**
 * The instance service in cluster mode: only owned sessions run; acquiring starts one, losing
 * stops it without writing its status; engine actions refuse an instance this node does not own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKyselyStore } from '../../../src/adapters/store/kysely/index.js';
import { createAccessService } from '../../../src/core/access/access-service.js';
import { createEventLog } from '../../../src/core/events/event-log.js';
import { createInstanceService } from '../../../src/core/instances/instance-service.js';
import type { SessionOwnership } from '../../../src/core/ports/cluster.js';
import type { EngineFactory, EngineSession, EngineSessionOptions } from '../../../src/core/ports/engine.js';
import type { Logger } from '../../../src/core/ports/logger.js';
import { useDatabase } from '../../support/database.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

/** An ownership the test drives by hand. */
function manualOwnership() {
  const owned = new Set<string>();
  const acquired: ((id: string) => Promise<void> | void)[] = [];
  const lost: ((id: string) => Promise<void> | void)[] = [];
  const placed: string[] = [];
  const ownership: SessionOwnership = {
    nodeId: 'n1',
    clustered: true,
    owns: (id) => owned.has(id),
    ownerOf: async (id) => (owned.has(id) ? { nodeId: 'n1', url: 'http://n1', startedAt: 0 } : undefined),
    owned: () => [...owned],
    knownOwner: (id) => (owned.has(id) ? 'n1' : undefined),
    onAcquired: (fn) => void acquired.push(fn),
    onLost: (fn) => void lost.push(fn),
    nodes: async () => [{ nodeId: 'n1', url: 'http://n1', startedAt: 0 }],
    place: async (id) => void placed.push(id),
  };
  return {
    ownership,
    placed,
    async acquire(id: string) {
      owned.add(id);
      for (const fn of acquired) await fn(id);
    },
    async lose(id: string) {
      owned.delete(id);
      for (const fn of lost) await fn(id);
    },
  };
}

/** A fake engine: sessions connect at once and report it; closing reports "disconnected" (which must be ignored). */
function fakeEngine() {
  const live = new Map<string, EngineSessionOptions>();
  const factory: EngineFactory = {
    kind: 'sandbox',
    async create(options) {
      let status: 'starting' | 'connected' | 'disconnected' = 'starting';
      const session = {
        async connect() {
          live.set(options.instanceId, options);
          status = 'connected';
          await options.sink({ type: 'connection', status: 'connected', reason: 'connected', phone: options.phone } as never);
        },
        async close() {
          live.delete(options.instanceId);
          status = 'disconnected';
          await options.sink({ type: 'connection', status: 'disconnected', reason: 'closed' } as never);
        },
        async logout() {},
        status: () => ({ status, reason: status }),
      } as unknown as EngineSession;
      return session;
    },
  };
  return { factory, live };
}

describe('instance service in cluster mode', () => {
  const db = useDatabase('sqlite', 'ownership');

  it('runs only what it owns, starts on acquisition, stops on loss without a status write, and refuses engine actions elsewhere', async () => {
    const store = createKyselyStore(db.handle.db);
    const events = createEventLog({ store });
    const access = createAccessService({ store });
    const engine = fakeEngine();
    const cluster = manualOwnership();
    const instances = createInstanceService({ store, events, access, engines: { sandbox: engine.factory }, logger: silent, ownership: cluster.ownership });

    const created = await instances.create({ engine: 'sandbox', name: 'a' });
    assert.deepEqual(cluster.placed, [created.id], 'a new instance is placed, not started here');
    assert.equal(engine.live.size, 0);
    assert.equal(created.node, null, 'the view names no node while none runs it');
    await instances.startAll();
    assert.equal(engine.live.size, 0, 'startAll starts nothing in cluster mode');
    await assert.rejects(instances.session(created.id), /not connected on this node/);

    await cluster.acquire(created.id);
    assert.ok(engine.live.has(created.id), 'acquired: started');
    assert.equal((await instances.get(created.id)).status, 'connected');
    assert.equal(instances.view(await instances.get(created.id)).node, 'n1');
    await instances.session(created.id);

    await cluster.lose(created.id);
    assert.equal(engine.live.size, 0, 'lost: stopped');
    assert.equal((await instances.get(created.id)).status, 'connected', 'no status written after the lease is lost (the next owner reports it)');
    await assert.rejects(instances.session(created.id), /not connected on this node/);
    await assert.rejects(instances.restart(created.id), /not connected on this node/);
    await assert.rejects(instances.logout(created.id), /not connected on this node/);
  });
});
