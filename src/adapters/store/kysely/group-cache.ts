import type { StoredGroup } from '../../../core/groups/group-model.js';
import type { GroupRepository } from '../../../core/ports/store.js';
import { afterDeleteParticipants, afterPutParticipants, afterUpdate, readBack, type GroupPageSource } from './groups.js';
import { lruKeep, lruTouch } from './versioned-cache.js';

/**
 * An in-memory read cache of whole groups (participants included), shared by the store and its
 * transactions. Group details are the API's hottest read and change only through the group
 * repository, so every write path drops the entry; a version per key makes sure a read that raced
 * a write (PostgreSQL runs them on separate connections) never caches what it read before the
 * write committed. Bounded: least recently used entries go first.
 */
/** Whole groups a transaction wrote with `put`, keyed like the cache, with the version their write left. */
export type StagedGroups = Map<string, { group: StoredGroup; version: number; epoch: number }>;

export interface GroupCache {
  /**
   * `serialized`: every query waits while a transaction is open (SQLite's one connection), so a
   * read can never see a write before its commit. An entry is then the database's state as every
   * query sees it, and a transaction may read it too; no entry needs dropping again after a commit.
   */
  wrap(repo: GroupRepository & Partial<GroupPageSource>, options: { inTransaction: boolean; touched?: Set<string>; staged?: StagedGroups; serialized?: boolean }): GroupRepository;
  /** Drops keys again once the transaction that wrote them has committed. */
  invalidate(keys: Iterable<string>): void;
  /**
   * After the commit (and `invalidate`, when `invalidated`): caches the groups the transaction
   * wrote, so the read that usually follows a write is a hit. Only where no other write touched
   * the key meanwhile.
   */
  fill(staged: StagedGroups, invalidated: boolean): void;
}

const keyOf = (instanceId: string, groupId: string) => `${instanceId}\u0000${groupId}`;
/** The key, among touched keys, of an instance's list order. */
const orderKeyOf = (instanceId: string) => `\u0001${instanceId}`;

/**
 * Creates a cache holding at most `max` groups, and the list order (group ids, newest first) of
 * instances, at most `maxOrderedIds` ids in all. A list page is then a slice of that order and one
 * read of its rows by key: no scan of the skipped rows, no count.
 */
