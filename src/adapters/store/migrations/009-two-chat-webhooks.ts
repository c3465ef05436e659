import type { Kysely } from 'kysely';

/** 2Chat webhook subscriptions: one `WHK` uuid per (event, number, optional group), each backed by a core provider subscription. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('two_chat_webhooks')
    .addColumn('uuid', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('event_name', 'text', (c) => c.notNull())
    .addColumn('hook_url', 'text', (c) => c.notNull())
    .addColumn('group_uuid', 'text')
    .addColumn('group_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('two_chat_webhooks_by_instance').on('two_chat_webhooks').columns(['instance_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('two_chat_webhooks').ifExists().execute();
}
