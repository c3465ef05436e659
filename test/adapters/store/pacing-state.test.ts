/** The PacingStateRepository port on SQLite and PostgreSQL. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPacingStateRepository } from '../../../src/adapters/store/kysely/operations.js';
import { EMPTY_PACING_STATE } from '../../../src/core/pacing/pacing-model.js';
import type { PacingStateRepository } from '../../../src/core/ports/pacing-state.js';
import { databaseKinds } from '../../support/app.js';
import { useDatabase } from '../../support/database.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

for (const kind of await databaseKinds())
  for (const cache of [0, 100]) {
    describe(`pacing state repository on ${kind}${cache ? ' with its read cache' : ''}`, () => {
      const place = useDatabase(kind, 'pacing');
      let shared: PacingStateRepository | undefined;
      // Uncached: a new repository per call, as every reader is. Cached: one, as one server holds.
      const repo = (): PacingStateRepository => (cache ? (shared ??= createPacingStateRepository(place.handle.db, cache)) : createPacingStateRepository(place.handle.db));

      it('get of an instance with no state answers the empty state (a fresh copy each time)', async () => {
        const a = await repo().get('inst-none');
        assert.deepEqual(a, EMPTY_PACING_STATE);
        a.created.push(1);
        assert.deepEqual((await repo().get('inst-none')).created, []);
        assert.deepEqual(EMPTY_PACING_STATE.created, []);
      });

      it('put upserts; get answers what was put, per instance', async () => {
        const first = { created: [T0 - 1000], slots: [T0 - 1000, T0 + 5000], nextAddAt: T0 + 100, backoffUntil: 0, backoffLevel: 0 };
        await repo().put('inst-a', first, T0);
        assert.deepEqual(await repo().get('inst-a'), first);
        const second = { created: [], slots: [], nextAddAt: 0, backoffUntil: T0 + 60_000, backoffLevel: 2 };
        await repo().put('inst-a', second, T0 + 1);
        assert.deepEqual(await repo().get('inst-a'), second);
        assert.deepEqual(await repo().get('inst-b'), EMPTY_PACING_STATE);
      });

      it('delete is idempotent and leaves other instances alone', async () => {
        await repo().put('inst-b', { ...EMPTY_PACING_STATE, backoffLevel: 1 }, T0);
        await repo().delete('inst-a');
        await repo().delete('inst-a');
        await repo().delete('inst-missing');
        assert.deepEqual(await repo().get('inst-a'), EMPTY_PACING_STATE);
        assert.equal((await repo().get('inst-b')).backoffLevel, 1);
      });

      it("a read that raced a write never hides the write, and what it answers is the caller's own", async () => {
        const r = repo();
        await r.put('inst-c', { ...EMPTY_PACING_STATE, backoffLevel: 1 }, T0);
        const reading = r.get('inst-c');
        const writing = r.put('inst-c', { ...EMPTY_PACING_STATE, backoffLevel: 2 }, T0 + 1);
        await Promise.all([reading, writing]);
        const read = await r.get('inst-c');
        assert.equal(read.backoffLevel, 2);
        read.slots.push(T0);
        assert.deepEqual((await r.get('inst-c')).slots, []);
        // What a read answers is what the database holds.
        assert.deepEqual(await createPacingStateRepository(place.handle.db).get('inst-c'), await r.get('inst-c'));
      });
    });
  }
