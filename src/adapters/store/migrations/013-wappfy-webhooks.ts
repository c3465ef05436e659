import type { Kysely } from 'kysely';

/** Wappfy webhook subscriptions: one uuid per subscription, each backed by a core provider subscription (provider `wappfy`, slot = the uuid). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('wappfy_webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('retry_count', 'integer', (c) => c.notNull())
    .addColumn('timeout_ms', 'integer', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('user_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('wappfy_webhooks_by_instance').on('wappfy_webhooks').columns(['instance_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('wappfy_webhooks').ifExists().execute();
}
