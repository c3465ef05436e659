import type { StoredGroup } from '../../../core/groups/group-model.js';
import type { GroupRepository } from '../../../core/ports/store.js';
import { readBack } from './groups.js';

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
  wrap(repo: GroupRepository, options: { inTransaction: boolean; touched?: Set<string>; staged?: StagedGroups }): GroupRepository;
  /** Drops keys again once the transaction that wrote them has committed. */
  invalidate(keys: Iterable<string>): void;
  /**
   * After the commit and `invalidate`: caches the groups the transaction put, so the read that
   * usually follows a write is a hit. Only where no other write touched the key meanwhile.
   */
  fill(staged: StagedGroups): void;
}

const keyOf = (instanceId: string, groupId: string) => `${instanceId}\u0000${groupId}`;

/** Creates a cache holding at most `max` groups. */
export function createGroupCache(max = 5_000): GroupCache {
  const entries = new Map<string, StoredGroup>();
  const versions = new Map<string, number>();
  let epoch = 0; // bumped by whole-instance deletions

  const bump = (key: string) => {
    entries.delete(key);
    versions.set(key, (versions.get(key) ?? 0) + 1);
    if (versions.size > max * 4) {
      versions.clear();
      epoch++;
    }
  };

  const clone = (g: StoredGroup): StoredGroup => structuredClone(g);

  return {
    invalidate(keys) {
      for (const key of keys) bump(key);
    },
    fill(staged) {
      for (const [key, { group, version, epoch: at }] of staged) {
        // Exactly one bump since the put: the commit's own invalidate. Anything more is another writer.
        if (at !== epoch || (versions.get(key) ?? 0) !== version + 1) continue;
        if (entries.size >= max) entries.delete(entries.keys().next().value as string);
        entries.set(key, group);
      }
    },
    wrap(repo, { inTransaction, touched, staged }) {
      const write = (instanceId: string, groupId: string) => {
        const key = keyOf(instanceId, groupId);
        bump(key);
        touched?.add(key);
        staged?.delete(key);
      };
      return {
        ...repo,
        async get(instanceId, groupId) {
          // Inside a transaction, read the transaction's own view, never the cache.
          if (inTransaction) return repo.get(instanceId, groupId);
          const key = keyOf(instanceId, groupId);
          const hit = entries.get(key);
          if (hit) {
            entries.delete(key);
            entries.set(key, hit);
            return clone(hit);
          }
          const version = versions.get(key) ?? 0;
          const started = epoch;
          const group = await repo.get(instanceId, groupId);
          if (group && (versions.get(key) ?? 0) === version && epoch === started) {
            if (entries.size >= max) entries.delete(entries.keys().next().value as string);
            entries.set(key, clone(group));
          }
          return group;
        },
        async put(group) {
          write(group.instanceId, group.id);
          await repo.put(group);
          const key = keyOf(group.instanceId, group.id);
          const after = staged && readBack(group);
          if (after) staged!.set(key, { group: after, version: versions.get(key) ?? 0, epoch });
        },
        async update(instanceId, groupId, patch) {
          write(instanceId, groupId);
          await repo.update(instanceId, groupId, patch);
        },
        async putParticipants(instanceId, groupId, participants) {
          write(instanceId, groupId);
          await repo.putParticipants(instanceId, groupId, participants);
        },
        async deleteParticipants(instanceId, groupId, people) {
          write(instanceId, groupId);
          await repo.deleteParticipants(instanceId, groupId, people);
        },
        async delete(instanceId, groupId) {
          write(instanceId, groupId);
          await repo.delete(instanceId, groupId);
        },
        async deleteAll(instanceId) {
          for (const key of [...entries.keys()]) if (key.startsWith(`${instanceId}\u0000`)) entries.delete(key);
          epoch++;
          await repo.deleteAll(instanceId);
        },
      };
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