export function createGroupCache(max = 5_000, maxOrderedIds = 1_000_000, maxRows = 50_000): GroupCache {
  const entries = new Map<string, StoredGroup>();
  /** List rows (groups without participants) by key, as list pages show them; dropped with their entry. */
  const rows = new Map<string, StoredGroup>();
  const versions = new Map<string, number>();
  let epoch = 0; // bumped by whole-instance deletions

  const orders = new Map<string, string[]>();
  let orderedIds = 0;
  const dropOrder = (key: string) => {
    const order = orders.get(key);
    if (order) {
      orderedIds -= order.length;
      orders.delete(key);
    }
  };

  const bump = (key: string) => {
    entries.delete(key);
    rows.delete(key);
    dropOrder(key);
    versions.set(key, (versions.get(key) ?? 0) + 1);
    if (versions.size > (max + maxRows) * 4) {
      versions.clear();
      rows.clear();
      epoch++;
    }
  };

  // Callers own what they get (they may change it): a copy of the known shape, far cheaper than
  // structuredClone's serialisation.
  const clone = (g: StoredGroup): StoredGroup => ({
    ...g,
    settings: { ...g.settings },
    participants: g.participants.map((p) => ({ ...p })),
  });

  return {
    invalidate(keys) {
      for (const key of keys) bump(key);
    },
    fill(staged, invalidated) {
      // No bump since the put but the commit's own invalidate, if any: anything more is another writer.
      const own = invalidated ? 1 : 0;
      for (const [key, { group, version, epoch: at }] of staged) {
        if (at !== epoch || (versions.get(key) ?? 0) !== version + own) continue;
        lruKeep(entries, key, group, max);
      }
    },
    wrap(repo, { inTransaction, touched, staged, serialized = false }) {
      /**
       * In a transaction that stages: each group as this transaction last read or wrote it, and the
       * version that left. A change to it is then staged as the group it makes (the mirrors in
       * groups.ts), as long as no other writer bumped the key since the read.
       */
      const views = new Map<string, { group: StoredGroup; version: number; epoch: number }>();
      const write = (instanceId: string, groupId: string) => {
        const key = keyOf(instanceId, groupId);
        const before = versions.get(key) ?? 0;
        bump(key);
        touched?.add(key);
        staged?.delete(key);
        const view = views.get(key);
        if (view && view.version === before && view.epoch === epoch) view.version = before + 1;
        else views.delete(key);
      };
      /** After `put(group)` (or its insert): stages the group as a read will answer it. */
      const stagePut = (group: StoredGroup) => {
        const key = keyOf(group.instanceId, group.id);
        const after = staged && readBack(group);
        if (!after) return;
        const version = versions.get(key) ?? 0;
        staged!.set(key, { group: after, version, epoch });
        views.set(key, { group: after, version, epoch });
      };
      /** After a write's statements: stages `change(view)` when the view is still this transaction's alone. */
      const restage = (instanceId: string, groupId: string, change: (group: StoredGroup) => StoredGroup | undefined) => {
        const key = keyOf(instanceId, groupId);
        const view = views.get(key);
        if (!view) return;
        const next = view.version === (versions.get(key) ?? 0) && view.epoch === epoch ? change(view.group) : undefined;
        if (!next) {
          views.delete(key);
          return;
        }
        view.group = next;
        staged!.set(key, { group: next, version: view.version, epoch });
      };
      // A write that may add, remove or move a group in its instance's list order.
      const reorder = (instanceId: string) => {
        const key = orderKeyOf(instanceId);
        bump(key);
        touched?.add(key);
      };
      const { listOrder, listByIds } = repo;
      const source = !inTransaction && listOrder && listByIds ? { listOrder, listByIds } : undefined;
      /** What a page is made of when it comes from the list order and the row cache; undefined: the repository reads it whole. */
      const pageSource = (query: { search?: string }) => (query.search ? undefined : source);
      const wrapped: GroupRepository = {
        ...repo,
        async get(instanceId, groupId) {
          const key = keyOf(instanceId, groupId);
          // Inside a transaction, read the transaction's own view, never the cache.
          if (inTransaction) {
            if (!staged) return repo.get(instanceId, groupId);
            // What this transaction last read or wrote, when no other writer touched it since.
            const view = views.get(key);
            if (view && view.version === (versions.get(key) ?? 0) && view.epoch === epoch) return clone(view.group);
            const version = versions.get(key) ?? 0;
            // Serialized, an entry is the state this transaction would read.
            const hit = serialized ? lruTouch(entries, key) : undefined;
            if (hit) {
              views.set(key, { group: clone(hit), version, epoch });
              return clone(hit);
            }
            const started = epoch;
            const group = await repo.get(instanceId, groupId);
            if (group && (versions.get(key) ?? 0) === version && epoch === started) views.set(key, { group: clone(group), version, epoch });
            else views.delete(key);
            return group;
          }
          const hit = lruTouch(entries, key);
          if (hit) return clone(hit);
          const version = versions.get(key) ?? 0;
          const started = epoch;
          const group = await repo.get(instanceId, groupId);
          if (group && (versions.get(key) ?? 0) === version && epoch === started) lruKeep(entries, key, clone(group), max);
          return group;
        },
        async read(instanceId, groupId) {
          if (inTransaction) return wrapped.get(instanceId, groupId);
          // Entries are never changed in place (every write replaces or drops them), so a reader
          // that promises not to change one may have it as it is.
          return lruTouch(entries, keyOf(instanceId, groupId)) ?? wrapped.get(instanceId, groupId);
        },
        async list(instanceId, query) {
          if (!pageSource(query)) return repo.list(instanceId, query);
          const page = await wrapped.readPage!(instanceId, query);
          // A copy of the known shape: callers own what they get.
          return { items: page.items.map(clone), total: page.total };
        },
        // Rows as the row cache holds them (never changed in place: every write replaces or drops them).
        async readPage(instanceId, query) {
          const pages = pageSource(query);
          if (!pages) return repo.list(instanceId, query);
          const key = orderKeyOf(instanceId);
          let order = lruTouch(orders, key);
          if (!order) {
            const version = versions.get(key) ?? 0;
            const started = epoch;
            order = await pages.listOrder(instanceId);
            if ((versions.get(key) ?? 0) === version && epoch === started && !orders.has(key) && order.length <= maxOrderedIds) {
              while (orderedIds + order.length > maxOrderedIds && orders.size > 0) dropOrder(orders.keys().next().value as string);
              orders.set(key, order);
              orderedIds += order.length;
            }
          }
          // Rows come from the row cache; only the ones it lacks are read (by key), then kept.
          const ids = order.slice(query.offset, query.offset + query.limit);
          const keys = ids.map((id) => keyOf(instanceId, id));
          const missing = ids.flatMap((id, i) => (rows.has(keys[i]!) ? [] : [{ id, key: keys[i]! }]));
          const fetched = new Map<string, StoredGroup>();
          if (missing.length > 0) {
            const before = missing.map(({ key }) => versions.get(key) ?? 0);
            const started = epoch;
            const read = await pages.listByIds(
              instanceId,
              missing.map(({ id }) => id),
            );
            for (const group of read) fetched.set(group.id, group);
            missing.forEach(({ id, key }, i) => {
              const group = fetched.get(id);
              if (group && epoch === started && (versions.get(key) ?? 0) === before[i]) lruKeep(rows, key, group, maxRows);
            });
          }
          const items: StoredGroup[] = [];
          ids.forEach((id, i) => {
            const group = rows.get(keys[i]!) ?? fetched.get(id);
            if (group) items.push(group);
          });
          return { items, total: order.length };
        },
        async put(group, options) {
          write(group.instanceId, group.id);
          reorder(group.instanceId);
          await repo.put(group, options);
          stagePut(group);
        },
        ...(repo.insertNew && {
          async insertNew(group: StoredGroup) {
            write(group.instanceId, group.id);
            reorder(group.instanceId);
            const inserted = await repo.insertNew!(group);
            if (inserted) stagePut(group);
            return inserted;
          },
        }),
        async update(instanceId, groupId, patch) {
          write(instanceId, groupId);
          if (patch.createdAt !== undefined) reorder(instanceId);
          await repo.update(instanceId, groupId, patch);
          restage(instanceId, groupId, (group) => afterUpdate(group, patch));
        },
        async putParticipants(instanceId, groupId, participants) {
          write(instanceId, groupId);
          await repo.putParticipants(instanceId, groupId, participants);
          restage(instanceId, groupId, (group) => afterPutParticipants(group, participants));
        },
        async deleteParticipants(instanceId, groupId, people) {
          write(instanceId, groupId);
          await repo.deleteParticipants(instanceId, groupId, people);
          restage(instanceId, groupId, (group) => afterDeleteParticipants(group, people));
        },
        async delete(instanceId, groupId) {
          views.delete(keyOf(instanceId, groupId));
          write(instanceId, groupId);
          reorder(instanceId);
          await repo.delete(instanceId, groupId);
        },
        async deleteAll(instanceId) {
          views.clear();
          for (const key of [...entries.keys()]) if (key.startsWith(`${instanceId}\u0000`)) entries.delete(key);
          for (const key of [...rows.keys()]) if (key.startsWith(`${instanceId}\u0000`)) rows.delete(key);
          reorder(instanceId);
          epoch++;
          await repo.deleteAll(instanceId);
        },
      };
      return wrapped;
    },
  };
}

/**
 * No cache: every read goes to the database. Cluster mode uses it, since another node's writes
 * never pass through this process's cache (group reads then cost one query, as on any node).
 */
export function noGroupCache(): GroupCache {
  return { wrap: (repo) => repo, invalidate() {}, fill() {} };
}
