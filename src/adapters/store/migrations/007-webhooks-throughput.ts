import type { Kysely } from 'kysely';

/**
 * A version number on every delivery cursor: the worker moves a cursor only while it still holds
 * the version it read, so a replay (or a deleted subscription) that rewrote the cursor meanwhile
 * always wins over an attempt that was in flight.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('webhook_cursors')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webhook_cursors').dropColumn('version').execute();
}
