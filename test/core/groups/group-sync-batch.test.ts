/**
 * Group sync applying several notifications of one chat at once (`applyAll`): the same stored
 * state and the same logged events, in order, as one `apply` each; one transaction for all of
 * them; and when one of them fails, the others still land.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKyselyStore } from '../../../src/adapters/store/kysely/index.js';
import { createEventLog } from '../../../src/core/events/event-log.js';
import type { StoredGroup } from '../../../src/core/groups/group-model.js';
import { createGroupSync } from '../../../src/core/groups/group-sync.js';
import type { Instance } from '../../../src/core/instances/instance-model.js';
import type { EngineEvent, GroupMetadata } from '../../../src/core/ports/engine.js';
import type { Store } from '../../../src/core/ports/store.js';
import { useDatabase } from '../../support/database.js';

const ME = '15550000001@s.whatsapp.net';
const person = (n: number) => `1555000${String(1000 + n)}@s.whatsapp.net`;

function instance(id: string): Instance {
  return {
    id,
    idInstance: String(1_100_000_000 + Number(id.replace(/\D/g, '') || 0)),
    name: id,
    engine: 'sandbox',
    phone: '15550000001',
    status: 'connected',
    statusReason: 'connected',
    tokenHash: `hash-${id}`,
    createdAt: new Date().toISOString(),
    settings: {},
  };
}

const metadata = (id: string): GroupMetadata => ({
  id,
  subject: 'Batch',
  description: '',
  owner: ME,
  creation: 1_767_225_600,
  settings: { announcement: false, locked: true, memberAddMode: 'admins', approvalMode: false, ephemeralSeconds: 0 },
  addressingMode: 'pn',
  participants: [{ phoneJid: ME, role: 'superadmin' }],
});

const notifications = (groupId: string): EngineEvent[] => [
  {
    type: 'group.participants',
    groupId,
    action: 'add',
    participants: [
      { phoneJid: person(1), role: 'member' as const },
      { phoneJid: person(2), role: 'member' as const },
    ],
    actor: ME,
  },
  { type: 'group.update', groupId, changes: { subject: 'Renamed' }, actor: ME },
  { type: 'group.participants', groupId, action: 'promote', participants: [{ phoneJid: person(2), role: 'member' as const }], actor: ME },
  { type: 'group.participants', groupId, action: 'remove', participants: [{ phoneJid: person(1), role: 'member' as const }], actor: ME },
  { type: 'group.participants', groupId, action: 'add', participants: [{ phoneJid: person(3), role: 'member' as const }], actor: ME },
];

/** The people and roles every notification above leaves (the rename aside). */
const MEMBERS_AFTER = [
  [ME, 'superadmin'],
  [person(2), 'admin'],
  [person(3), 'member'],
];
const members = (group: StoredGroup | undefined) => group?.participants.map((p) => [p.phoneJid, p.role]);

describe('group sync: several notifications at once', () => {
  const place = useDatabase('sqlite', 'sync-batch');

  async function setup(id: string, wrap: (store: Store) => Store = (s) => s) {
    const base = createKyselyStore(place.handle.db);
    const store = wrap(base);
    let transactions = 0;
    const counting: Store = { ...store, transaction: (fn, key) => (transactions++, store.transaction(fn, key)) };
    const sync = createGroupSync({ events: createEventLog({ store: counting }), store: counting });
    const inst = instance(id);
    await base.instances.insert(inst);
    const groupId = `1203630000000${id.replace(/\D/g, '').padStart(5, '0')}@g.us`;
    await sync.apply(inst, { type: 'group.upsert', group: metadata(groupId), reason: 'created', actor: ME });
    transactions = 0;
    return { sync, store: base, inst, groupId, transactions: () => transactions };
  }

  const shape = (log: { type: string; data: Record<string, unknown> }[]) => log.map((e) => `${e.type} ${JSON.stringify(e.data.participants ?? e.data.changes ?? '')}`);

  it('stores and logs exactly what one apply each does, in one transaction', async () => {
    const one = await setup('inst-one1');
    for (const event of notifications(one.groupId)) await one.sync.apply(one.inst, event);
    const all = await setup('inst-all2');
    await all.sync.applyAll(all.inst, notifications(all.groupId));
    assert.equal(all.transactions(), 1);
    const strip = (g: unknown) => ({ ...(g as object), instanceId: undefined, id: undefined, subjectTime: undefined });
    assert.deepEqual(strip(await all.store.groups.get(all.inst.id, all.groupId)), strip(await one.store.groups.get(one.inst.id, one.groupId)));
    const logOf = async (s: typeof one) => (await s.store.events.listAfter(s.inst.id, 0, 100)).slice(1);
    const oneLog = await logOf(one);
    const allLog = await logOf(all);
    assert.equal(allLog.length, 5);
    assert.deepEqual(shape(allLog), shape(oneLog));
    const group = await all.store.groups.get(all.inst.id, all.groupId);
    assert.equal(group?.subject, 'Renamed');
    assert.deepEqual(members(group), MEMBERS_AFTER);
  });

  it('applies the others when one fails, and throws the failure', async () => {
    const failing = (store: Store): Store => {
      const wrap = (s: Store): Store => ({
        ...s,
        groups: { ...s.groups, update: async () => Promise.reject(new Error('update refused')) },
        transaction: (fn, key) => s.transaction((tx) => fn(wrap(tx)), key),
      });
      return wrap(store);
    };
    const s = await setup('inst-fail3', failing);
    await assert.rejects(s.sync.applyAll(s.inst, notifications(s.groupId)), /update refused/);
    const group = await s.store.groups.get(s.inst.id, s.groupId);
    assert.equal(group?.subject, 'Batch');
    assert.deepEqual(members(group), MEMBERS_AFTER);
    const types = (await s.store.events.listAfter(s.inst.id, 0, 100)).slice(1).map((e) => e.type);
    assert.deepEqual(types, ['group.participants.added', 'group.participants.promoted', 'group.participants.removed', 'group.participants.added']);
  });
});
