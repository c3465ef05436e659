/** The embedded queue through the OperationQueue conformance suite, on SQLite and PostgreSQL. */
import { createEmbeddedQueue, realTimer } from '../../../src/adapters/queue/embedded-queue.js';
import { createOperationStorage } from '../../../src/adapters/store/kysely/operations.js';
import { createLogger } from '../../../src/logger.js';
import { databaseKinds } from '../../support/app.js';
import { useDatabase } from '../../support/database.js';
import { operationQueueConformance } from './operation-queue-conformance.js';

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
