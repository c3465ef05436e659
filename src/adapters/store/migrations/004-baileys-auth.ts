import type { Kysely } from 'kysely';

/** The Baileys auth state: creds and Signal keys per instance, one row per key. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('baileys_auth')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('baileys_auth_pk', ['instance_id', 'kind', 'key_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('baileys_auth').execute();
}
