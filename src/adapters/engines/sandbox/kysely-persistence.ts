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

const CHUNK = 200;

/** Persistence of the sandbox network in the app database (any schema type: only the two tables are used); each commit is one transaction. */

export function createKyselySandboxPersistence<DB>(anyDb: Kysely<DB>): SandboxPersistence {
  const db = anyDb as unknown as Kysely<SandboxTables>;
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
      // One multi-row upsert per table (chunked under SQLite's bound-parameter limit): fewer round trips per write.
      const statements: ((q: Kysely<SandboxTables>) => Promise<unknown>)[] = [];
      for (let i = 0; i < changes.accounts.length; i += CHUNK) {
        const rows = changes.accounts.slice(i, i + CHUNK).map((account) => ({ phone: account.phone, data: JSON.stringify(account) }));
        statements.push((q) =>
          q
            .insertInto('sandbox_accounts')
            .values(rows)
            .onConflict((oc) => oc.column('phone').doUpdateSet((eb) => ({ data: eb.ref('excluded.data') })))
            .execute(),
        );
      }
      for (let i = 0; i < changes.groups.length; i += CHUNK) {
        const rows = changes.groups.slice(i, i + CHUNK).map((group) => ({ id: group.id, data: JSON.stringify(group) }));
        statements.push((q) =>
          q
            .insertInto('sandbox_groups')
            .values(rows)
            .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ data: eb.ref('excluded.data') })))
            .execute(),
        );
      }
      if (changes.deletedGroupIds.length > 0) {
        statements.push((q) => q.deleteFrom('sandbox_groups').where('id', 'in', changes.deletedGroupIds).execute());
      }
      if (statements.length === 0) return;
      // A single statement is atomic on its own; the explicit transaction would only add two round trips.
      if (statements.length === 1) {
        await statements[0](db);
        return;
      }
      await db.transaction().execute(async (trx) => {
        for (const run of statements) await run(trx);
      });
    },
  };
}
