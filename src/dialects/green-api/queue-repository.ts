import type { Kysely } from 'kysely';
import type { GreenApiQueueRepository, GreenApiTables } from './tables.js';

/** The Green API queue's state over `green_api_queues` and `green_api_deleted_receipts`. */
export function createGreenApiQueueRepository(db: Kysely<GreenApiTables>): GreenApiQueueRepository {
  async function floorOf(instanceId: string): Promise<number> {
    const row = await db.selectFrom('green_api_queues').select('floor_seq').where('instance_id', '=', instanceId).executeTakeFirst();
    return Number(row?.floor_seq ?? 0);
  }

  return {
    async state(instanceId) {
      const floor = await floorOf(instanceId);
      const rows = await db.selectFrom('green_api_deleted_receipts').select('receipt_id').where('instance_id', '=', instanceId).where('receipt_id', '>', floor).execute();
      return { floor, deleted: new Set(rows.map((r) => Number(r.receipt_id))) };
    },

    async markDeleted(instanceId, receiptId, at) {
      if (receiptId <= (await floorOf(instanceId))) return false;
      const r = await db
        .insertInto('green_api_deleted_receipts')
        .values({ instance_id: instanceId, receipt_id: receiptId, deleted_at: at })
        .onConflict((oc) => oc.columns(['instance_id', 'receipt_id']).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async raiseFloor(instanceId, floor) {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('green_api_queues')
          .values({ instance_id: instanceId, floor_seq: floor })
          .onConflict((oc) => oc.column('instance_id').doUpdateSet({ floor_seq: floor }).where('green_api_queues.floor_seq', '<', floor))
          .execute();
        await trx.deleteFrom('green_api_deleted_receipts').where('instance_id', '=', instanceId).where('receipt_id', '<=', floor).execute();
      });
    },

    async deleteAll(instanceId) {
      await db.deleteFrom('green_api_deleted_receipts').where('instance_id', '=', instanceId).execute();
      await db.deleteFrom('green_api_queues').where('instance_id', '=', instanceId).execute();
    },
  };
}
