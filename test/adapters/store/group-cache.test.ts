/** The group read cache: hits, invalidation by every write, and no stale entry after a racing write. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredGroup } from '../../../src/core/groups/group-model.js';
import { createGroupCache, type StagedGroups } from '../../../src/adapters/store/kysely/group-cache.js';
import type { GroupRepository } from '../../../src/core/ports/store.js';

function fakeRepo() {
  const rows = new Map<string, StoredGroup>();
  const calls = { get: 0 };
  let gate: Promise<void> | undefined;
  const key = (i: string, g: string) => `${i}/${g}`;
  const repo = {
    async get(i: string, g: string) {
      calls.get++;
      const value = rows.get(key(i, g));
      const snapshot = value && structuredClone(value);
      if (gate) await gate;
      return snapshot;
    },
    async put(group: StoredGroup) {
      rows.set(key(group.instanceId, group.id), structuredClone(group));
    },
    async update(i: string, g: string, patch: Partial<StoredGroup>) {
      const row = rows.get(key(i, g));
      if (row) Object.assign(row, patch);
    },
    async deleteAll(i: string) {
      for (const k of [...rows.keys()]) if (k.startsWith(`${i}/`)) rows.delete(k);
    },
  } as unknown as GroupRepository;
  return {
    repo,
    calls,
    hold() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

const group = (subject: string): StoredGroup => ({
  instanceId: 'i1',
  id: 'g1@g.us',
  subject,
  description: '',
  owner: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  subjectOwner: null,
  subjectTime: null,
  settings: { announcement: false, locked: true, memberAddMode: 'admins', approvalMode: false, ephemeralSeconds: 0 },
  myRole: 'admin',
  inviteCode: null,
  size: 0,
  addressingMode: 'lid',
  participants: [],
});

describe('group read cache', () => {
  it('serves repeated reads from memory and drops the entry on every write', async () => {
    const f = fakeRepo();
    const repo = createGroupCache().wrap(f.repo, { inTransaction: false });
    await repo.put(group('one'));
    assert.equal((await repo.get('i1', 'g1@g.us'))?.subject, 'one');
    assert.equal((await repo.get('i1', 'g1@g.us'))?.subject, 'one');
    assert.equal(f.calls.get, 1);
    await repo.update('i1', 'g1@g.us', { subject: 'two' });
    assert.equal((await repo.get('i1', 'g1@g.us'))?.subject, 'two');
    assert.equal(f.calls.get, 2);
    // Callers get copies: mutating one never changes the cache.
    (await repo.get('i1', 'g1@g.us'))!.subject = 'mutated';
    assert.equal((await repo.get('i1', 'g1@g.us'))?.subject, 'two');
    await repo.deleteAll('i1');
    assert.equal(await repo.get('i1', 'g1@g.us'), undefined);
  });

  it('read answers the cached group itself, and a new one after a write', async () => {
    const f = fakeRepo();
    const repo = createGroupCache().wrap(f.repo, { inTransaction: false });
    await repo.put(group('one'));
    assert.equal((await repo.read!('i1', 'g1@g.us'))?.subject, 'one'); // a miss: the database's answer
    const first = await repo.read!('i1', 'g1@g.us');
    assert.equal(first?.subject, 'one');
    assert.equal(await repo.read!('i1', 'g1@g.us'), first);
    assert.equal(f.calls.get, 1);
    await repo.update('i1', 'g1@g.us', { subject: 'two' });
    const second = await repo.read!('i1', 'g1@g.us');
    assert.equal(second?.subject, 'two');
    assert.notEqual(second, first);
    assert.equal(first?.subject, 'one');
    const tx = createGroupCache().wrap(f.repo, { inTransaction: true });
    await tx.read!('i1', 'g1@g.us');
    assert.equal(f.calls.get, 3);
  });

  it('never caches what a read saw before a write that raced it', async () => {
    const f = fakeRepo();
    const repo = createGroupCache().wrap(f.repo, { inTransaction: false });
    await repo.put(group('old'));
    const release = f.hold();
    const slow = repo.get('i1', 'g1@g.us'); // reads "old", then waits
    await repo.update('i1', 'g1@g.us', { subject: 'new' });
    release();
    assert.equal((await slow)?.subject, 'old');
    assert.equal((await repo.get('i1', 'g1@g.us'))?.subject, 'new');
  });

  it('reads inside a transaction bypass the cache; its writes are dropped again after the commit', async () => {
    const f = fakeRepo();
    const cache = createGroupCache();
    const root = cache.wrap(f.repo, { inTransaction: false });
    await root.put(group('a'));
    await root.get('i1', 'g1@g.us');
    const touched = new Set<string>();
    const tx = cache.wrap(f.repo, { inTransaction: true, touched });
    await tx.update('i1', 'g1@g.us', { subject: 'b' });
    await tx.get('i1', 'g1@g.us');
    assert.equal(touched.size, 1);
    cache.invalidate(touched);
    assert.equal((await root.get('i1', 'g1@g.us'))?.subject, 'b');
  });
  it('caches what a committed transaction put, so the next read is a hit', async () => {
    const f = fakeRepo();
    const cache = createGroupCache();
    const root = cache.wrap(f.repo, { inTransaction: false });
    const touched = new Set<string>();
    const staged: StagedGroups = new Map();
    const tx = cache.wrap(f.repo, { inTransaction: true, touched, staged });
    await tx.put({ ...group('put'), participants: [{ phoneJid: '15550001111@s.whatsapp.net', lid: null, role: 'superadmin' }] });
    cache.invalidate(touched);
    cache.fill(staged, true);
    const hit = await root.get('i1', 'g1@g.us');
    assert.equal(f.calls.get, 0);
    assert.equal(hit?.subject, 'put');
    assert.equal(hit?.size, 1, 'as a read answers: size counts the participants');
  });

  it('caches the group a later write in the same transaction made of its put, but not one another writer changed', async () => {
    const f = fakeRepo();
    const cache = createGroupCache();
    const root = cache.wrap(f.repo, { inTransaction: false });
    // A later write in the same transaction: staged as the put changed by it.
    const touched = new Set<string>();
    const staged: StagedGroups = new Map();
    const tx = cache.wrap(f.repo, { inTransaction: true, touched, staged });
    await tx.put(group('put'));
    await tx.update('i1', 'g1@g.us', { subject: 'updated' });
    cache.invalidate(touched);
    cache.fill(staged, true);
    assert.equal((await root.get('i1', 'g1@g.us'))?.subject, 'updated');
    assert.equal(f.calls.get, 0);
    // Another writer between this put and its commit.
    const touched2 = new Set<string>();
    const staged2: StagedGroups = new Map();
    const tx2 = cache.wrap(f.repo, { inTransaction: true, touched: touched2, staged: staged2 });
    await tx2.put(group('stale'));
    await root.update('i1', 'g1@g.us', { subject: 'other' });
    cache.invalidate(touched2);
    cache.fill(staged2, true);
    assert.equal((await root.get('i1', 'g1@g.us'))?.subject, 'other');
    assert.equal(f.calls.get, 1);
  });

  it('stages a change made to a group the transaction read, unless another writer touched it after the read', async () => {
    const f = fakeRepo();
    const cache = createGroupCache();
    const root = cache.wrap(f.repo, { inTransaction: false });
    await root.put(group('read'));
    const commit = async (body: (tx: GroupRepository) => Promise<void>) => {
      const touched = new Set<string>();
      const staged: StagedGroups = new Map();
      await body(cache.wrap(f.repo, { inTransaction: true, touched, staged }));
      cache.invalidate(touched);
      cache.fill(staged, true);
    };
    await commit(async (tx) => {
      await tx.get('i1', 'g1@g.us');
      await tx.update('i1', 'g1@g.us', { subject: 'changed' });
    });
    const reads = f.calls.get;
    assert.equal((await root.get('i1', 'g1@g.us'))?.subject, 'changed');
    assert.equal(f.calls.get, reads, 'a hit');
    // Another writer commits between this transaction's read and its write: nothing staged.
    await commit(async (tx) => {
      await tx.get('i1', 'g1@g.us');
      await root.update('i1', 'g1@g.us', { description: 'by another writer' });
      await tx.update('i1', 'g1@g.us', { subject: 'mine' });
    });
    const after = await root.get('i1', 'g1@g.us');
    assert.equal(f.calls.get, reads + 2, 'the transaction read, then a miss');
    assert.equal(after?.description, 'by another writer');
    assert.equal(after?.subject, 'mine');
  });

  it('serialized (one connection): a transaction reads a cached group without a query, and the last of two writers in one batch is cached', async () => {
    const f = fakeRepo();
    const cache = createGroupCache();
    const root = cache.wrap(f.repo, { inTransaction: false, serialized: true });
    await root.put(group('start'));
    await root.get('i1', 'g1@g.us');
    const reads = f.calls.get;
    // Two transactions of one batch, one after the other on the connection, both changing the group.
    const batch = [new Set<string>(), new Set<string>()].map((touched) => ({ touched, staged: new Map() as StagedGroups }));
    const [first, second] = batch.map(({ touched, staged }) => cache.wrap(f.repo, { inTransaction: true, touched, staged, serialized: true }));
    assert.equal((await first!.get('i1', 'g1@g.us'))?.subject, 'start');
    assert.equal(f.calls.get, reads, 'the first transaction read the cached group');
    await first!.update('i1', 'g1@g.us', { subject: 'first' });
    assert.equal((await second!.get('i1', 'g1@g.us'))?.subject, 'first', 'the second reads the database: the entry went with the write');
    await second!.update('i1', 'g1@g.us', { description: 'second' });
    // The batch commits: no invalidation after it; each fills what it staged, in order.
    for (const { staged } of batch) cache.fill(staged, false);
    const hit = await root.get('i1', 'g1@g.us');
    assert.equal(f.calls.get, reads + 1, 'a hit');
    assert.deepEqual([hit?.subject, hit?.description], ['first', 'second']);
  });
});
