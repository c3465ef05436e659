import type { Kysely } from 'kysely';
import type { ApiKey } from '../../../core/access/access-model.js';
import type { Instance } from '../../../core/instances/instance-model.js';
import type { InstanceRepository, KeyRepository, SettingsRepository } from '../../../core/ports/store.js';
import type { Database } from '../schema.js';
import { prepared } from './prepared.js';

/** Settings over the `settings` table. */
export function createSettingsRepository(db: Kysely<Database>): SettingsRepository {
  return {
    async get(key) {
      const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value;
    },
    async put(key, value) {
      await db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
    },
  };
}

function toKey(row: Database['api_keys']): ApiKey {
  return {
    id: row.id,
    name: row.name,
    keyHash: row.key_hash,
    instances: row.instances === null ? null : (JSON.parse(row.instances) as string[]),
    createdAt: row.created_at,
  };
}

/** API keys over `api_keys`. */
export function createKeyRepository(db: Kysely<Database>): KeyRepository {
  return {
    async insert(key) {
      await db
        .insertInto('api_keys')
        .values({
          id: key.id,
          name: key.name,
          key_hash: key.keyHash,
          instances: key.instances === null ? null : JSON.stringify(key.instances),
          created_at: key.createdAt,
        })
        .execute();
    },
    async get(id) {
      const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toKey(row);
    },
    async getByHash(keyHash) {
      const row = await db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
      return row && toKey(row);
    },
    async list() {
      const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toKey);
    },
    async updateHash(id, keyHash) {
      const r = await db.updateTable('api_keys').set({ key_hash: keyHash }).where('id', '=', id).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async delete(id) {
      const r = await db.deleteFrom('api_keys').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async removeInstance(instanceId) {
      const rows = await db.selectFrom('api_keys').selectAll().where('instances', 'is not', null).execute();
      for (const row of rows) {
        const key = toKey(row);
        if (key.instances?.includes(instanceId)) {
          const rest = key.instances.filter((i) => i !== instanceId);
          await db
            .updateTable('api_keys')
            .set({ instances: JSON.stringify(rest) })
            .where('id', '=', key.id)
            .execute();
        }
      }
    },
  };
}

function toInstance(row: Database['instances']): Instance {
  return {
    id: row.id,
    idInstance: row.id_instance,
    name: row.name,
    engine: row.engine as Instance['engine'],
    phone: row.phone,
    status: row.status as Instance['status'],
    statusReason: row.status_reason,
    tokenHash: row.token_hash,
    createdAt: row.created_at,
    settings: JSON.parse(row.settings) as Instance['settings'],
  };
}

type InstanceColumn = 'id' | 'id_instance' | 'token_hash' | 'phone';
// Instances are read on every request about one: the lookups are built once (see prepared.ts).
const instanceBy = Object.fromEntries(
  (['id', 'id_instance', 'token_hash', 'phone'] as const).map((column) => [
    column,
    prepared((db: Kysely<Database>, value: string) => db.selectFrom('instances').selectAll().where(column, '=', value)),
  ]),
) as Record<InstanceColumn, (db: Kysely<Database>, value: string) => Promise<{ rows: unknown[] }>>;

/** Instances over `instances`. */
export function createInstanceRepository(db: Kysely<Database>): InstanceRepository {
  const byColumn = async (column: InstanceColumn, value: string) => {
    const row = (await instanceBy[column](db, value)).rows[0] as Database['instances'] | undefined;
    return row && toInstance(row);
  };
  return {
    async insert(i) {
      await db
        .insertInto('instances')
        .values({
          id: i.id,
          id_instance: i.idInstance,
          name: i.name,
          engine: i.engine,
          phone: i.phone,
          status: i.status,
          status_reason: i.statusReason,
          token_hash: i.tokenHash,
          created_at: i.createdAt,
          last_seq: 0,
          settings: JSON.stringify(i.settings),
        })
        .execute();
    },
    get: (id) => byColumn('id', id),
    getByIdInstance: (idInstance) => byColumn('id_instance', idInstance),
    getByTokenHash: (hash) => byColumn('token_hash', hash),
    getByPhone: (phone) => byColumn('phone', phone),
    async list(ids) {
      if (ids && ids.length === 0) return [];
      let q = db.selectFrom('instances').selectAll().orderBy('created_at').orderBy('id');
      if (ids) q = q.where('id', 'in', ids);
      return (await q.execute()).map(toInstance);
    },
    async update(id, patch) {
      const set: Partial<Database['instances']> = {};
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.phone !== undefined) set.phone = patch.phone;
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.statusReason !== undefined) set.status_reason = patch.statusReason;
      if (patch.tokenHash !== undefined) set.token_hash = patch.tokenHash;
      if (Object.keys(set).length === 0) return;
      await db.updateTable('instances').set(set).where('id', '=', id).execute();
    },
    async putSetting(id, key, value) {
      const row = await db.selectFrom('instances').select('settings').where('id', '=', id).executeTakeFirst();
      if (!row) return;
      const settings = JSON.parse(row.settings) as Record<string, unknown>;
      if (value === null || value === undefined) delete settings[key];
      else settings[key] = value;
      await db
        .updateTable('instances')
        .set({ settings: JSON.stringify(settings) })
        .where('id', '=', id)
        .execute();
    },
    async delete(id) {
      const r = await db.deleteFrom('instances').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
