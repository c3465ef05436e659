import type { Kysely } from 'kysely';

/** Webhook subscriptions, a delivery cursor per (subscription, instance), and every delivery. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('instances', 'text')
    .addColumn('events', 'text')
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('provider', 'text')
    .addColumn('provider_slot', 'text')
    .addColumn('provider_instance_id', 'text')
    .addColumn('auth_header', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_subscriptions_provider').on('webhook_subscriptions').columns(['provider_instance_id', 'provider', 'provider_slot']).unique().execute();

  await db.schema
    .createTable('webhook_cursors')
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('after_seq', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_cursors_pk', ['subscription_id', 'instance_id'])
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('instance_id', 'text')
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_seq', 'bigint')
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('first_attempt_at', 'text')
    .addColumn('last_attempt_at', 'text')
    .addColumn('next_attempt_at', 'text')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_deliveries_lane').on('webhook_deliveries').columns(['subscription_id', 'instance_id', 'status', 'event_seq']).execute();
  await db.schema.createIndex('webhook_deliveries_sub_id').on('webhook_deliveries').columns(['subscription_id', 'id']).execute();
  await db.schema.createIndex('webhook_deliveries_status_next').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_deliveries_updated').on('webhook_deliveries').columns(['updated_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['webhook_deliveries', 'webhook_cursors', 'webhook_subscriptions']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
