import type { Instance } from '../../../core/instances/instance-model.js';
import type { InstanceRepository } from '../../../core/ports/store.js';

/**
 * An in-memory read cache of instances by id, shared by the store and its transactions. A request
 * about an instance reads it several times (scope, pacing, session, the operation itself), and an
 * instance changes only through the instance repository, so every write drops the entry. As in the
 * group cache, a version per id keeps a read that raced a write from caching what it read before
 * the write, and a transaction's writes drop the entry again once it commits or rolls back.
 */
export interface InstanceCache {
  wrap(repo: InstanceRepository, options: { inTransaction: boolean; touched?: Set<string> }): InstanceRepository;
  /** Drops ids again once the transaction that wrote them has ended. */
  invalidate(ids: Iterable<string>): void;
}

interface Entry {
  instance: Omit<Instance, 'settings'>;
  /** Settings are kept as their JSON: each reader gets its own copy to change as it likes. */
  settings: string;
}

/** A cache of at most `max` instances, least recently used dropped first. */
export function createInstanceCache(max = 10_000): InstanceCache {
  const entries = new Map<string, Entry>();
  const versions = new Map<string, number>();
  const bump = (id: string) => {
    entries.delete(id);
    versions.set(id, (versions.get(id) ?? 0) + 1);
    // Versions only need to outlive reads in flight; a reset drops every entry with them.
    if (versions.size > max * 4) {
      versions.clear();
      entries.clear();
    }
  };
  return {
    invalidate(ids) {
      for (const id of ids) bump(id);
    },
    wrap(repo, { inTransaction, touched }) {
      // Dropped before the write and again after it: a read that ran meanwhile saw either state.
      const write = async <T>(id: string, run: () => Promise<T>): Promise<T> => {
        bump(id);
        touched?.add(id);
        try {
          return await run();
        } finally {
          bump(id);
        }
      };
      return {
        ...repo,
        async get(id) {
          // Inside a transaction, read the transaction's own view, never the cache.
          if (inTransaction) return repo.get(id);
          const hit = entries.get(id);
          if (hit) {
            entries.delete(id);
            entries.set(id, hit);
            return { ...hit.instance, settings: JSON.parse(hit.settings) as Instance['settings'] };
          }
          const version = versions.get(id) ?? 0;
          const instance = await repo.get(id);
          if (instance && (versions.get(id) ?? 0) === version) {
            if (entries.size >= max) entries.delete(entries.keys().next().value as string);
            const { settings, ...rest } = instance;
            entries.set(id, { instance: rest, settings: JSON.stringify(settings) });
          }
          return instance;
        },
        insert: (instance) => write(instance.id, () => repo.insert(instance)),
        update: (id, patch) => write(id, () => repo.update(id, patch)),
        putSetting: (id, key, value) => write(id, () => repo.putSetting(id, key, value)),
        delete: (id) => write(id, () => repo.delete(id)),
      };
    },
  };
}

/** No cache (cluster mode: other nodes' writes never pass through this process). */
export function noInstanceCache(): InstanceCache {
  return { wrap: (repo) => repo, invalidate() {} };
}
