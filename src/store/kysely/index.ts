import type { Kysely } from 'kysely';
import type { Store } from '../port.js';
import type { Database } from '../schema.js';
import { createInstanceRepository, createKeyRepository, createSettingsRepository } from './basic.js';
import { createEventRepository } from './events.js';
import { createGroupRepository } from './groups.js';

/** The Store over one Kysely connection (SQLite or PostgreSQL); `transaction` nests as a no-op. */
export function createKyselyStore(db: Kysely<Database>, inTransaction = false): Store {
  const store: Store = {
    settings: createSettingsRepository(db),
    keys: createKeyRepository(db),
    instances: createInstanceRepository(db),
    groups: createGroupRepository(db),
    events: createEventRepository(db),
    async transaction(fn) {
      if (inTransaction) return fn(store);
      return db.transaction().execute((trx) => fn(createKyselyStore(trx, true)));
    },
  };
  return store;
}
