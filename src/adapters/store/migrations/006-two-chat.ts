import type { Kysely } from 'kysely';

/** 2Chat group handles: one `WAG` uuid per (instance, group), handed out on first sight. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('two_chat_groups')
    .addColumn('uuid', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('two_chat_groups_by_group').unique().on('two_chat_groups').columns(['instance_id', 'group_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('two_chat_groups').ifExists().execute();
}
