/** The embedded queue through the OperationQueue conformance suite, on SQLite and PostgreSQL; and its one-node takeover. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEmbeddedQueue, realTimer } from '../../../src/adapters/queue/embedded-queue.js';
import { createOperationStorage } from '../../../src/adapters/store/kysely/operations.js';
import { createLogger } from '../../../src/logger.js';
import { databaseKinds } from '../../support/app.js';
import { useDatabase } from '../../support/database.js';
import { singleNode } from '../../../src/core/ports/cluster.js';
import { operationQueueConformance, T0 } from './operation-queue-conformance.js';

const logger = createLogger('silent', { pretty: false });

for (const kind of await databaseKinds()) {
  const place = useDatabase(kind, 'embq');
  operationQueueConformance(`embedded on ${kind}`, () => ({
    async create(now) {
      const storage = createOperationStorage(place.handle.db);
      return { storage, queue: createEmbeddedQueue({ storage, now, logger, timer: realTimer, owner: `runner-${Math.random().toString(36).slice(2, 8)}` }) };
    },
  }));
}

describe('embedded queue on one node', () => {
  const place = useDatabase('sqlite', 'embone');
  it('start takes over every operation a previous process left running, whatever its lease (one node owns everything)', async () => {
    const storage = createOperationStorage(place.handle.db);
    const now = () => T0;
    const op = { id: 'op-left', instanceId: 'inst-one', kind: 'group.create' as const, runAt: T0, input: {}, progress: { done: 0, total: 1 } };
    await storage.insert({
      ...op,
      status: 'scheduled',
      attempts: 0,
      checkpoint: {},
      result: null,
      error: null,
      leaseOwner: null,
      leaseUntil: null,
      notified: false,
      createdAt: T0,
      updatedAt: T0,
      startedAt: null,
      finishedAt: null,
    });
    assert.equal(await storage.claim('op-left', 'previous-process', T0, T0 + 3_600_000), true);
    const queue = createEmbeddedQueue({ storage, now, logger, owner: 'this-process', ownership: singleNode('this-process') });
    await queue.start(
      async () => ({ status: 'succeeded', result: 'resumed' }),
      async () => {},
    );
    await queue.runDue();
    const done = await queue.get('op-left');
    assert.equal(done?.status, 'succeeded');
    assert.equal(done?.attempts, 2);
    await queue.stop();
  });
});
