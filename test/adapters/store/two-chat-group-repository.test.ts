/** 2Chat's group handles (TwoChatGroupRepository) on SQLite and PostgreSQL. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { TwoChatTables } from '../../../src/dialects/two-chat/tables.js';
import { createTwoChatGroupRepository, type TwoChatGroupRepository } from '../../../src/dialects/two-chat/group-handle-repository.js';
import { databaseKinds } from '../../support/app.js';
import { useDatabase } from '../../support/database.js';

const G1 = '120363000000000001@g.us';
const G2 = '120363000000000002@g.us';
const HANDLE = /^WAG[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

for (const kind of await databaseKinds()) {
  describe(`2chat group handle repository on ${kind}`, () => {
    const place = useDatabase(kind, 'twochat');
    const repo = (): TwoChatGroupRepository => createTwoChatGroupRepository(place.handle.db as unknown as Kysely<TwoChatTables>, () => Date.parse('2026-03-01T10:00:00.000Z'));

    it('ensure gives each group one WAG handle that never changes; get resolves it', async () => {
      const first = await repo().ensure('inst-a', [G1, G2, G1]);
      assert.equal(first.size, 2);
      assert.match(first.get(G1)!, HANDLE);
      assert.notEqual(first.get(G1), first.get(G2));
      const again = await repo().ensure('inst-a', [G2, G1]);
      assert.deepEqual(again, first);
      assert.deepEqual(await repo().get(first.get(G1)!), { uuid: first.get(G1), instanceId: 'inst-a', groupId: G1 });
      assert.equal(await repo().get('WAGmissing'), undefined);
      assert.deepEqual(await repo().ensure('inst-a', []), new Map());
    });

    it('the same group on another instance gets its own handle', async () => {
      const a = await repo().ensure('inst-a', [G1]);
      const b = await repo().ensure('inst-b', [G1]);
      assert.notEqual(a.get(G1), b.get(G1));
    });

    it('concurrent ensure of one group agrees on one handle', async () => {
      const results = await Promise.all(Array.from({ length: 6 }, () => repo().ensure('inst-race', [G1, G2])));
      for (const r of results) assert.deepEqual(r, results[0]);
    });

    it("deleteAll drops the instance's handles only (idempotent)", async () => {
      const a = await repo().ensure('inst-a', [G1]);
      const b = await repo().ensure('inst-b', [G1]);
      await repo().deleteAll('inst-a');
      await repo().deleteAll('inst-a');
      assert.equal(await repo().get(a.get(G1)!), undefined);
      assert.equal((await repo().get(b.get(G1)!))?.instanceId, 'inst-b');
      assert.notEqual((await repo().ensure('inst-a', [G1])).get(G1), a.get(G1), 'a new handle after deletion');
    });
  });
}
