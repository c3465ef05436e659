import type { Kysely } from 'kysely';
import type { Store } from '../../../core/ports/store.js';
import type { Database } from '../schema.js';
import { createInstanceRepository, createKeyRepository, createSettingsRepository } from './basic.js';
import { createEventRepository } from './events.js';
import { createGroupCache, type GroupCache, type StagedGroups } from './group-cache.js';
import { createGroupRepository } from './groups.js';

/**
 * The Store over one Kysely connection (SQLite or PostgreSQL). `transaction` nests as a no-op.
 * Group reads outside transactions go through a shared cache that every group write invalidates.
 */
export function createKyselyStore(db: Kysely<Database>, cache: GroupCache = createGroupCache(), tx?: { touched: Set<string>; staged: StagedGroups }): Store {
  const store: Store = {
    settings: createSettingsRepository(db),
    keys: createKeyRepository(db),
    instances: createInstanceRepository(db),
    groups: cache.wrap(createGroupRepository(db), { inTransaction: !!tx, touched: tx?.touched, staged: tx?.staged }),
    events: createEventRepository(db),
    async transaction(fn) {
      if (tx) return fn(store);
      const touched = new Set<string>();
      const staged: StagedGroups = new Map();
      let committed = false;
      try {
        const result = await db.transaction().execute((trx) => fn(createKyselyStore(trx, cache, { touched, staged })));
        committed = true;
        return result;
      } finally {
        // Again after the commit (or rollback): a concurrent read may have re-filled an entry meanwhile.
        cache.invalidate(touched);
        if (committed) cache.fill(staged);
      }
    },
  };
  return store;
}
