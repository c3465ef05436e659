import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** Prunes idempotency records created before a time; records still in progress are kept until they expire. */
export function createIdempotencyPruner(db: Kysely<Database>): (before: string) => Promise<number> {
  return async (before) => {
    const r = await sql<{ n: number }>`delete from idempotency_keys where created_at < ${before} and (state <> 'in_progress' or expires_at < ${before})`.execute(db);
    return Number(r.numAffectedRows ?? 0);
  };
}
