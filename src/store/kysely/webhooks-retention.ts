import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

/**
 * Prunes idempotency records created before a time, when the `idempotency_keys` table exists (it
 * belongs to the operations feature). Records still in progress are kept until they expire.
 */
export function createIdempotencyPruner(db: Kysely<Database>): (before: string) => Promise<number> {
  let exists: boolean | undefined;
  return async (before) => {
    if (exists === undefined) {
      const tables = await db.introspection.getTables();
      exists = tables.some((t) => t.name === 'idempotency_keys');
    }
    if (!exists) return 0;
    const r = await sql<{ n: number }>`delete from idempotency_keys where created_at < ${before} and (state <> 'in_progress' or expires_at < ${before})`.execute(db);
    return Number(r.numAffectedRows ?? 0);
  };
}
