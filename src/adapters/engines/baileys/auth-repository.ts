/**
 * The Baileys auth repository over Kysely (SQLite and PostgreSQL alike): creds and Signal keys as
 * BufferJSON text, one row per (instance, kind, id). Multi-key writes run in one transaction. The
 * values are the device's keys (whoever reads them can act as the linked number): they are stored
 * sealed by the master key's `SecretBox` (AES-256-GCM).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { PLAINTEXT, type SecretBox } from '../../store/secret-box.js';

/** One key change: `value` null deletes the key. */
export interface AuthKeyChange {
  kind: string;
  id: string;
  value: string | null;
}

/** What the Baileys engine needs from the store. Values are opaque text (BufferJSON). */
export interface BaileysAuthRepository {
  /** The serialised creds, or undefined for a never-linked instance. */
  readCreds(instanceId: string): Promise<string | undefined>;
  /** Replaces the creds. */
  writeCreds(instanceId: string, value: string): Promise<void>;
  /** Values of the given ids of one kind; missing ids are absent from the map. */
  getKeys(instanceId: string, kind: string, ids: string[]): Promise<Map<string, string>>;
  /** Applies every change atomically (upsert or delete). */
  setKeys(instanceId: string, changes: AuthKeyChange[]): Promise<void>;
  /** Deletes creds and every key of the instance. Idempotent. */
  deleteInstance(instanceId: string): Promise<void>;
  /** An engine-wide setting (the learned WhatsApp Web version, ...), or undefined. */
  readSetting(key: string): Promise<string | undefined>;
  /** Replaces an engine-wide setting. */
  writeSetting(key: string, value: string): Promise<void>;
}

const CREDS = 'creds';
/** Engine-wide settings live beside the keys under an instance id no instance has. */
export const ENGINE_ROW = '';
const SETTING = 'setting';
/** Large `in (...)` lists are split so neither SQLite nor PostgreSQL hits a parameter limit. */
const CHUNK = 500;
/** Rows per multi-row insert: 5 parameters each, well under SQLite's and PostgreSQL's limits. */
const ROWS_PER_INSERT = 150;

/** Creates the repository over the one shared Kysely connection. */
export function createBaileysAuthRepository(db: Kysely<Database>, box: SecretBox = PLAINTEXT): BaileysAuthRepository {
  const upsert = async (tx: Kysely<Database>, instanceId: string, kind: string, id: string, plain: string) => {
    const updatedAt = new Date().toISOString();
    const value = box.seal(plain);
    await tx
      .insertInto('baileys_auth')
      .values({ instance_id: instanceId, kind, key_id: id, value, updated_at: updatedAt })
      .onConflict((oc) => oc.columns(['instance_id', 'kind', 'key_id']).doUpdateSet({ value, updated_at: updatedAt }))
      .execute();
  };

  return {
    async readCreds(instanceId) {
      const row = await db.selectFrom('baileys_auth').select('value').where('instance_id', '=', instanceId).where('kind', '=', CREDS).where('key_id', '=', '').executeTakeFirst();
      return row && box.open(row.value);
    },

    writeCreds: (instanceId, value) => upsert(db, instanceId, CREDS, '', value),

    async getKeys(instanceId, kind, ids) {
      const found = new Map<string, string>();
      for (let i = 0; i < ids.length; i += CHUNK) {
        const rows = await db
          .selectFrom('baileys_auth')
          .select(['key_id', 'value'])
          .where('instance_id', '=', instanceId)
          .where('kind', '=', kind)
          .where('key_id', 'in', ids.slice(i, i + CHUNK))
          .execute();
        for (const row of rows) found.set(row.key_id, box.open(row.value));
      }
      return found;
    },

    async setKeys(instanceId, changes) {
      // The last change of each key wins (one statement may not touch a row twice).
      const last = new Map<string, AuthKeyChange>();
      for (const change of changes) last.set(`${change.kind}\u0000${change.id}`, change);
      if (last.size === 0) return;
      const updatedAt = new Date().toISOString();
      const upserts: Database['baileys_auth'][] = [];
      const deletes = new Map<string, string[]>();
      for (const change of last.values()) {
        if (change.value === null) deletes.set(change.kind, [...(deletes.get(change.kind) ?? []), change.id]);
        else upserts.push({ instance_id: instanceId, kind: change.kind, key_id: change.id, value: box.seal(change.value), updated_at: updatedAt });
      }
      // A few multi-row statements in one transaction, instead of one statement per key (812 pre-keys at link time).
      await db.transaction().execute(async (tx) => {
        for (const [kind, ids] of deletes) {
          for (let i = 0; i < ids.length; i += CHUNK) {
            await tx
              .deleteFrom('baileys_auth')
              .where('instance_id', '=', instanceId)
              .where('kind', '=', kind)
              .where('key_id', 'in', ids.slice(i, i + CHUNK))
              .execute();
          }
        }
        for (let i = 0; i < upserts.length; i += ROWS_PER_INSERT) {
          await tx
            .insertInto('baileys_auth')
            .values(upserts.slice(i, i + ROWS_PER_INSERT))
            .onConflict((oc) => oc.columns(['instance_id', 'kind', 'key_id']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), updated_at: eb.ref('excluded.updated_at') })))
            .execute();
        }
      });
    },

    async deleteInstance(instanceId) {
      await db.deleteFrom('baileys_auth').where('instance_id', '=', instanceId).execute();
    },

    async readSetting(key) {
      const row = await db
        .selectFrom('baileys_auth')
        .select('value')
        .where('instance_id', '=', ENGINE_ROW)
        .where('kind', '=', SETTING)
        .where('key_id', '=', key)
        .executeTakeFirst();
      return row && box.open(row.value);
    },

    writeSetting: (key, value) => upsert(db, ENGINE_ROW, SETTING, key, value),
  };
}
