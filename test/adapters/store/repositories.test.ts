/**
 * The store port's conformance suite: the same cases on SQLite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Instance } from '../../../src/core/instances/instance-model.js';
import type { StoredGroup } from '../../../src/core/groups/group-model.js';
import type { DatabaseHandle } from '../../../src/adapters/store/db.js';
import { createKyselyStore } from '../../../src/adapters/store/kysely/index.js';
import { createGroupCache, type StagedGroups } from '../../../src/adapters/store/kysely/group-cache.js';
import { createGroupRepository } from '../../../src/adapters/store/kysely/groups.js';
import { createInstanceCache } from '../../../src/adapters/store/kysely/instance-cache.js';
import type { StoredParticipant } from '../../../src/core/groups/group-model.js';
import type { Store } from '../../../src/core/ports/store.js';
import { databaseKinds } from '../../support/app.js';
import { useDatabase } from '../../support/database.js';

const kinds = await databaseKinds();

function instance(id: string, overrides: Partial<Instance> = {}): Instance {
  return {
    id,
    idInstance: String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999)),
    name: `inst ${id}`,
    engine: 'sandbox',
    phone: null,
    status: 'starting',
    statusReason: 'starting',
    tokenHash: `hash-${id}`,
    createdAt: new Date().toISOString(),
    settings: {},
    ...overrides,
  };
}

function group(instanceId: string, id: string, createdAt: string, subject = `Group ${id}`): StoredGroup {
  return {
    instanceId,
    id,
    subject,
    description: '',
    owner: '15550001111@s.whatsapp.net',
    createdAt,
    subjectOwner: null,
    subjectTime: null,
    settings: { announcement: false, locked: true, memberAddMode: 'admins', approvalMode: false, ephemeralSeconds: 0 },
    myRole: 'superadmin',
    inviteCode: null,
    size: 2,
    addressingMode: 'lid',
    participants: [
      { phoneJid: '15550001111@s.whatsapp.net', lid: '111@lid', role: 'superadmin' },
      { phoneJid: '15550002222@s.whatsapp.net', lid: null, role: 'member' },
    ],
  };
}

for (const kind of kinds) {
  describe(`store repositories on ${kind}`, () => {
    const place = useDatabase(kind, 'repo');
    let handle: DatabaseHandle;
    let store: Store;

    before(() => {
      handle = place.handle;
      store = createKyselyStore(handle.db);
    });

    it('applies migrations idempotently (a second open is a no-op)', async () => {
      const again = await place.reopen();
      assert.equal(await again.ping(), true);
      await again.close();
    });

    it('settings: get of a missing key is undefined; put upserts', async () => {
      assert.equal(await store.settings.get('nope'), undefined);
      await store.settings.put('k', 'v1');
      await store.settings.put('k', 'v2');
      assert.equal(await store.settings.get('k'), 'v2');
    });

    it('instances: insert, lookups, update, settings, delete', async () => {
      const i = instance('inst1', { phone: '15550001111' });
      await store.instances.insert(i);
      assert.deepEqual(await store.instances.get('inst1'), i);
      assert.equal((await store.instances.getByIdInstance(i.idInstance))?.id, 'inst1');
      assert.equal((await store.instances.getByTokenHash('hash-inst1'))?.id, 'inst1');
      assert.equal((await store.instances.getByPhone('15550001111'))?.id, 'inst1');
      assert.equal(await store.instances.get('missing'), undefined);
      await store.instances.update('inst1', { status: 'connected', statusReason: 'connected' });
      await store.instances.putSetting('inst1', 'pacing', { enabled: false });
      const got = await store.instances.get('inst1');
      assert.equal(got?.status, 'connected');
      assert.deepEqual(got?.settings, { pacing: { enabled: false } });
      await store.instances.putSetting('inst1', 'pacing', null);
      assert.deepEqual((await store.instances.get('inst1'))?.settings, {});
      assert.deepEqual(
        (await store.instances.list(['inst1', 'missing'])).map((x) => x.id),
        ['inst1'],
      );
      assert.deepEqual(await store.instances.list([]), []);
      await store.instances.insert(instance('inst-del'));
      assert.equal(await store.instances.delete('inst-del'), true);
      assert.equal(await store.instances.delete('inst-del'), false);
    });

    it('keys: insert, by hash, rotate hash, remove an instance from scoped keys, delete', async () => {
      await store.keys.insert({ id: 'k1', name: 'one', keyHash: 'h1', instances: ['inst1', 'inst2'], createdAt: new Date().toISOString() });
      await store.keys.insert({ id: 'k2', name: 'admin', keyHash: 'h2', instances: null, createdAt: new Date().toISOString() });
      assert.equal((await store.keys.getByHash('h1'))?.id, 'k1');
      assert.equal(await store.keys.updateHash('k1', 'h1b'), true);
      assert.equal(await store.keys.getByHash('h1'), undefined);
      await store.keys.removeInstance('inst2');
      assert.deepEqual((await store.keys.get('k1'))?.instances, ['inst1']);
      assert.equal((await store.keys.get('k2'))?.instances, null);
      assert.equal(await store.keys.delete('k2'), true);
      assert.equal(await store.keys.delete('k2'), false);
    });

    it('groups: put, get with participants in order, list newest first with search and total', async () => {
      await store.instances.insert(instance('ig'));
      await store.groups.put(group('ig', '120363000000000001@g.us', '2026-01-01T00:00:00.000Z', 'Alpha team'));
      await store.groups.put(group('ig', '120363000000000002@g.us', '2026-01-02T00:00:00.000Z', 'Beta_50% crew'));
      await store.groups.put(group('ig', '120363000000000003@g.us', '2026-01-03T00:00:00.000Z', 'Gamma'));
      const g = await store.groups.get('ig', '120363000000000001@g.us');
      assert.equal(g?.subject, 'Alpha team');
      assert.deepEqual(
        g?.participants.map((p) => p.phoneJid),
        ['15550001111@s.whatsapp.net', '15550002222@s.whatsapp.net'],
      );
      const page = await store.groups.list('ig', { limit: 2, offset: 0 });
      assert.equal(page.total, 3);
      assert.deepEqual(
        page.items.map((x) => x.subject),
        ['Gamma', 'Beta_50% crew'],
      );
      const search = await store.groups.list('ig', { limit: 10, offset: 0, search: 'ALPHA' });
      assert.deepEqual(
        search.items.map((x) => x.subject),
        ['Alpha team'],
      );
      // LIKE wildcards in the search are literal.
      assert.equal((await store.groups.list('ig', { limit: 10, offset: 0, search: '50%' })).total, 1);
      assert.equal((await store.groups.list('ig', { limit: 10, offset: 0, search: '_' })).total, 1);
      assert.equal(await store.groups.get('ig', 'missing@g.us'), undefined);
    });

    it('groups: participants upsert keeps one row per person and refreshes size', async () => {
      const id = '120363000000000001@g.us';
      await store.groups.putParticipants('ig', id, [
        { phoneJid: '15550003333@s.whatsapp.net', lid: null, role: 'member' },
        { phoneJid: null, lid: '444@lid', role: 'member' },
      ]);
      assert.equal((await store.groups.get('ig', id))?.size, 4);
      // The LID-only person becomes known by phone: still one row.
      await store.groups.putParticipants('ig', id, [{ phoneJid: '15550004444@s.whatsapp.net', lid: '444@lid', role: 'admin' }]);
      const g = await store.groups.get('ig', id);
      assert.equal(g?.size, 4);
      assert.equal(g?.participants.find((p) => p.lid === '444@lid')?.role, 'admin');
      await store.groups.deleteParticipants('ig', id, [{ lid: '444@lid' }, { phoneJid: '15550003333@s.whatsapp.net' }]);
      assert.equal((await store.groups.get('ig', id))?.size, 2);
      await store.groups.update('ig', id, {
        subject: 'Renamed',
        settings: { announcement: true, locked: false, memberAddMode: 'all', approvalMode: true, ephemeralSeconds: 86400 },
      });
      const u = await store.groups.get('ig', id);
      assert.equal(u?.subject, 'Renamed');
      assert.deepEqual(u?.settings, { announcement: true, locked: false, memberAddMode: 'all', approvalMode: true, ephemeralSeconds: 86400 });
      await store.groups.delete('ig', id);
      assert.equal(await store.groups.get('ig', id), undefined);
      assert.equal((await store.groups.listIds('ig')).length, 2);
      await store.groups.deleteAll('ig');
      assert.equal((await store.groups.listIds('ig')).length, 0);
    });

    it('groups: participants deleted by phone, by LID or both, few or many at once, leave exactly the others', async () => {
      const id = '120363000000000009@g.us';
      await store.groups.put({ ...group('ig', id, '2026-01-09T00:00:00.000Z', 'Many'), participants: [] });
      const phone = (n: number) => `1555001${String(n).padStart(4, '0')}@s.whatsapp.net`;
      const lid = (n: number) => `9${n}@lid`;
      // 12 known by phone and LID, 12 by LID only.
      await store.groups.putParticipants('ig', id, [
        ...Array.from({ length: 12 }, (_, n) => ({ phoneJid: phone(n), lid: lid(n), role: 'member' as const })),
        ...Array.from({ length: 12 }, (_, n) => ({ phoneJid: null, lid: lid(100 + n), role: 'member' as const })),
      ]);
      const left = async () => {
        const g = await store.groups.get('ig', id);
        assert.equal(g?.size, g?.participants.length);
        return g!.participants.map((p) => p.lid).sort();
      };
      const expected = new Set([...Array.from({ length: 12 }, (_, n) => lid(n)), ...Array.from({ length: 12 }, (_, n) => lid(100 + n))]);
      const gone = async (people: { phoneJid?: string; lid?: string }[], lids: string[]) => {
        await store.groups.deleteParticipants('ig', id, people);
        for (const l of lids) expected.delete(l);
        assert.deepEqual(await left(), [...expected].sort());
      };
      await gone([{ phoneJid: phone(0) }], [lid(0)]);
      await gone([{ lid: lid(100) }], [lid(100)]);
      await gone([{ phoneJid: phone(1) }, { lid: lid(101) }], [lid(1), lid(101)]);
      // One, then the other nine LID-only people become known by phone at once: still one row each.
      const known = (from: number, count: number) => Array.from({ length: count }, (_, n) => ({ phoneJid: phone(from + n), lid: lid(from + n), role: 'member' as const }));
      await store.groups.putParticipants('ig', id, known(102, 1));
      await store.groups.putParticipants('ig', id, known(103, 9));
      assert.deepEqual(await left(), [...expected].sort());
      assert.equal((await store.groups.get('ig', id))?.participants.find((p) => p.lid === lid(110))?.phoneJid, phone(110));
      // More than a few at once: nine by phone and two by LID.
      await gone(
        [...Array.from({ length: 9 }, (_, n) => ({ phoneJid: phone(2 + n) })), { lid: lid(11) }, { lid: lid(111) }],
        [...Array.from({ length: 9 }, (_, n) => lid(2 + n)), lid(11), lid(111)],
      );
      await gone(
        Array.from({ length: 9 }, (_, n) => ({ phoneJid: phone(102 + n) })),
        Array.from({ length: 9 }, (_, n) => lid(102 + n)),
      );
      assert.deepEqual(await left(), []);
    });

    it('groups: insertNew stores a group that is not there, with its participants, and changes nothing when it is', async () => {
      await store.instances.insert(instance('inew'));
      const repo = createGroupRepository(handle.db);
      const fresh = group('inew', '120363000000000101@g.us', '2026-02-01T00:00:00.000Z', 'New');
      assert.equal(await repo.insertNew!(fresh), true);
      assert.deepEqual(await repo.get('inew', fresh.id), { ...fresh, participants: fresh.participants.map((p) => ({ ...p })) });
      const other = { ...fresh, subject: 'Other', participants: [{ phoneJid: '15550009999@s.whatsapp.net', lid: null, role: 'superadmin' as const }] };
      assert.equal(await repo.insertNew!(other), false);
      assert.equal((await repo.get('inew', fresh.id))?.subject, 'New');
      assert.deepEqual(
        (await repo.get('inew', fresh.id))?.participants.map((p) => p.phoneJid),
        fresh.participants.map((p) => p.phoneJid),
      );
      // No participants, and more than one statement's worth of them.
      const empty = { ...group('inew', '120363000000000102@g.us', '2026-02-02T00:00:00.000Z'), participants: [], size: 0 };
      assert.equal(await repo.insertNew!(empty), true);
      assert.deepEqual((await repo.get('inew', empty.id))?.participants, []);
      const many = group('inew', '120363000000000103@g.us', '2026-02-03T00:00:00.000Z');
      many.participants = Array.from({ length: 150 }, (_, n) => ({ phoneJid: `1555100${String(n).padStart(4, '0')}@s.whatsapp.net`, lid: null, role: 'member' as const }));
      many.size = 150;
      assert.equal(await repo.insertNew!(many), true);
      assert.deepEqual(
        (await repo.get('inew', many.id))?.participants.map((p) => p.phoneJid),
        many.participants.map((p) => p.phoneJid),
      );
      // Inside a store transaction that rolls back, nothing stays.
      await assert.rejects(
        store.transaction(async (tx) => {
          assert.equal(await tx.groups.insertNew!(group('inew', '120363000000000104@g.us', '2026-02-04T00:00:00.000Z')), true);
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.equal(await store.groups.get('inew', '120363000000000104@g.us'), undefined);
      await store.groups.deleteAll('inew');
    });

    it('groups: the read cache keeps what a transaction changed exactly as the database then answers it', async () => {
      // Every group a committed transaction staged for the cache is compared, field by field, with
      // a read of the database itself, over random participant changes and updates.
      const groups = createGroupCache();
      const fill = groups.fill.bind(groups);
      let staged: StagedGroups = new Map();
      groups.fill = (s, invalidated) => {
        staged = new Map(s);
        fill(s, invalidated);
      };
      const cached = createKyselyStore(handle.db, { groups, instances: createInstanceCache() });
      const direct = createGroupRepository(handle.db);
      await cached.instances.insert(instance('icache'));
      const id = '120363000000000009@g.us';
      await cached.groups.put(group('icache', id, '2026-01-01T00:00:00.000Z'));
      // People known by phone, by LID, or both (the same person under both keys, too).
      const pool: StoredParticipant[] = [];
      for (let n = 0; n < 8; n++) {
        pool.push({ phoneJid: `1555000${3000 + n}@s.whatsapp.net`, lid: null, role: 'member' });
        pool.push({ phoneJid: null, lid: `${900 + n}@lid`, role: 'member' });
        pool.push({ phoneJid: `1555000${3000 + n}@s.whatsapp.net`, lid: `${900 + n}@lid`, role: 'admin' });
      }
      let seed = 7;
      const random = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      const some = () => {
        const picked = new Map<string, StoredParticipant>();
        for (let k = 1 + random(3); k > 0; k--) {
          const p = pool[random(pool.length)]!;
          picked.set(p.phoneJid ?? p.lid!, { ...p, role: random(2) ? 'admin' : 'member' });
        }
        return [...picked.values()];
      };
      let compared = 0;
      for (let round = 0; round < 60; round++) {
        staged = new Map();
        await cached.transaction(async (tx) => {
          await tx.groups.get('icache', id);
          for (let step = 1 + random(2); step > 0; step--) {
            const op = random(4);
            if (op === 0 || op === 1) await tx.groups.putParticipants('icache', id, some());
            else if (op === 2)
              await tx.groups.deleteParticipants(
                'icache',
                id,
                some().map((p) => (random(2) ? { phoneJid: p.phoneJid } : { lid: p.lid })),
              );
            else
              await tx.groups.update('icache', id, {
                subject: `Round ${round}`,
                ...(random(2)
                  ? { settings: { announcement: !!random(2), locked: !!random(2), memberAddMode: random(2) ? 'all' : 'admins', approvalMode: false, ephemeralSeconds: 0 } }
                  : {}),
                ...(random(2) ? { inviteCode: random(2) ? `code${round}` : null } : {}),
              });
          }
        }, 'icache');
        const truth = await direct.get('icache', id);
        const kept = staged.get(`icache\u0000${id}`)?.group;
        if (kept) {
          compared++;
          assert.deepEqual(kept, truth, `round ${round}`);
        }
        assert.deepEqual(await cached.groups.get('icache', id), truth, `round ${round}: what a read answers`);
      }
      assert.ok(compared >= 50, `the cache kept the changed group in ${compared} of 60 rounds`);
      await cached.groups.deleteAll('icache');
    });

    it('groups: concurrent transactions on one group, some rolled back, and reads between them: the cache answers as the database does', async () => {
      const cached = createKyselyStore(handle.db, { groups: createGroupCache(), instances: createInstanceCache() });
      const direct = createGroupRepository(handle.db);
      await cached.instances.insert(instance('iconc'));
      const id = '120363000000000019@g.us';
      await cached.groups.put(group('iconc', id, '2026-01-01T00:00:00.000Z'));
      let seed = 11;
      const random = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return (seed >>> 16) % n;
      };
      const person = (n: number): StoredParticipant => ({ phoneJid: `1555000${4000 + n}@s.whatsapp.net`, lid: null, role: random(2) ? 'admin' : 'member' });
      let reads = 0;
      for (let round = 0; round < 30; round++) {
        // Several writers at once (one batch on SQLite, separate connections on PostgreSQL), with reads in between.
        const work: Promise<unknown>[] = [];
        for (let w = 0; w < 2 + random(4); w++) {
          const fails = random(4) === 0;
          const change = random(3);
          const who = random(6);
          work.push(
            cached
              .transaction(async (tx) => {
                await tx.groups.get('iconc', id);
                if (change === 0) await tx.groups.putParticipants('iconc', id, [person(who)]);
                else if (change === 1) await tx.groups.deleteParticipants('iconc', id, [{ phoneJid: person(who).phoneJid }]);
                else await tx.groups.update('iconc', id, { subject: `Round ${round}.${w}` });
                // A read outside the transaction after its write, before its commit: on PostgreSQL it
                // answers the state before the write (another connection), and the transaction waits
                // for that answer before it commits; nothing may keep it. On SQLite the read waits for
                // the connection, so only after the commit can it answer.
                if (random(2)) {
                  const outside = cached.groups.get('iconc', id).then(() => void reads++);
                  if (kind === 'postgres') await outside;
                  else work.push(outside);
                }
                await tx.groups.get('iconc', id);
                if (fails) throw new Error('roll back');
              })
              .catch((error: unknown) => assert.match(String(error), /roll back/)),
          );
          if (random(2)) work.push(cached.groups.get('iconc', id).then(() => reads++));
        }
        // Reads started inside the bodies join `work` later.
        while (work.length > 0) await Promise.all(work.splice(0));
        assert.deepEqual(await cached.groups.get('iconc', id), await direct.get('iconc', id), `round ${round}`);
      }
      assert.ok(reads > 10);
      await cached.groups.deleteAll('iconc');
    });

    it('events: gapless seq per instance, in one transaction with the store, rolled back together', async () => {
      await store.instances.insert(instance('ie'));
      await store.instances.insert(instance('ie2'));
      const append = (instanceId: string, n: number) =>
        store.transaction((tx) =>
          tx.events.append({
            id: `01TEST${instanceId}${String(n).padStart(8, '0')}`,
            type: 'group.updated',
            instanceId,
            occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
            data: { n },
          }),
        );
      for (let n = 1; n <= 5; n++) await append('ie', n);
      await append('ie2', 1);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.events.append({ id: '01ROLLBACK', type: 'group.updated', instanceId: 'ie', occurredAt: new Date().toISOString(), data: {} });
          throw new Error('boom');
        }),
      );
      const list = await store.events.listAfter('ie', 0, 100);
      assert.deepEqual(
        list.map((e) => e.seq),
        [1, 2, 3, 4, 5],
      );
      assert.deepEqual(list[2]!.data, { n: 3 });
      assert.equal(await store.events.lastSeq('ie'), 5);
      assert.equal(await store.events.getById('01ROLLBACK'), undefined);
      assert.deepEqual(
        (await store.events.listAfter('ie', 3, 1)).map((e) => e.seq),
        [4],
      );
      assert.deepEqual(
        (await store.events.listAcross(['ie2'], '', 10)).map((e) => e.instanceId),
        ['ie2'],
      );
      assert.equal(await store.events.pruneBefore('2026-01-01T00:00:03.000Z'), 3); // ie 1-2 and ie2 1
      assert.deepEqual(
        (await store.events.listAfter('ie', 0, 100)).map((e) => e.seq),
        [3, 4, 5],
      );
      await store.events.deleteAll('ie');
      assert.deepEqual(await store.events.listAfter('ie', 0, 100), []);
    });

    it('events: concurrent appends never share a seq', async () => {
      await store.instances.insert(instance('ic'));
      await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          store.transaction((tx) =>
            tx.events.append({ id: `01CONC${String(n).padStart(4, '0')}`, type: 'group.updated', instanceId: 'ic', occurredAt: new Date().toISOString(), data: {} }),
          ),
        ),
      );
      const seqs = (await store.events.listAfter('ic', 0, 100)).map((e) => e.seq);
      assert.deepEqual(
        seqs,
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });
  });
}
