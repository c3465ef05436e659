/**
 * Operation storage (for the embedded queue) and per-instance pacing state, over Kysely: SQLite and
 * PostgreSQL alike. Times are ISO-8601 text; ISO strings of the same format sort as times.
 */
import type { Kysely } from 'kysely';
import type { Operation, OperationKind, OperationStatus } from '../../../core/operations/operation-model.js';
import type { PacingState } from '../../../core/pacing/pacing-model.js';
import type { PacingStateRepository } from '../../../core/ports/pacing-state.js';
import { EMPTY_PACING_STATE } from '../../../core/pacing/pacing-model.js';
import type { OperationStorage } from '../../../core/ports/operation-queue.js';
import type { Database } from '../schema.js';
import type { OperationsTable } from '../schema-operations.js';
import { prepared } from './prepared.js';
import { createVersionedCache } from './versioned-cache.js';

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (s: string | null) => (s === null ? null : Date.parse(s));

function toOperation(row: OperationsTable): Operation {
  return {
    id: row.id,
    instanceId: row.instance_id,
    kind: row.kind as OperationKind,
    status: row.status as OperationStatus,
    runAt: Date.parse(row.run_at),
    attempts: Number(row.attempts),
    progress: JSON.parse(row.progress) as Operation['progress'],
    input: JSON.parse(row.input) as Operation['input'],
    checkpoint: JSON.parse(row.checkpoint) as Operation['checkpoint'],
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    error: row.error === null ? null : (JSON.parse(row.error) as Operation['error']),
    leaseOwner: row.lease_owner,
    leaseUntil: ms(row.lease_until),
    notified: Number(row.notified) === 1,
    createdAt: Date.parse(row.created_at),
    updatedAt: Date.parse(row.updated_at),
    startedAt: ms(row.started_at),
    finishedAt: ms(row.finished_at),
    requestKey: row.request_key ?? null,
  };
}

/** The embedded queue's storage over the `operations` table. */
export function createOperationStorage(db: Kysely<Database>): OperationStorage {
  const changed = (r: { numUpdatedRows: bigint }) => Number(r.numUpdatedRows) > 0;
  const owned = (id: string, owner: string) => db.updateTable('operations').where('id', '=', id).where('status', '=', 'running').where('lease_owner', '=', owner);

  return {
    async insert(op) {
      await db
        .insertInto('operations')
        .values({
          id: op.id,
          instance_id: op.instanceId,
          kind: op.kind,
          status: op.status,
          run_at: iso(op.runAt),
          attempts: op.attempts,
          progress: JSON.stringify(op.progress),
          input: JSON.stringify(op.input),
          checkpoint: JSON.stringify(op.checkpoint),
          result: op.result === null || op.result === undefined ? null : JSON.stringify(op.result),
          error: op.error === null ? null : JSON.stringify(op.error),
          lease_owner: op.leaseOwner,
          lease_until: op.leaseUntil === null ? null : iso(op.leaseUntil),
          notified: op.notified ? 1 : 0,
          created_at: iso(op.createdAt),
          updated_at: iso(op.updatedAt),
          started_at: op.startedAt === null ? null : iso(op.startedAt),
          finished_at: op.finishedAt === null ? null : iso(op.finishedAt),
          request_key: op.requestKey ?? null,
        })
        .execute();
    },
    async byRequestKey(requestKey) {
      const row = await db.selectFrom('operations').selectAll().where('request_key', '=', requestKey).executeTakeFirst();
      return row && toOperation(row);
    },
    async get(id) {
      const row = await db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toOperation(row);
    },
    async list(instanceId, query) {
      let q = db.selectFrom('operations').where('instance_id', '=', instanceId);
      if (query.status) q = q.where('status', '=', query.status);
      if (query.kind) q = q.where('kind', '=', query.kind);
      const rows = await q.selectAll().orderBy('id', 'desc').limit(query.limit).offset(query.offset).execute();
      const count = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return { items: rows.map(toOperation), total: Number(count.n) };
    },
    async due(now, limit, instanceIds) {
      if (instanceIds?.length === 0) return [];
      let q = db.selectFrom('operations').selectAll().where('status', '=', 'scheduled').where('run_at', '<=', iso(now));
      if (instanceIds) q = q.where('instance_id', 'in', [...instanceIds]);
      const rows = await q.orderBy('run_at').orderBy('id').limit(limit).execute();
      return rows.map(toOperation);
    },
    async nextRunAt(instanceIds) {
      if (instanceIds?.length === 0) return undefined;
      let q = db.selectFrom('operations').select('run_at').where('status', '=', 'scheduled');
      if (instanceIds) q = q.where('instance_id', 'in', [...instanceIds]);
      const row = await q.orderBy('run_at').limit(1).executeTakeFirst();
      return row ? Date.parse(row.run_at) : undefined;
    },
    async claim(id, owner, now, leaseUntil) {
      const r = await db
        .updateTable('operations')
        .set((eb) => ({
          status: 'running',
          lease_owner: owner,
          lease_until: iso(leaseUntil),
          attempts: eb('attempts', '+', 1),
          started_at: eb.fn.coalesce('started_at', eb.val(iso(now))),
          updated_at: iso(now),
        }))
        .where('id', '=', id)
        .where('status', '=', 'scheduled')
        .executeTakeFirst();
      return changed(r);
    },
    async orphans(now, instanceIds) {
      if (instanceIds?.length === 0) return [];
      let q = db.selectFrom('operations').selectAll().where('status', '=', 'running');
      if (now !== undefined) q = q.where('lease_until', '<', iso(now));
      if (instanceIds) q = q.where('instance_id', 'in', [...instanceIds]);
      return (await q.orderBy('run_at').execute()).map(toOperation);
    },
    async release(id, runAt, now, lapsedBefore) {
      let q = db
        .updateTable('operations')
        .set({ status: 'scheduled', run_at: iso(runAt), lease_owner: null, lease_until: null, updated_at: iso(now) })
        .where('id', '=', id)
        .where('status', '=', 'running');
      if (lapsedBefore !== undefined) q = q.where('lease_until', '<', iso(lapsedBefore));
      return changed(await q.executeTakeFirst());
    },
    async heartbeat(id, owner, leaseUntil, now) {
      return changed(
        await owned(id, owner)
          .set({ lease_until: iso(leaseUntil), updated_at: iso(now) })
          .executeTakeFirst(),
      );
    },
    async save(id, owner, patch, now) {
      const set: Partial<OperationsTable> = { checkpoint: JSON.stringify(patch.checkpoint), updated_at: iso(now) };
      if (patch.progress) set.progress = JSON.stringify(patch.progress);
      return changed(await owned(id, owner).set(set).executeTakeFirst());
    },
    async reschedule(id, owner, runAt, now) {
      return changed(
        await owned(id, owner)
          .set({ status: 'scheduled', run_at: iso(runAt), lease_owner: null, lease_until: null, updated_at: iso(now) })
          .executeTakeFirst(),
      );
    },
    async finish(id, owner, outcome, now) {
      return changed(
        await owned(id, owner)
          .set({
            status: outcome.status,
            result: outcome.result === null || outcome.result === undefined ? null : JSON.stringify(outcome.result),
            error: outcome.error === null ? null : JSON.stringify(outcome.error),
            lease_owner: null,
            lease_until: null,
            notified: 0,
            updated_at: iso(now),
            finished_at: iso(now),
          })
          .executeTakeFirst(),
      );
    },
    async deleteInstance(instanceId) {
      await db.deleteFrom('operations').where('instance_id', '=', instanceId).execute();
    },
    async cancel(id, now) {
      return changed(
        await db
          .updateTable('operations')
          .set({ status: 'cancelled', notified: 1, updated_at: iso(now), finished_at: iso(now) })
          .where('id', '=', id)
          .where('status', '=', 'scheduled')
          .executeTakeFirst(),
      );
    },
    async unnotified(limit, instanceIds) {
      if (instanceIds?.length === 0) return [];
      let q = db.selectFrom('operations').selectAll().where('notified', '=', 0).where('status', 'in', ['succeeded', 'failed']);
      if (instanceIds) q = q.where('instance_id', 'in', [...instanceIds]);
      const rows = await q.orderBy('finished_at').limit(limit).execute();
      return rows.map(toOperation);
    },
    async markNotified(id) {
      await db.updateTable('operations').set({ notified: 1 }).where('id', '=', id).execute();
    },
  };
}

