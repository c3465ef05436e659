/**
 * Store transactions committed together (group commit) and list pages served from the cached list
 * order: on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { StoredGroup } from '../../../src/core/groups/group-model.js';
import { createKyselyStore } from '../../../src/adapters/store/kysely/index.js';
import type { Store } from '../../../src/core/ports/store.js';
import { databaseKinds } from '../../support/app.js';
import { useDatabase } from '../../support/database.js';

const kinds = await databaseKinds();

function group(instanceId: string, id: string, createdAt: string): StoredGroup {
  return {
    instanceId,
    id,
    subject: `Group ${id}`,
    description: '',
    owner: null,
    createdAt,
    subjectOwner: null,
    subjectTime: null,
    settings: { announcement: false, locked: true, memberAddMode: 'admins', approvalMode: false, ephemeralSeconds: 0 },
    myRole: 'superadmin',
    inviteCode: null,
    size: 1,
    addressingMode: 'pn',
    participants: [{ phoneJid: '15550001111@s.whatsapp.net', lid: null, role: 'superadmin' }],
  };
}

const at = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
const ids = async (store: Store, instanceId: string, limit = 50, offset = 0) => {
  const page = await store.groups.list(instanceId, { limit, offset });
  return { ids: page.items.map((g) => g.id), total: page.total };
};

for (const kind of kinds) {
  describe(`group commit and list pages on ${kind}`, () => {
    const place = useDatabase(kind, 'gc');
    let store: Store;

    before(() => {
      store = createKyselyStore(place.handle.db);
    });

    it('concurrent transactions: each answers after its commit; one that throws is rolled back alone', async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 12 }, (_, n) =>
          store.transaction(async (tx) => {
            await tx.groups.put(group('gc', `${n}@g.us`, at(n)));
            await tx.settings.put(`gc-${n}`, String(n));
            if (n % 5 === 3) throw new Error(`refused ${n}`);
            return n;
          }),
        ),
      );
      for (const [n, outcome] of outcomes.entries()) {
        if (n % 5 === 3) {
          assert.equal(outcome.status, 'rejected');
          assert.equal((outcome as PromiseRejectedResult).reason.message, `refused ${n}`);
          assert.equal(await store.groups.get('gc', `${n}@g.us`), undefined, 'a refused transaction leaves nothing');
          assert.equal(await store.settings.get(`gc-${n}`), undefined);
        } else {
          assert.deepEqual(outcome, { status: 'fulfilled', value: n });
          assert.equal((await store.groups.get('gc', `${n}@g.us`))?.id, `${n}@g.us`);
          assert.equal(await store.settings.get(`gc-${n}`), String(n));
        }
      }
      assert.equal((await ids(store, 'gc')).total, 10);
    });

    it('transactions of one instance never run in two batches at once; other instances still do', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let running!: () => void;
      const started = new Promise<void>((resolve) => (running = resolve));
      const order: string[] = [];
      const first = store.transaction(async (tx) => {
        order.push('a1 start');
        await tx.settings.put('key-a1', '1');
        running();
        await held;
        order.push('a1 end');
      }, 'inst-a');
      await started; // the first batch is running
      const second = store.transaction(async (tx) => {
        order.push('a2');
        await tx.settings.put('key-a2', '2');
      }, 'inst-a');
      const other = store.transaction(async (tx) => {
        order.push('b1');
        await tx.settings.put('key-b1', '1');
      }, 'inst-b');
      try {
        if (kind === 'postgres') {
          // Another instance's transaction commits while instance a's batch still runs; a2, queued
          // before it and free to start in a batch of its own were it not for its key, has not.
          await other;
          assert.deepEqual(order, ['a1 start', 'b1']);
        }
        assert.ok(!order.includes('a2'), "the same instance's next transaction waits for the running batch");
      } finally {
        release(); // a failed check must not leave the batch holding its connection
      }
      await Promise.all([first, second, other]);
      assert.deepEqual(
        order.filter((step) => step.startsWith('a')),
        ['a1 start', 'a1 end', 'a2'],
      );
      assert.equal(await store.settings.get('key-a2'), '2');
      assert.equal(await store.settings.get('key-b1'), '1');
    });

    it('list pages follow every write that adds, removes or moves a group', async () => {
      for (let n = 0; n < 5; n++) await store.groups.put(group('lp', `${n}@g.us`, at(n)));
      assert.deepEqual(await ids(store, 'lp', 2, 1), { ids: ['3@g.us', '2@g.us'], total: 5 });
      await store.groups.put(group('lp', '9@g.us', at(9)));
      assert.deepEqual(await ids(store, 'lp', 2, 0), { ids: ['9@g.us', '4@g.us'], total: 6 });
      await store.groups.delete('lp', '4@g.us');
      assert.deepEqual(await ids(store, 'lp', 2, 0), { ids: ['9@g.us', '3@g.us'], total: 5 });
      await store.groups.update('lp', '0@g.us', { createdAt: at(20) });
      assert.deepEqual(await ids(store, 'lp', 2, 0), { ids: ['0@g.us', '9@g.us'], total: 5 });
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.groups.put(group('lp', '30@g.us', at(30)));
          assert.deepEqual((await ids(tx, 'lp', 1, 0)).ids, ['30@g.us'], 'a transaction reads its own writes');
          throw new Error('rolled back');
        }),
      );
      assert.deepEqual(await ids(store, 'lp', 2, 0), { ids: ['0@g.us', '9@g.us'], total: 5 });
      await store.transaction(async (tx) => tx.groups.deleteAll('lp'));
      assert.deepEqual(await ids(store, 'lp'), { ids: [], total: 0 });
      // Rows are read when the page is served: a change to a listed group shows at once.
      await store.groups.put(group('lp', '1@g.us', at(1)));
      assert.deepEqual(await ids(store, 'lp'), { ids: ['1@g.us'], total: 1 });
      await store.groups.update('lp', '1@g.us', { subject: 'Renamed' });
      assert.equal((await store.groups.list('lp', { limit: 1, offset: 0 })).items[0]?.subject, 'Renamed');
      // Listed rows are kept between pages, and dropped by every write to their group, in a transaction too.
      await store.transaction(async (tx) => tx.groups.putParticipants('lp', '1@g.us', [{ phoneJid: '15550002222@s.whatsapp.net', lid: null, role: 'member' }]));
      assert.equal((await store.groups.list('lp', { limit: 1, offset: 0 })).items[0]?.size, 2);
      const listed = (await store.groups.list('lp', { limit: 1, offset: 0 })).items[0]!;
      listed.subject = 'changed by a caller';
      assert.equal((await store.groups.list('lp', { limit: 1, offset: 0 })).items[0]?.subject, 'Renamed', 'callers get copies');
    });
  });
}
