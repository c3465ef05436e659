import type { Kysely } from 'kysely';

/** Green API notification queue: a per-instance floor and the receipts deleted above it. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('green_api_queues')
    .addColumn('instance_id', 'text', (c) => c.primaryKey())
    .addColumn('floor_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('green_api_deleted_receipts')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('receipt_id', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('green_api_deleted_receipts_pk', ['instance_id', 'receipt_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('green_api_deleted_receipts').ifExists().execute();
  await db.schema.dropTable('green_api_queues').ifExists().execute();
}
