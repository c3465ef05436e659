/** The sandbox network's Kysely persistence (SandboxPersistence) on the app database, SQLite and PostgreSQL. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKyselySandboxPersistence } from '../../../src/adapters/engines/sandbox/kysely-persistence.js';
import type { SandboxAccountRecord, SandboxGroupRecord } from '../../../src/adapters/engines/sandbox/emulator/types.js';
import { databaseKinds } from '../../support/app.js';
import { useDatabase } from '../../support/database.js';

// The persistence stores records as opaque JSON: partial records are enough to test it.
const account = (phone: string, extra: Record<string, unknown> = {}) => ({ phone, lid: `${phone}9@lid`, groupCreationsMs: [], ...extra }) as unknown as SandboxAccountRecord;
const group = (id: string, subject: string) => ({ id, subject, description: '' }) as unknown as SandboxGroupRecord;

for (const kind of await databaseKinds()) {
  describe(`sandbox persistence on ${kind}`, () => {
    const place = useDatabase(kind, 'sandbox');
    const persistence = () => createKyselySandboxPersistence(place.handle.db);

    it('load of a fresh database is empty; an empty commit is a no-op', async () => {
      await persistence().commit({ accounts: [], groups: [], deletedGroupIds: [] });
      assert.deepEqual(await persistence().load(), { accounts: [], groups: [] });
    });

    it('commit upserts accounts and groups by key; load answers them ordered by key', async () => {
      await persistence().commit({ accounts: [account('15550000002'), account('15550000001')], groups: [group('120363000000000002@g.us', 'B')], deletedGroupIds: [] });
      await persistence().commit({
        accounts: [account('15550000002', { groupCreationsMs: [5] })],
        groups: [group('120363000000000001@g.us', 'A'), group('120363000000000002@g.us', 'B2')],
        deletedGroupIds: [],
      });
      const loaded = await persistence().load();
      assert.deepEqual(loaded.accounts, [account('15550000001'), account('15550000002', { groupCreationsMs: [5] })]);
      assert.deepEqual(loaded.groups, [group('120363000000000001@g.us', 'A'), group('120363000000000002@g.us', 'B2')]);
    });

    it('deleted groups go; deleting a missing group is a no-op', async () => {
      await persistence().commit({ accounts: [], groups: [], deletedGroupIds: ['120363000000000001@g.us', '120363999999999999@g.us'] });
      assert.deepEqual(
        (await persistence().load()).groups.map((g) => g.id),
        ['120363000000000002@g.us'],
      );
    });

    it("a commit larger than one statement's chunk lands whole", async () => {
      const accounts = Array.from({ length: 450 }, (_, i) => account(String(16_000_000_000 + i)));
      await persistence().commit({ accounts, groups: [group('120363000000000003@g.us', 'C')], deletedGroupIds: ['120363000000000002@g.us'] });
      const loaded = await persistence().load();
      assert.equal(loaded.accounts.length, 452);
      assert.deepEqual(
        loaded.groups.map((g) => g.id),
        ['120363000000000003@g.us'],
      );
    });
  });
}
