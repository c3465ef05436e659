import type { Kysely } from 'kysely';
import type { StatsRepository } from '../../../core/ports/monitoring.js';
import type { Database } from '../schema.js';

/** Monitoring counts over the feature tables. */
export function createStatsRepository(db: Kysely<Database>): StatsRepository {
  const counts = (rows: { status: string; n: number | string | bigint }[]) => new Map(rows.map((r) => [r.status, Number(r.n)]));
  return {
    async operationsByStatus() {
      return counts(
        await db
          .selectFrom('operations')
          .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
          .groupBy('status')
          .execute(),
      );
    },
    async deliveriesByStatus() {
      return counts(
        await db
          .selectFrom('webhook_deliveries')
          .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
          .groupBy('status')
          .execute(),
      );
    },
  };
}
