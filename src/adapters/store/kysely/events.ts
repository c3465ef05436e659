import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { EventRecord } from '../../../core/events/event-model.js';
import type { EventRepository } from '../../../core/ports/store.js';
import type { Database } from '../schema.js';

function toEvent(row: Database['events']): EventRecord {
  return {
    id: row.id,
    seq: Number(row.seq),
    type: row.type,
    instanceId: row.instance_id,
    occurredAt: row.occurred_at,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}

/** The event log over `events`, with the per-instance counter in `instances.last_seq`. */
export function createEventRepository(db: Kysely<Database>): EventRepository {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return {
    async append(event) {
      if (postgres) {
        // The same two steps in one statement (one round trip): the UPDATE in the CTE takes the
        // instance row's lock until the transaction ends, so the seq stays gapless.
        const { rows } = await sql<{ seq: number }>`
          with s as (update instances set last_seq = last_seq + 1 where id = ${event.instanceId} returning last_seq)
          insert into events (instance_id, seq, id, type, occurred_at, data)
          select ${event.instanceId}::text, s.last_seq, ${event.id}::text, ${event.type}::text, ${event.occurredAt}::text, ${JSON.stringify(event.data)}::text from s
          returning seq`.execute(db);
        if (rows.length === 0) throw new Error(`cannot append event: instance ${event.instanceId} does not exist`);
        return { ...event, seq: Number(rows[0].seq) };
      }
      // The UPDATE ... RETURNING takes the instance row's lock (PostgreSQL) or the write lock
      // (SQLite), so two transactions can never draw the same seq: the log stays gapless.
      const row = await db
        .updateTable('instances')
        .set((eb) => ({ last_seq: eb('last_seq', '+', 1) }))
        .where('id', '=', event.instanceId)
        .returning('last_seq')
        .executeTakeFirst();
      if (!row) throw new Error(`cannot append event: instance ${event.instanceId} does not exist`);
      const seq = Number(row.last_seq);
      await db
        .insertInto('events')
        .values({
          instance_id: event.instanceId,
          seq,
          id: event.id,
          type: event.type,
          occurred_at: event.occurredAt,
          data: JSON.stringify(event.data),
        })
        .execute();
      return { ...event, seq };
    },
    async listAfter(instanceId, afterSeq, limit) {
      const rows = await db.selectFrom('events').selectAll().where('instance_id', '=', instanceId).where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
      return rows.map(toEvent);
    },
    async getById(id) {
      const row = await db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toEvent(row);
    },
    async listAcross(instanceIds, afterId, limit) {
      if (instanceIds && instanceIds.length === 0) return [];
      let q = db.selectFrom('events').selectAll().where('id', '>', afterId);
      if (instanceIds) q = q.where('instance_id', 'in', instanceIds);
      const rows = await q.orderBy('id').limit(limit).execute();
      return rows.map(toEvent);
    },
    async lastSeq(instanceId) {
      const row = await db.selectFrom('instances').select('last_seq').where('id', '=', instanceId).executeTakeFirst();
      return Number(row?.last_seq ?? 0);
    },
    async deleteAll(instanceId) {
      await db.deleteFrom('events').where('instance_id', '=', instanceId).execute();
    },
    async pruneBefore(before) {
      const r = await db.deleteFrom('events').where('occurred_at', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
