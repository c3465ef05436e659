import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { EventRecord } from '../../../core/events/event-model.js';
import type { EventRepository } from '../../../core/ports/store.js';
import type { Database } from '../schema.js';
import { prepared } from './prepared.js';

// The append's statements, built once (see prepared.ts).
const appendPostgres = prepared(
  (_db: Kysely<Database>, instanceId: string, id: string, type: string, occurredAt: string, data: string) =>
    // The UPDATE in the CTE takes the instance row's lock until the transaction ends, so the seq stays gapless.
    sql<{ seq: number }>`
    with s as (update instances set last_seq = last_seq + 1 where id = ${instanceId} returning last_seq)
    insert into events (instance_id, seq, id, type, occurred_at, data)
    select ${instanceId}::text, s.last_seq, ${id}::text, ${type}::text, ${occurredAt}::text, ${data}::text from s
    returning seq`,
);
const nextSeq = prepared((db: Kysely<Database>, instanceId: string) =>
  db
    .updateTable('instances')
    .set((eb) => ({ last_seq: eb('last_seq', '+', 1) }))
    .where('id', '=', instanceId)
    .returning('last_seq'),
);
const insertEvent = prepared((db: Kysely<Database>, instanceId: string, seq: number, id: string, type: string, occurredAt: string, data: string) =>
  db.insertInto('events').values({ instance_id: instanceId, seq, id, type, occurred_at: occurredAt, data }),
);

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
      const data = JSON.stringify(event.data);
      if (postgres) {
        // The same two steps in one statement (one round trip).
        const { rows } = await appendPostgres(db, event.instanceId, event.id, event.type, event.occurredAt, data);
        if (rows.length === 0) throw new Error(`cannot append event: instance ${event.instanceId} does not exist`);
        return { ...event, seq: Number((rows[0] as { seq: number }).seq) };
      }
      // The UPDATE ... RETURNING takes the write lock, so two transactions can never draw the same
      // seq: the log stays gapless.
      const row = (await nextSeq(db, event.instanceId)).rows[0] as { last_seq: number } | undefined;
      if (!row) throw new Error(`cannot append event: instance ${event.instanceId} does not exist`);
      const seq = Number(row.last_seq);
      await insertEvent(db, event.instanceId, seq, event.id, event.type, event.occurredAt, data);
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
