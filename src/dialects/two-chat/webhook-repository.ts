import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { TwoChatTables, TwoChatWebhooksTable } from './tables.js';

/** One 2Chat webhook subscription. */
export interface TwoChatWebhook {
  uuid: string;
  instanceId: string;
  eventName: string;
  hookUrl: string;
  /** The `to_group_uuid` filter and the group it names; null = every group. */
  groupUuid: string | null;
  groupId: string | null;
  createdAt: string;
}

/**
 * 2Chat's webhook subscriptions. A row never changes after insert; deleting it is idempotent.
 * The core provider subscription that delivers it has the row's uuid as its slot.
 */
export interface TwoChatWebhookRepository {
  insert(hook: TwoChatWebhook): Promise<void>;
  /** The subscription, or undefined. */
  get(uuid: string): Promise<TwoChatWebhook | undefined>;
  /** The subscriptions of these instances (null = every instance), oldest first. */
  list(instanceIds: string[] | null): Promise<TwoChatWebhook[]>;
  delete(uuid: string): Promise<void>;
  /** Drops every subscription of an instance (the instance was deleted). */
  deleteAll(instanceId: string): Promise<void>;
}

/** A new 2Chat webhook uuid: `WHK` followed by a uuid v4, as 2Chat writes them. */
export function newTwoChatWebhookUuid(): string {
  return `WHK${randomUUID()}`;
}

const fromRow = (r: TwoChatWebhooksTable): TwoChatWebhook => ({
  uuid: r.uuid,
  instanceId: r.instance_id,
  eventName: r.event_name,
  hookUrl: r.hook_url,
  groupUuid: r.group_uuid,
  groupId: r.group_id,
  createdAt: r.created_at,
});

/** The 2Chat webhook subscriptions over `two_chat_webhooks`. */
export function createTwoChatWebhookRepository(db: Kysely<TwoChatTables>): TwoChatWebhookRepository {
  return {
    async insert(h) {
      await db
        .insertInto('two_chat_webhooks')
        .values({ uuid: h.uuid, instance_id: h.instanceId, event_name: h.eventName, hook_url: h.hookUrl, group_uuid: h.groupUuid, group_id: h.groupId, created_at: h.createdAt })
        .execute();
    },
    async get(uuid) {
      const row = await db.selectFrom('two_chat_webhooks').selectAll().where('uuid', '=', uuid).executeTakeFirst();
      return row && fromRow(row);
    },
    async list(instanceIds) {
      if (instanceIds !== null && instanceIds.length === 0) return [];
      let q = db.selectFrom('two_chat_webhooks').selectAll();
      if (instanceIds !== null) q = q.where('instance_id', 'in', instanceIds);
      return (await q.orderBy('created_at').orderBy('uuid').execute()).map(fromRow);
    },
    async delete(uuid) {
      await db.deleteFrom('two_chat_webhooks').where('uuid', '=', uuid).execute();
    },
    async deleteAll(instanceId) {
      await db.deleteFrom('two_chat_webhooks').where('instance_id', '=', instanceId).execute();
    },
  };
}
