import type { Kysely } from 'kysely';

/**
 * The sandbox network's shared log, used only when several processes share one PostgreSQL
 * database (`createSharedSandboxPersistence`): one row per mutation, numbered without gaps under a
 * cluster-wide lock, holding the records it changed and the notices it sent (JSON), so every
 * process replays other processes' changes and delivers their notices to its own sinks. Old rows are
 * pruned; `sandbox_accounts` and `sandbox_groups` stay the full state.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sandbox_log')
    .ifNotExists()
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('sandbox_log').ifExists().execute();
}
