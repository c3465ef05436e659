/**
 * The Kysely webhook repository (`core/ports/webhook-repository.ts`) for SQLite and PostgreSQL:
 * subscriptions, versioned cursors, deliveries, and the retention queries over them and the event log.
 */
import type { Kysely, Selectable } from 'kysely';
import type { EventRecord } from '../../../core/events/event-model.js';
import type { DeliveryStatus, WebhookCursor, WebhookDelivery, WebhookSubscription } from '../../../core/webhooks/webhook-model.js';
import type { WebhookRepository } from '../../../core/ports/webhook-repository.js';
import type { WebhookFormat } from '../../../core/webhooks/webhook-rules.js';
import type { Database } from '../schema.js';
import { PLAINTEXT, type SecretBox } from '../secret-box.js';
import type { WebhookDeliveriesTable, WebhookSubscriptionsTable } from '../schema-webhooks.js';

const FINISHED: DeliveryStatus[] = ['delivered', 'failed', 'skipped', 'cancelled'];

/** A row as a subscription, its secrets opened. */
function rowToSubscription(row: Selectable<WebhookSubscriptionsTable>, box: SecretBox): WebhookSubscription {
  return {
    id: row.id,
    url: row.url,
    instances: row.instances === null ? null : (JSON.parse(row.instances) as string[]),
    events: row.events === null ? null : (JSON.parse(row.events) as string[]),
    format: row.format as WebhookFormat,
    secret: box.open(row.secret),
    secretRevealedAt: row.secret_revealed_at ?? null,
    enabled: Number(row.enabled) === 1,
    provider: row.provider,
    providerSlot: row.provider_slot,
    authorization: row.auth_header === null ? null : box.open(row.auth_header),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A subscription's columns, its secrets sealed. */
function columnsOf(s: Partial<WebhookSubscription>, box: SecretBox): Partial<WebhookSubscriptionsTable> {
  const out: Partial<WebhookSubscriptionsTable> = {};
  if (s.url !== undefined) out.url = s.url;
  if (s.instances !== undefined) out.instances = s.instances === null ? null : JSON.stringify(s.instances);
  if (s.events !== undefined) out.events = s.events === null ? null : JSON.stringify(s.events);
  if (s.format !== undefined) out.format = s.format;
  if (s.secret !== undefined) out.secret = box.seal(s.secret);
  if (s.secretRevealedAt !== undefined) out.secret_revealed_at = s.secretRevealedAt;
  if (s.enabled !== undefined) out.enabled = s.enabled ? 1 : 0;
  if (s.provider !== undefined) out.provider = s.provider;
  if (s.providerSlot !== undefined) out.provider_slot = s.providerSlot;
  if (s.authorization !== undefined) out.auth_header = s.authorization === null ? null : box.seal(s.authorization);
  if (s.createdAt !== undefined) out.created_at = s.createdAt;
  if (s.updatedAt !== undefined) out.updated_at = s.updatedAt;
  return out;
}

function toDelivery(row: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    instanceId: row.instance_id,
    eventId: row.event_id,
    eventSeq: row.event_seq === null ? null : Number(row.event_seq),
    eventType: row.event_type,
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    firstAttemptAt: row.first_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    nextAttemptAt: row.next_attempt_at,
    lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function deliveryColumns(d: Partial<WebhookDelivery>): Partial<WebhookDeliveriesTable> {
  const out: Partial<WebhookDeliveriesTable> = {};
  const map: [keyof WebhookDelivery, keyof WebhookDeliveriesTable][] = [
    ['id', 'id'],
    ['subscriptionId', 'subscription_id'],
    ['instanceId', 'instance_id'],
    ['eventId', 'event_id'],
    ['eventSeq', 'event_seq'],
    ['eventType', 'event_type'],
    ['status', 'status'],
    ['attempts', 'attempts'],
    ['firstAttemptAt', 'first_attempt_at'],
    ['lastAttemptAt', 'last_attempt_at'],
    ['nextAttemptAt', 'next_attempt_at'],
    ['lastStatusCode', 'last_status_code'],
    ['lastError', 'last_error'],
    ['createdAt', 'created_at'],
    ['updatedAt', 'updated_at'],
  ];
  for (const [k, col] of map) if (d[k] !== undefined) (out as Record<string, unknown>)[col] = d[k];
  return out;
}

function toEvent(row: Selectable<Database['events']>): EventRecord {
  return { id: row.id, seq: Number(row.seq), type: row.type, instanceId: row.instance_id, occurredAt: row.occurred_at, data: JSON.parse(row.data) as Record<string, unknown> };
}

/** Webhook subscriptions, cursors and deliveries over Kysely (SQLite and PostgreSQL). */
export function createWebhookRepository(db: Kysely<Database>, box: SecretBox = PLAINTEXT): WebhookRepository {
  const toSubscription = (row: Selectable<WebhookSubscriptionsTable>) => rowToSubscription(row, box);
  const subscriptionColumns = (s: Partial<WebhookSubscription>) => columnsOf(s, box);
  async function putCursor(tx: Kysely<Database>, c: WebhookCursor, now: string, onlyIfAbsent: boolean): Promise<void> {
    const existing = await tx
      .selectFrom('webhook_cursors')
      .select('after_seq')
      .where('subscription_id', '=', c.subscriptionId)
      .where('instance_id', '=', c.instanceId)
      .executeTakeFirst();
    if (existing) {
      if (onlyIfAbsent) return;
      await tx
        .updateTable('webhook_cursors')
        .set((eb) => ({ after_seq: c.afterSeq, updated_at: now, version: eb('version', '+', 1) }))
        .where('subscription_id', '=', c.subscriptionId)
        .where('instance_id', '=', c.instanceId)
        .execute();
      return;
    }
    await tx.insertInto('webhook_cursors').values({ subscription_id: c.subscriptionId, instance_id: c.instanceId, after_seq: c.afterSeq, updated_at: now }).execute();
  }

  const repository: WebhookRepository = {
    async insertSubscription(sub, cursors) {
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('webhook_subscriptions')
          .values({
            ...(subscriptionColumns(sub) as WebhookSubscriptionsTable),
            id: sub.id,
            provider_instance_id: sub.provider && sub.instances ? (sub.instances[0] ?? null) : null,
          })
          .execute();
        for (const c of cursors) await putCursor(tx, c, sub.createdAt, false);
      });
    },
    async getSubscription(id) {
      const row = await db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toSubscription(row);
    },
    async getProviderSubscription(instanceId, provider, slot) {
      const row = await db
        .selectFrom('webhook_subscriptions')
        .selectAll()
        .where('provider_instance_id', '=', instanceId)
        .where('provider', '=', provider)
        .where('provider_slot', '=', slot)
        .executeTakeFirst();
      return row && toSubscription(row);
    },
    async listSubscriptions() {
      const rows = await db.selectFrom('webhook_subscriptions').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toSubscription);
    },
    async updateSubscription(id, patch, newCursors = []) {
      await db.transaction().execute(async (tx) => {
        const cols = subscriptionColumns(patch);
        if (Object.keys(cols).length) await tx.updateTable('webhook_subscriptions').set(cols).where('id', '=', id).execute();
        for (const c of newCursors) await putCursor(tx, c, patch.updatedAt ?? new Date().toISOString(), true);
      });
    },
    async markSecretRevealed(id, at) {
      const r = await db.updateTable('webhook_subscriptions').set({ secret_revealed_at: at }).where('id', '=', id).where('secret_revealed_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async deleteSubscription(id) {
      return db.transaction().execute(async (tx) => {
        await tx.deleteFrom('webhook_deliveries').where('subscription_id', '=', id).execute();
        await tx.deleteFrom('webhook_cursors').where('subscription_id', '=', id).execute();
        const r = await tx.deleteFrom('webhook_subscriptions').where('id', '=', id).executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      });
    },

    async listCursors(subscriptionId) {
      let q = db.selectFrom('webhook_cursors').selectAll();
      if (subscriptionId) q = q.where('subscription_id', '=', subscriptionId);
      const rows = await q.execute();
      return rows.map((r) => ({ subscriptionId: r.subscription_id, instanceId: r.instance_id, afterSeq: Number(r.after_seq) }));
    },
    async getCursor(subscriptionId, instanceId) {
      const r = await db.selectFrom('webhook_cursors').selectAll().where('subscription_id', '=', subscriptionId).where('instance_id', '=', instanceId).executeTakeFirst();
      return r && { subscriptionId, instanceId, afterSeq: Number(r.after_seq), version: Number(r.version) };
    },
    async moveCursor(cursor, deliveries) {
      // One lane's move: the batched write with a batch of one.
      return (await repository.moveCursors([{ cursor, deliveries }]))[0];
    },

    async moveCursors(moves) {
      if (!moves.length) return [];
      // Cursors are locked in one order, so two writers never wait on each other's rows.
      const order = moves
        .map((_, i) => i)
        .sort((a, b) => {
          const x = moves[a]!.cursor;
          const y = moves[b]!.cursor;
          return x.subscriptionId < y.subscriptionId ? -1 : x.subscriptionId > y.subscriptionId ? 1 : x.instanceId < y.instanceId ? -1 : x.instanceId > y.instanceId ? 1 : 0;
        });
      return db.transaction().execute(async (tx) => {
        const versions: (number | undefined)[] = new Array(moves.length).fill(undefined);
        const rows: WebhookDeliveriesTable[] = [];
        for (const i of order) {
          const { cursor: c, deliveries } = moves[i]!;
          const at = deliveries[deliveries.length - 1]?.updatedAt ?? new Date().toISOString();
          const r = await tx
            .updateTable('webhook_cursors')
            .set((eb) => ({ after_seq: c.afterSeq, updated_at: at, version: eb('version', '+', 1) }))
            .where('subscription_id', '=', c.subscriptionId)
            .where('instance_id', '=', c.instanceId)
            .where('version', '=', c.expectedVersion)
            .executeTakeFirst();
          if (Number(r.numUpdatedRows) === 0) continue;
          versions[i] = c.expectedVersion + 1;
          for (const d of deliveries) rows.push(deliveryColumns(d) as WebhookDeliveriesTable);
        }
        // Bounded statements: 15 columns a row stays well under either database's parameter limit.
        for (let k = 0; k < rows.length; k += 500)
          await tx
            .insertInto('webhook_deliveries')
            .values(rows.slice(k, k + 500))
            .execute();
        return versions;
      });
    },

    async firstPending(subscriptionId, instanceId) {
      const row = await db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('subscription_id', '=', subscriptionId)
        .where('instance_id', '=', instanceId)
        .where('status', '=', 'pending')
        .orderBy('event_seq')
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      return row && toDelivery(row);
    },
    async advance(subscriptionId, instanceId, afterSeq, delivery) {
      await db.transaction().execute(async (tx) => {
        const now = delivery?.createdAt ?? new Date().toISOString();
        const current = await tx
          .selectFrom('webhook_cursors')
          .select('after_seq')
          .where('subscription_id', '=', subscriptionId)
          .where('instance_id', '=', instanceId)
          .executeTakeFirst();
        if (!current || Number(current.after_seq) < afterSeq) await putCursor(tx, { subscriptionId, instanceId, afterSeq }, now, false);
        if (delivery)
          await tx
            .insertInto('webhook_deliveries')
            .values(deliveryColumns(delivery) as WebhookDeliveriesTable)
            .execute();
      });
    },
    async updatePending(id, patch, expectedUpdatedAt) {
      let q = db.updateTable('webhook_deliveries').set(deliveryColumns(patch)).where('id', '=', id).where('status', '=', 'pending');
      if (expectedUpdatedAt !== undefined) q = q.where('updated_at', '=', expectedUpdatedAt);
      const r = await q.executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async updateDelivery(id, patch) {
      await db.updateTable('webhook_deliveries').set(deliveryColumns(patch)).where('id', '=', id).execute();
    },
    async insertDelivery(delivery) {
      await db
        .insertInto('webhook_deliveries')
        .values(deliveryColumns(delivery) as WebhookDeliveriesTable)
        .execute();
    },
    async getDelivery(id) {
      const row = await db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toDelivery(row);
    },
    async listDeliveries(subscriptionId, query) {
      let q = db.selectFrom('webhook_deliveries').selectAll().where('subscription_id', '=', subscriptionId);
      if (query.status) q = q.where('status', '=', query.status);
      if (query.instanceId) q = q.where('instance_id', '=', query.instanceId);
      if (query.before) q = q.where('id', '<', query.before);
      const rows = await q.orderBy('id', 'desc').limit(query.limit).execute();
      return rows.map(toDelivery);
    },
    async nextPendingAt() {
      const row = await db
        .selectFrom('webhook_deliveries')
        .innerJoin('webhook_subscriptions', 'webhook_subscriptions.id', 'webhook_deliveries.subscription_id')
        .select((eb) => eb.fn.min('webhook_deliveries.next_attempt_at').as('next'))
        .where('webhook_deliveries.status', '=', 'pending')
        .where('webhook_subscriptions.enabled', '=', 1)
        .executeTakeFirst();
      return (row?.next as string | null | undefined) ?? undefined;
    },
    async pendingCounts() {
      const rows = await db
        .selectFrom('webhook_deliveries')
        .select((eb) => ['subscription_id', 'instance_id', eb.fn.countAll().as('n')])
        .where('status', '=', 'pending')
        .where('instance_id', 'is not', null)
        .groupBy(['subscription_id', 'instance_id'])
        .execute();
      return rows.map((r) => ({ subscriptionId: r.subscription_id, instanceId: r.instance_id!, count: Number(r.n) }));
    },
    async rewind(subscriptionId, cursors, now) {
      return db.transaction().execute(async (tx) => {
        const r = await tx
          .updateTable('webhook_deliveries')
          .set({ status: 'cancelled', next_attempt_at: null, last_error: 'replaced by a replay', updated_at: now })
          .where('subscription_id', '=', subscriptionId)
          .where('status', '=', 'pending')
          .executeTakeFirst();
        for (const c of cursors) await putCursor(tx, c, now, false);
        return Number(r.numUpdatedRows);
      });
    },

    async seqBefore(instanceId, from) {
      let q = db
        .selectFrom('events')
        .select((eb) => eb.fn.min('seq').as('first'))
        .where('instance_id', '=', instanceId);
      if (from.id !== undefined) q = q.where('id', '>=', from.id);
      if (from.at !== undefined) q = q.where('occurred_at', '>=', from.at);
      const row = await q.executeTakeFirst();
      if (row?.first !== null && row?.first !== undefined) return Number(row.first) - 1;
      const last = await db.selectFrom('instances').select('last_seq').where('id', '=', instanceId).executeTakeFirst();
      return Number(last?.last_seq ?? 0);
    },
    async getEvent(id) {
      const row = await db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toEvent(row);
    },

    async pruneEvents(instanceId, before, belowSeq) {
      const r = await db.deleteFrom('events').where('instance_id', '=', instanceId).where('occurred_at', '<', before).where('seq', '<', belowSeq).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async pruneDeliveries(before) {
      const r = await db.deleteFrom('webhook_deliveries').where('status', 'in', FINISHED).where('updated_at', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async deleteInstance(instanceId) {
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('webhook_cursors').where('instance_id', '=', instanceId).execute();
        await tx.deleteFrom('webhook_deliveries').where('instance_id', '=', instanceId).execute();
        const own = await tx.selectFrom('webhook_subscriptions').select('id').where('provider_instance_id', '=', instanceId).execute();
        if (own.length) {
          const ids = own.map((r) => r.id);
          await tx.deleteFrom('webhook_cursors').where('subscription_id', 'in', ids).execute();
          await tx.deleteFrom('webhook_deliveries').where('subscription_id', 'in', ids).execute();
          await tx.deleteFrom('webhook_subscriptions').where('id', 'in', ids).execute();
        }
      });
    },
    async pruneOrphans(existing, now) {
      const known = new Set(existing);
      const lanes = await db.selectFrom('webhook_cursors').select('instance_id').distinct().execute();
      const gone = lanes.map((l) => l.instance_id).filter((id) => !known.has(id));
      if (!gone.length) return 0;
      return db.transaction().execute(async (tx) => {
        const c = await tx.deleteFrom('webhook_cursors').where('instance_id', 'in', gone).executeTakeFirst();
        await tx
          .updateTable('webhook_deliveries')
          .set({ status: 'cancelled', next_attempt_at: null, last_error: 'the instance was deleted', updated_at: now })
          .where('instance_id', 'in', gone)
          .where('status', '=', 'pending')
          .execute();
        return Number(c.numDeletedRows);
      });
    },
  };
  return repository;
}
