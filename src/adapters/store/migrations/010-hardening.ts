import type { Kysely } from 'kysely';

/**
 * Idempotency that survives a crash: records name the process that holds them (`holder`), so "in
 * progress" ends when that process is gone; an operation stores the request that started it
 * (`request_key`, unique), in the same write, so a retry finds it instead of starting another.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').addColumn('holder', 'text').execute();
  await db.schema.alterTable('operations').addColumn('request_key', 'text').execute();
  await db.schema.createIndex('operations_request_key').unique().on('operations').column('request_key').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('operations_request_key').ifExists().execute();
  await db.schema.alterTable('operations').dropColumn('request_key').execute();
  await db.schema.alterTable('idempotency_keys').dropColumn('holder').execute();
}
