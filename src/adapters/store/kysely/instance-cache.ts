import type { Instance } from '../../../core/instances/instance-model.js';
import type { InstanceRepository } from '../../../core/ports/store.js';
import { createVersionedCache } from './versioned-cache.js';

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
  const cache = createVersionedCache<Entry>(max);
  return {
    invalidate(ids) {
      for (const id of ids) cache.bump(id);
    },
    wrap(repo, { inTransaction, touched }) {
      const write = <T>(id: string, run: () => Promise<T>): Promise<T> => {
        touched?.add(id);
        return cache.write(id, run);
      };
      return {
        ...repo,
        async get(id) {
          // Inside a transaction, read the transaction's own view, never the cache.
          if (inTransaction) return repo.get(id);
          const hit = cache.get(id);
          if (hit) return { ...hit.instance, settings: JSON.parse(hit.settings) as Instance['settings'] };
          const version = cache.version(id);
          const instance = await repo.get(id);
          if (instance) {
            const { settings, ...rest } = instance;
            cache.keep(id, { instance: rest, settings: JSON.stringify(settings) }, version);
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
