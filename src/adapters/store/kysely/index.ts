import { SqliteAdapter, type Kysely } from 'kysely';
import type { Store } from '../../../core/ports/store.js';
import type { Database } from '../schema.js';
import { createInstanceRepository, createKeyRepository, createSettingsRepository } from './basic.js';
import { createEventRepository } from './events.js';
import { createGroupCache, type GroupCache, type StagedGroups } from './group-cache.js';
import { createGroupRepository } from './groups.js';
import { createCommitGroup } from './commit-group.js';
import { createInstanceCache, type InstanceCache } from './instance-cache.js';

/** The read caches a store shares with its transactions. */
export interface StoreCaches {
  groups: GroupCache;
  instances: InstanceCache;
}

/**
 * The Store over one Kysely connection (SQLite or PostgreSQL). `transaction` nests as a no-op.
 * Group reads outside transactions go through a shared cache that every group write invalidates.
 */
export function createKyselyStore(
  db: Kysely<Database>,
  caches: StoreCaches = { groups: createGroupCache(), instances: createInstanceCache() },
  tx?: { touched: Set<string>; touchedInstances: Set<string>; staged: StagedGroups },
): Store {
  const cache = caches.groups;
  // Root stores commit concurrent transactions together (see commit-group.ts).
  // SQLite: one connection, which a transaction holds until it ends, so every query is serialized with it.
  const serialized = db.getExecutor().adapter instanceof SqliteAdapter;
  const commits = tx ? undefined : createCommitGroup(db, serialized ? 1 : 4);
  // Made on first use: a transaction usually touches two or three of them.
  let settings: Store['settings'] | undefined;
  let keys: Store['keys'] | undefined;
  let instances: Store['instances'] | undefined;
  let groups: Store['groups'] | undefined;
  let events: Store['events'] | undefined;
  const store: Store = {
    get settings() {
      return (settings ??= createSettingsRepository(db));
    },
    get keys() {
      return (keys ??= createKeyRepository(db));
    },
    get instances() {
      return (instances ??= caches.instances.wrap(createInstanceRepository(db), { inTransaction: !!tx, touched: tx?.touchedInstances }));
    },
    get groups() {
      return (groups ??= cache.wrap(createGroupRepository(db), { inTransaction: !!tx, touched: tx?.touched, staged: tx?.staged, serialized }));
    },
    get events() {
      return (events ??= createEventRepository(db));
    },
    async transaction(fn, instanceId) {
      if (tx) return fn(store);
      const touched = new Set<string>();
      const touchedInstances = new Set<string>();
      const staged: StagedGroups = new Map();
      const outcome = await commits!.run((trx) => fn(createKyselyStore(trx, caches, { touched, touchedInstances, staged })), instanceId);
      // Again after the commit (or rollback): a concurrent read on another connection may have
      // re-filled an entry meanwhile with what it read before the commit. Serialized, none could.
      if (!serialized) cache.invalidate(touched);
      caches.instances.invalidate(touchedInstances);
      if (!outcome.ok) throw outcome.error;
      cache.fill(staged, !serialized);
      return outcome.value;
    },
  };
  return store;
}
