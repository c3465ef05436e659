import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { TwoChatTables } from './tables.js';

/** One 2Chat group handle. */
export interface TwoChatGroupRef {
  uuid: string;
  instanceId: string;
  groupId: string;
}

/**
 * 2Chat's group handles (`WAG` + uuid v4). A handle, once given to a group of an instance, never
 * changes; `ensure` is idempotent and safe under concurrent callers (the (instance, group) pair is
 * unique, so a lost race re-reads the winner's handle).
 */
export interface TwoChatGroupRepository {
  /** The handle of each group, creating the missing ones; answers a map group id -> uuid. */
  ensure(instanceId: string, groupIds: string[]): Promise<Map<string, string>>;
  /** The group a handle names, or undefined. */
  get(uuid: string): Promise<TwoChatGroupRef | undefined>;
  /** Drops every handle of an instance (the instance was deleted). */
  deleteAll(instanceId: string): Promise<void>;
}

/** A new 2Chat group handle: `WAG` followed by a uuid v4, as 2Chat writes them. */
export function newTwoChatGroupUuid(): string {
  return `WAG${randomUUID()}`;
}

/** The 2Chat handles over `two_chat_groups`. */
export function createTwoChatGroupRepository(db: Kysely<TwoChatTables>, now: () => number = Date.now): TwoChatGroupRepository {
  async function read(instanceId: string, groupIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    // Chunked so a number in thousands of groups stays under every driver's parameter limit.
    for (let i = 0; i < groupIds.length; i += 500) {
      const rows = await db
        .selectFrom('two_chat_groups')
        .select(['group_id', 'uuid'])
        .where('instance_id', '=', instanceId)
        .where('group_id', 'in', groupIds.slice(i, i + 500))
        .execute();
      for (const r of rows) out.set(r.group_id, r.uuid);
    }
    return out;
  }

  return {
    async ensure(instanceId, groupIds) {
      const wanted = [...new Set(groupIds)];
      if (wanted.length === 0) return new Map();
      const known = await read(instanceId, wanted);
      const missing = wanted.filter((g) => !known.has(g));
      if (missing.length === 0) return known;
      const createdAt = new Date(now()).toISOString();
      for (const groupId of missing) {
        await db
          .insertInto('two_chat_groups')
          .values({ uuid: newTwoChatGroupUuid(), instance_id: instanceId, group_id: groupId, created_at: createdAt })
          .onConflict((oc) => oc.columns(['instance_id', 'group_id']).doNothing())
          .execute();
      }
      const fresh = await read(instanceId, missing);
      for (const [g, u] of fresh) known.set(g, u);
      return known;
    },

    async get(uuid) {
      const row = await db.selectFrom('two_chat_groups').selectAll().where('uuid', '=', uuid).executeTakeFirst();
      return row && { uuid: row.uuid, instanceId: row.instance_id, groupId: row.group_id };
    },
    async deleteAll(instanceId) {
      await db.deleteFrom('two_chat_groups').where('instance_id', '=', instanceId).execute();
    },
  };
}
