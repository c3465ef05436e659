/** The BullMQ queue through the OperationQueue conformance suite, on PostgreSQL and Redis. */
import { describe, it } from 'node:test';
import { createBullmqQueue } from '../../../src/adapters/queue/bullmq-queue.js';
import { createOperationStorage } from '../../../src/adapters/store/kysely/operations.js';
import { createLogger } from '../../../src/logger.js';
import { postgresAvailable } from '../../support/app.js';
import { REDIS_URL, redisAvailable, useDatabase } from '../../support/database.js';
import { fakeCluster } from '../../support/fake-ownership.js';
import { dropPrefix, testPrefix } from '../../support/redis.js';
import { operationQueueConformance } from './operation-queue-conformance.js';

const logger = createLogger('silent', { pretty: false });

if ((await redisAvailable()) && (await postgresAvailable())) {
  const place = useDatabase('postgres', 'bullq');
  const prefix = testPrefix('conf');
  operationQueueConformance('bullmq on postgres', () => ({
    async create(now, instanceIds) {
      const cluster = fakeCluster();
      const nodeId = `node-${Math.random().toString(36).slice(2, 8)}`;
      const ownership = cluster.node(nodeId);
      for (const id of instanceIds) await cluster.assign(id, nodeId);
      const storage = createOperationStorage(place.handle.db);
      return { storage, queue: createBullmqQueue({ storage, redis: { url: REDIS_URL, prefix }, ownership, now, logger }) };
    },
    cleanup: () => dropPrefix(prefix),
  }));
} else {
  describe('operation queue conformance: bullmq', () => {
    it('needs PostgreSQL and Redis', { skip: 'PostgreSQL or Redis unreachable' }, () => {});
  });
}
