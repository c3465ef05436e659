/**
 * Group commit: store transactions that arrive while one is committing are run together in the
 * next database transaction, each inside its own savepoint, and committed at once. One commit (one
 * WAL write on SQLite, one round trip and fsync on PostgreSQL) then serves many callers, and every
 * caller still hears of its transaction only after the commit that made it durable.
 *
 * A transaction that throws is rolled back to its savepoint alone and rejects with its error; the
 * others in the batch go on. When the commit itself fails, every transaction of the batch rejects.
 * Bodies of one batch run one after another on one connection, as SQLite's single connection runs
 * every transaction anyway; a body must not wait for another root transaction (it could wait for
 * its own batch), which holds already for SQLite.
 */
import { PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../schema.js';

const SAVEPOINT = sql`savepoint group_commit`;
const RELEASE = sql`release savepoint group_commit`;
const ROLLBACK_TO = sql`rollback to savepoint group_commit`;
/** PostgreSQL runs a simple query of several statements in one round trip. */
const RELEASE_AND_TAKE = sql.raw('release savepoint group_commit; savepoint group_commit');

/** Transactions committed together at most. */
const MAX_BATCH = 64;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

interface Pending {
  fn: (trx: Transaction<Database>) => Promise<unknown>;
  /** The instance it writes for, when known. */
  key?: string;
  /** Called once the outcome is final: after the commit, or after the failed body's rollback. */
  settle: (outcome: Outcome<unknown>) => void;
  outcome?: Outcome<unknown>;
}

export interface CommitGroup {
  /**
   * Runs `fn` in a transaction shared with others; answers its outcome once that is final. `key`
   * (an instance id) keeps it out of a batch while another batch with the same key runs: they
   * would only wait for each other's row locks (the instance's event counter) on PostgreSQL.
   */
  run<T>(fn: (trx: Transaction<Database>) => Promise<T>, key?: string): Promise<Outcome<T>>;
}

/**
 * `parallel` batches may run at once, each on its own connection (PostgreSQL): a transaction
 * arriving while fewer run starts at once, so group commit never costs latency when there is
 * nothing to share. SQLite has one connection: one batch at a time.
 */
export function createCommitGroup(db: Kysely<Database>, parallel = 1): CommitGroup {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const queue: Pending[] = [];
  let running = 0;

  async function runBatch(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      // Nothing to share: the plain transaction, its error rolling back everything it did.
      const [only] = batch;
      try {
        const value = await db.transaction().execute((trx) => only!.fn(trx));
        only!.settle({ ok: true, value });
      } catch (error) {
        only!.settle({ ok: false, error });
      }
      return;
    }
    try {
      await db.transaction().execute(async (trx) => {
        // Each body runs under the savepoint; a failed one rolls back to it, which keeps it for the
        // next body. On PostgreSQL, releasing one and taking the next is one round trip.
        await SAVEPOINT.execute(trx);
        for (const [i, item] of batch.entries()) {
          try {
            item.outcome = { ok: true, value: await item.fn(trx) };
          } catch (error) {
            await ROLLBACK_TO.execute(trx);
            item.outcome = { ok: false, error };
            continue;
          }
          if (i === batch.length - 1) await RELEASE.execute(trx);
          else if (postgres) await RELEASE_AND_TAKE.execute(trx);
          else {
            await RELEASE.execute(trx);
            await SAVEPOINT.execute(trx);
          }
        }
      });
    } catch (error) {
      for (const item of batch) item.settle(item.outcome?.ok === false ? item.outcome : { ok: false, error });
      return;
    }
    for (const item of batch) item.settle(item.outcome!);
  }

  /** Keys of the batches running now. */
  const busy = new Map<string, number>();
  /** The next batch: queued transactions in order, skipping those whose key a running batch holds. */
  function take(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    for (const item of queue) {
      if (batch.length < MAX_BATCH && (item.key === undefined || !busy.has(item.key))) batch.push(item);
      else rest.push(item);
    }
    queue.splice(0, queue.length, ...rest);
    return batch;
  }

  async function drain(): Promise<void> {
    running++;
    try {
      for (let batch = take(); batch.length > 0; batch = take()) {
        const keys = new Set(batch.map((item) => item.key).filter((key) => key !== undefined));
        for (const key of keys) busy.set(key, (busy.get(key) ?? 0) + 1);
        try {
          await runBatch(batch);
        } finally {
          for (const key of keys) {
            const n = busy.get(key)! - 1;
            if (n > 0) busy.set(key, n);
            else busy.delete(key);
          }
        }
        // Transactions held back for a key this batch released may now go in parallel.
        while (running < parallel && queue.length > 0 && queue.some((item) => item.key === undefined || !busy.has(item.key))) void drain();
      }
    } finally {
      running--;
    }
  }

  return {
    run<T>(fn: (trx: Transaction<Database>) => Promise<T>, key?: string) {
      return new Promise<Outcome<T>>((resolve) => {
        queue.push({ fn, key, settle: (outcome) => resolve(outcome as Outcome<T>) });
        if (running < parallel) void drain();
      });
    },
  };
}