// Read before every create and group change: built once (see prepared.ts).
const readPacingState = prepared((db: Kysely<Database>, instanceId: string) => db.selectFrom('pacing_state').select('data').where('instance_id', '=', instanceId));

/**
 * Pacing state over `pacing_state`, one JSON row per instance. With `cache` (single node: this
 * process is the only writer), the JSON each instance last read or wrote is kept, at most `cache`
 * instances; a version per instance keeps a read that raced a write from keeping what it read.
 */
export function createPacingStateRepository(db: Kysely<Database>, cache = 0): PacingStateRepository {
  // The JSON each instance last read or wrote; null: no row.
  const kept = createVersionedCache<string | null>(cache);
  const parse = (data: string | null): PacingState =>
    data !== null ? { ...EMPTY_PACING_STATE, ...(JSON.parse(data) as Partial<PacingState>) } : { ...EMPTY_PACING_STATE, created: [], slots: [] };
  return {
    async get(instanceId) {
      const hit = kept.get(instanceId);
      if (hit !== undefined) return parse(hit);
      const version = kept.version(instanceId);
      const row = (await readPacingState(db, instanceId)).rows[0] as { data: string } | undefined;
      const data = row ? row.data : null;
      kept.keep(instanceId, data, version);
      return parse(data);
    },
    async put(instanceId, state, now) {
      const data = JSON.stringify(state);
      const updated_at = iso(now);
      await kept.write(instanceId, () =>
        db
          .insertInto('pacing_state')
          .values({ instance_id: instanceId, data, updated_at })
          .onConflict((oc) => oc.column('instance_id').doUpdateSet({ data, updated_at }))
          .execute(),
      );
      kept.keep(instanceId, data, kept.version(instanceId));
    },
    async delete(instanceId) {
      await kept.write(instanceId, () => db.deleteFrom('pacing_state').where('instance_id', '=', instanceId).execute());
    },
  };
}
