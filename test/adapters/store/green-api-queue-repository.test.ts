/** Green API's notification-queue state (floor and deleted receipts) on SQLite and PostgreSQL. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { GreenApiTables } from '../../../src/dialects/green-api/tables.js';
import { createGreenApiQueueRepository } from '../../../src/dialects/green-api/queue-repository.js';
import type { GreenApiQueueRepository } from '../../../src/dialects/green-api/tables.js';
import { databaseKinds } from '../../support/app.js';
import { useDatabase } from '../../support/database.js';

const AT = '2026-03-01T10:00:00.000Z';

for (const kind of await databaseKinds()) {
  describe(`green api queue repository on ${kind}`, () => {
    const place = useDatabase(kind, 'greenq');
    const repo = (): GreenApiQueueRepository => createGreenApiQueueRepository(place.handle.db as unknown as Kysely<GreenApiTables>);

    it('an instance never polled has floor 0 and nothing deleted', async () => {
      assert.deepEqual(await repo().state('inst-new'), { floor: 0, deleted: new Set() });
    });

    it('markDeleted answers true once, false when already deleted', async () => {
      assert.equal(await repo().markDeleted('inst-a', 3, AT), true);
      assert.equal(await repo().markDeleted('inst-a', 3, AT), false);
      assert.equal(await repo().markDeleted('inst-a', 5, AT), true);
      assert.equal(await repo().markDeleted('inst-b', 3, AT), true, 'receipts are per instance');
      assert.deepEqual(await repo().state('inst-a'), { floor: 0, deleted: new Set([3, 5]) });
    });

    it('raiseFloor raises (never lowers) and forgets the receipts at or under it; markDeleted under the floor is false', async () => {
      await repo().raiseFloor('inst-a', 4);
      assert.deepEqual(await repo().state('inst-a'), { floor: 4, deleted: new Set([5]) });
      await repo().raiseFloor('inst-a', 2);
      assert.equal((await repo().state('inst-a')).floor, 4);
      assert.equal(await repo().markDeleted('inst-a', 4, AT), false);
      assert.equal(await repo().markDeleted('inst-a', 1, AT), false);
      assert.deepEqual(await repo().state('inst-b'), { floor: 0, deleted: new Set([3]) });
    });

    it('deleteAll forgets the instance (idempotent)', async () => {
      await repo().deleteAll('inst-a');
      await repo().deleteAll('inst-a');
      assert.deepEqual(await repo().state('inst-a'), { floor: 0, deleted: new Set() });
      assert.equal(await repo().markDeleted('inst-a', 1, AT), true);
      assert.deepEqual((await repo().state('inst-b')).deleted, new Set([3]));
    });
  });
}
