import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { WappfyTables, WappfyWebhooksTable } from './tables.js';

/** What the Wappfy dialect keeps of one webhook subscription (the URL, secret and state are the core subscription's). */
export interface WappfyWebhook {
  id: string;
  instanceId: string;
  /** Wappfy's event names. */
  events: string[];
  retryCount: number;
  timeoutMs: number;
  description: string | null;
  userId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Wappfy's webhook subscriptions; the core provider subscription that delivers one has its id as slot. */
export interface WappfyWebhookRepository {
  insert(hook: WappfyWebhook): Promise<void>;
  /** The subscription, or undefined. */
  get(id: string): Promise<WappfyWebhook | undefined>;
  /** The subscriptions of these instances (null = every instance), oldest first. */
  list(instanceIds: string[] | null): Promise<WappfyWebhook[]>;
  update(id: string, patch: Partial<Pick<WappfyWebhook, 'events' | 'retryCount' | 'timeoutMs' | 'description' | 'updatedAt'>>): Promise<void>;
  delete(id: string): Promise<void>;
  /** Drops every subscription of an instance (the instance was deleted). */
  deleteAll(instanceId: string): Promise<void>;
}

/** A new Wappfy webhook id: a uuid v4. */
export const newWappfyWebhookId = (): string => randomUUID();

function parseEvents(text: string): string[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((e): e is string => typeof e === 'string') : [];
  } catch {
    return [];
  }
}

const fromRow = (r: WappfyWebhooksTable): WappfyWebhook => ({
  id: r.id,
  instanceId: r.instance_id,
  events: parseEvents(r.events),
  retryCount: Number(r.retry_count),
  timeoutMs: Number(r.timeout_ms),
  description: r.description,
  userId: r.user_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The Wappfy webhook subscriptions over `wappfy_webhooks`. */
export function createWappfyWebhookRepository(db: Kysely<WappfyTables>): WappfyWebhookRepository {
  return {
    async insert(h) {
      await db
        .insertInto('wappfy_webhooks')
        .values({
          id: h.id,
          instance_id: h.instanceId,
          events: JSON.stringify(h.events),
          retry_count: h.retryCount,
          timeout_ms: h.timeoutMs,
          description: h.description,
          user_id: h.userId,
          created_at: h.createdAt,
          updated_at: h.updatedAt,
        })
        .execute();
    },
    async get(id) {
      const row = await db.selectFrom('wappfy_webhooks').selectAll().where('id', '=', id).executeTakeFirst();
      return row && fromRow(row);
    },
    async list(instanceIds) {
      if (instanceIds !== null && instanceIds.length === 0) return [];
      let q = db.selectFrom('wappfy_webhooks').selectAll();
      if (instanceIds !== null) q = q.where('instance_id', 'in', instanceIds);
      return (await q.orderBy('created_at').orderBy('id').execute()).map(fromRow);
    },
    async update(id, patch) {
      const values: Partial<WappfyWebhooksTable> = {};
      if (patch.events !== undefined) values.events = JSON.stringify(patch.events);
      if (patch.retryCount !== undefined) values.retry_count = patch.retryCount;
      if (patch.timeoutMs !== undefined) values.timeout_ms = patch.timeoutMs;
      if (patch.description !== undefined) values.description = patch.description;
      if (patch.updatedAt !== undefined) values.updated_at = patch.updatedAt;
      if (Object.keys(values).length) await db.updateTable('wappfy_webhooks').set(values).where('id', '=', id).execute();
    },
    async delete(id) {
      await db.deleteFrom('wappfy_webhooks').where('id', '=', id).execute();
    },
    async deleteAll(instanceId) {
      await db.deleteFrom('wappfy_webhooks').where('instance_id', '=', instanceId).execute();
    },
  };
}
