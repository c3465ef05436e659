/** Idempotency records over `idempotency_keys` (SQLite and PostgreSQL). */
import type { Kysely } from 'kysely';
import type { IdempotencyRecord, IdempotencyRepository } from '../../../core/ports/idempotency.js';
import type { Database } from '../schema.js';
import type { IdempotencyKeysTable } from '../schema-operations.js';

const iso = (ms: number) => new Date(ms).toISOString();

function toRecord(row: IdempotencyKeysTable): IdempotencyRecord {
  return {
    scope: row.scope,
    key: row.key,
    fingerprint: row.fingerprint,
    state: row.state as IdempotencyRecord['state'],
    lockedUntil: Date.parse(row.locked_until),
    holder: row.holder ?? null,
    response:
      row.response_status === null
        ? null
        : { status: Number(row.response_status), headers: JSON.parse(row.response_headers ?? '{}') as Record<string, string>, body: row.response_body ?? '' },
    expiresAt: Date.parse(row.expires_at),
  };
}

/** The idempotency repository. `claim` relies on the primary key: of two racing inserts, one wins. */
export function createIdempotencyRepository(db: Kysely<Database>): IdempotencyRepository {
  const insert = async (r: Omit<IdempotencyRecord, 'response' | 'state'>, now: number) => {
    const res = await db
      .insertInto('idempotency_keys')
      .values({
        scope: r.scope,
        key: r.key,
        fingerprint: r.fingerprint,
        state: 'in_progress',
        locked_until: iso(r.lockedUntil),
        holder: r.holder,
        response_status: null,
        response_headers: null,
        response_body: null,
        created_at: iso(now),
        expires_at: iso(r.expiresAt),
      })
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
  };

  return {
    async claim(record, now) {
      for (let attempt = 0; attempt < 3; attempt++) {
        if (await insert(record, now)) return { claimed: true, expiresAt: record.expiresAt };
        const row = await db.selectFrom('idempotency_keys').selectAll().where('scope', '=', record.scope).where('key', '=', record.key).executeTakeFirst();
        if (!row) continue; // deleted between the two statements: try the insert again
        const existing = toRecord(row);
        const lapsed = existing.state === 'in_progress' && existing.lockedUntil <= now;
        if (existing.expiresAt <= now || (lapsed && existing.fingerprint !== record.fingerprint)) {
          // Expired, or lost and now used for another request: a new record. Delete only the exact row we saw, so two takers cannot both win.
          await db
            .deleteFrom('idempotency_keys')
            .where('scope', '=', record.scope)
            .where('key', '=', record.key)
            .where('locked_until', '=', row.locked_until)
            .where('expires_at', '=', row.expires_at)
            .execute();
          continue;
        }
        if (lapsed) {
          // The holder is gone: take the lease over, keeping the record's life (what the request derived from it stays the same).
          const taken = await db
            .updateTable('idempotency_keys')
            .set({ holder: record.holder, locked_until: iso(record.lockedUntil) })
            .where('scope', '=', record.scope)
            .where('key', '=', record.key)
            .where('state', '=', 'in_progress')
            .where('locked_until', '=', row.locked_until)
            .executeTakeFirst();
          if (Number(taken.numUpdatedRows) > 0) return { claimed: true, expiresAt: existing.expiresAt };
          continue;
        }
        return { claimed: false, existing };
      }
      const row = await db.selectFrom('idempotency_keys').selectAll().where('scope', '=', record.scope).where('key', '=', record.key).executeTakeFirstOrThrow();
      return { claimed: false, existing: toRecord(row) };
    },
    async complete(scope, key, response) {
      await db
        .updateTable('idempotency_keys')
        .set({ state: 'done', response_status: response.status, response_headers: JSON.stringify(response.headers), response_body: response.body })
        .where('scope', '=', scope)
        .where('key', '=', key)
        .execute();
    },
    async release(scope, key) {
      await db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('key', '=', key).execute();
    },
    async renew(holder, lockedUntil) {
      await db
        .updateTable('idempotency_keys')
        .set({ locked_until: iso(lockedUntil) })
        .where('holder', '=', holder)
        .where('state', '=', 'in_progress')
        .execute();
    },
    async abandonOthers(holder) {
      const r = await db
        .updateTable('idempotency_keys')
        .set({ locked_until: iso(0) })
        .where('state', '=', 'in_progress')
        .where('locked_until', '>', iso(0))
        .where((eb) => eb.or([eb('holder', 'is', null), eb('holder', '!=', holder)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
    async prune(now) {
      const r = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', iso(now)).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
