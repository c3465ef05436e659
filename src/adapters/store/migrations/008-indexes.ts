import type { Kysely } from 'kysely';

/**
 * The group list orders by (created_at desc, group_id desc) within an instance: an index on all
 * three lets a page walk the index instead of sorting every group of the instance per request. It
 * replaces the (instance_id, created_at) index, a prefix of it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('groups_by_instance_created_id').on('groups').columns(['instance_id', 'created_at', 'group_id']).execute();
  await db.schema.dropIndex('groups_by_instance_created').ifExists().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('groups_by_instance_created').ifNotExists().on('groups').columns(['instance_id', 'created_at']).execute();
  await db.schema.dropIndex('groups_by_instance_created_id').ifExists().execute();
}
