import type { Kysely } from 'kysely';

/** Keys, instances, the group store, the event log and the sandbox emulator's state. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('instances', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('instances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('id_instance', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('engine', 'text', (c) => c.notNull())
    .addColumn('phone', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();

  await db.schema
    .createTable('groups')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('subject_owner', 'text')
    .addColumn('subject_time', 'text')
    .addColumn('announcement', 'integer', (c) => c.notNull())
    .addColumn('locked', 'integer', (c) => c.notNull())
    .addColumn('member_add_mode', 'text', (c) => c.notNull())
    .addColumn('approval_mode', 'integer', (c) => c.notNull())
    .addColumn('ephemeral_seconds', 'integer', (c) => c.notNull())
    .addColumn('my_role', 'text', (c) => c.notNull())
    .addColumn('invite_code', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('addressing_mode', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('groups_pk', ['instance_id', 'group_id'])
    .execute();
  await db.schema.createIndex('groups_by_instance_created').on('groups').columns(['instance_id', 'created_at']).execute();

  await db.schema
    .createTable('group_participants')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('pkey', 'text', (c) => c.notNull())
    .addColumn('phone_jid', 'text')
    .addColumn('lid', 'text')
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('group_participants_pk', ['instance_id', 'group_id', 'pkey'])
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('events_pk', ['instance_id', 'seq'])
    .execute();
  await db.schema.createIndex('events_by_time').on('events').columns(['occurred_at']).execute();

  await db.schema
    .createTable('sandbox_accounts')
    .addColumn('phone', 'text', (c) => c.primaryKey())
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('sandbox_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['sandbox_groups', 'sandbox_accounts', 'events', 'group_participants', 'groups', 'instances', 'api_keys', 'settings']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
