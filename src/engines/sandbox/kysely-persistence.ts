/**
 * Sandbox persistence over Kysely, for SQLite and PostgreSQL alike. Tables (created by the
 * migrations): `sandbox_accounts (phone text primary key, data text not null)` and
 * `sandbox_groups (id text primary key, data text not null)`, `data` being the JSON record.
 */
import type { Kysely } from 'kysely';
import type { SandboxAccountRecord, SandboxChanges, SandboxGroupRecord, SandboxPersistence } from './emulator/types.js';

interface SandboxTables {
  sandbox_accounts: { phone: string; data: string };
  sandbox_groups: { id: string; data: string };
}

/** Persistence of the sandbox network in the app database (any schema type: only the two tables are used); each commit is one transaction. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function createKyselySandboxPersistence(anyDb: Kysely<any>): SandboxPersistence {
  const db = anyDb as Kysely<SandboxTables>;
  return {
    async load() {
      const accounts = await db.selectFrom('sandbox_accounts').select(['data']).orderBy('phone').execute();
      const groups = await db.selectFrom('sandbox_groups').select(['data']).orderBy('id').execute();
      return {
        accounts: accounts.map((row) => JSON.parse(row.data) as SandboxAccountRecord),
        groups: groups.map((row) => JSON.parse(row.data) as SandboxGroupRecord),
      };
    },
    async commit(changes: SandboxChanges) {
      await db.transaction().execute(async (trx) => {
        for (const account of changes.accounts) {
          const data = JSON.stringify(account);
          await trx
            .insertInto('sandbox_accounts')
            .values({ phone: account.phone, data })
            .onConflict((oc) => oc.column('phone').doUpdateSet({ data }))
            .execute();
        }
        for (const group of changes.groups) {
          const data = JSON.stringify(group);
          await trx
            .insertInto('sandbox_groups')
            .values({ id: group.id, data })
            .onConflict((oc) => oc.column('id').doUpdateSet({ data }))
            .execute();
        }
        if (changes.deletedGroupIds.length > 0) {
          await trx.deleteFrom('sandbox_groups').where('id', 'in', changes.deletedGroupIds).execute();
        }
      });
    },
  };
}
