/**
 * Sandbox persistence over Kysely, for SQLite and PostgreSQL alike. Tables (created by the
 * migrations): `sandbox_accounts (phone text primary key, data text not null)` and
 * `sandbox_groups (id text primary key, data text not null)`, `data` being the JSON record. Shared
 * mode (PostgreSQL only, `createSharedSandboxPersistence`) adds `sandbox_log (seq bigint primary
 * key, data text not null)`.
 */
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { hasChanges } from './emulator/tx.js';
import { preparedRows } from '../../store/kysely/prepared.js';
import type {
  SandboxAccountRecord,
  SandboxCatchUp,
  SandboxChanges,
  SandboxGroupRecord,
  SandboxLogEntry,
  SandboxPersistence,
  SandboxSnapshot,
  SharedSandboxPersistence,
} from './emulator/types.js';

interface SandboxTables {
  sandbox_accounts: { phone: string; data: string };
  sandbox_groups: { id: string; data: string };
  sandbox_log: { seq: number; data: string };
}

const CHUNK = 200;

/** An upsert of `[key, JSON]` records into one of the record tables, built once per row count (see prepared.ts). */
function recordUpsert(table: 'sandbox_accounts' | 'sandbox_groups', key: 'phone' | 'id') {
  return preparedRows(2, (db: Kysely<SandboxTables>, rows) =>
    db
      .insertInto(table)
      .values(rows.map(([k, data]) => ({ [key]: k, data }) as never))
      .onConflict((oc) => oc.column(key as never).doUpdateSet((eb) => ({ data: eb.ref('excluded.data') }))),
  );
}
const upsertAccounts = recordUpsert('sandbox_accounts', 'phone');
const upsertGroups = recordUpsert('sandbox_groups', 'id');
/** First key of the sandbox's advisory lock (the second is the schema's hash). */
const LOCK_CLASS = 4242002;

/**
 * Persistence of the sandbox network in the app database (any schema type: only the two tables are
 * used). Commits that arrive while one is being written are saved together in the next write (group
 * commit), each record as the last of them left it: one multi-row statement per table, in one
 * transaction when there are several. The network hands over its writes without waiting for each other.
 */
export function createKyselySandboxPersistence<DB>(anyDb: Kysely<DB>): SandboxPersistence {
  const db = anyDb as unknown as Kysely<SandboxTables>;
  let waiting: { changes: SandboxChanges; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let writing = false;
  const flush = async (): Promise<void> => {
    writing = true;
    try {
      while (waiting.length > 0) {
        const batch = waiting;
        waiting = [];
        // The batch's records as they end up: one multi-row statement per table, not one per write.
        const statements = saveStatements(lastOf(batch.map((item) => item.changes)));
        try {
          // A single statement is atomic on its own; the explicit transaction would only add two round trips.
          if (statements.length === 1) await statements[0]!(db);
          else
            await db.transaction().execute(async (trx) => {
              for (const run of statements) await run(trx);
            });
        } catch (error) {
          for (const item of batch) item.reject(error);
          continue;
        }
        for (const item of batch) item.resolve();
      }
    } finally {
      writing = false;
    }
  };
  return {
    load: () => loadSnapshot(db),
    commit(changes: SandboxChanges) {
      if (!hasChanges(changes)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiting.push({ changes, resolve, reject });
        // On the next turn of the event loop, with whatever other writes arrive in this one.
        if (!writing) {
          writing = true;
          setImmediate(() => void flush());
        }
      });
    },
  };
}

async function loadSnapshot(db: Kysely<SandboxTables>): Promise<SandboxSnapshot> {
  const accounts = await db.selectFrom('sandbox_accounts').select(['data']).orderBy('phone').execute();
  const groups = await db.selectFrom('sandbox_groups').select(['data']).orderBy('id').execute();
  return {
    accounts: accounts.map((row) => JSON.parse(row.data) as SandboxAccountRecord),
    groups: groups.map((row) => JSON.parse(row.data) as SandboxGroupRecord),
  };
}

type Statement = (q: Kysely<SandboxTables>) => Promise<unknown>;

/**
 * Several writes' changes as one: each record as the last of them left it (a group deleted after
 * it was saved is only deleted, one saved again after its deletion only saved).
 */
export function lastOf(list: SandboxChanges[]): SandboxChanges {
  if (list.length === 1) return list[0]!;
  const accounts = new Map<string, SandboxAccountRecord>();
  const groups = new Map<string, SandboxGroupRecord | null>();
  for (const changes of list) {
    for (const account of changes.accounts) accounts.set(account.phone, account);
    for (const group of changes.groups) groups.set(group.id, group);
    for (const id of changes.deletedGroupIds) groups.set(id, null);
  }
  const saved: SandboxGroupRecord[] = [];
  const deletedGroupIds: string[] = [];
  for (const [id, group] of groups) {
    if (group) saved.push(group);
    else deletedGroupIds.push(id);
  }
  return { accounts: [...accounts.values()], groups: saved, deletedGroupIds };
}

/** The statements that save one operation's changes: one multi-row upsert per table (chunked under SQLite's bound-parameter limit), fewer round trips per write. */
function saveStatements(changes: SandboxChanges): Statement[] {
  const statements: Statement[] = [];
  for (let i = 0; i < changes.accounts.length; i += CHUNK) {
    const rows = changes.accounts.slice(i, i + CHUNK).map((account) => [account.phone, JSON.stringify(account)]);
    statements.push((q) => upsertAccounts(q, rows));
  }
  for (let i = 0; i < changes.groups.length; i += CHUNK) {
    const rows = changes.groups.slice(i, i + CHUNK).map((group) => [group.id, JSON.stringify(group)]);
    statements.push((q) => upsertGroups(q, rows));
  }
  if (changes.deletedGroupIds.length > 0) {
    statements.push((q) => q.deleteFrom('sandbox_groups').where('id', 'in', changes.deletedGroupIds).execute());
  }
  return statements;
}

export interface SharedSandboxPersistenceOptions {
  /** The same database `db` talks to; a dedicated connection LISTENs on it for other processes' commits. */
  connectionString: string;
  /** A catch-up runs at least this often even when no notification arrives; default 1000 ms. */
  pollMs?: number;
  /** Log entries kept for processes that fall behind (one that falls further reloads the whole network); default 1000. */
  keepEntries?: number;
  /** A failed LISTEN connection is retried; default: `console.error`. */
  onListenError?: (error: unknown) => void;
}

/**
 * Sandbox persistence for several processes on one PostgreSQL database (cluster mode). Every
 * mutation runs in one transaction under `pg_advisory_xact_lock` (keyed by the schema, so
 * schemas never contend): it reads the `sandbox_log` entries it missed, applies the operation on
 * that fresh state, saves the records and appends the next entry (its changes and notices) in the
 * same transaction. `pg_notify` (sent at commit) carries only the entry's number; a process reads
 * the entries after its last one, in order. A missed notification only delays: a poll catches up.
 */
export function createSharedSandboxPersistence<DB>(anyDb: Kysely<DB>, options: SharedSandboxPersistenceOptions): SharedSandboxPersistence {
  const db = anyDb as unknown as Kysely<SandboxTables>;
  const base = createKyselySandboxPersistence(anyDb);
  const pollMs = options.pollMs ?? 1000;
  const keep = options.keepEntries ?? 1000;
  const onListenError = options.onListenError ?? ((error: unknown) => console.error('sandbox: listening for other processes failed; retrying', error));
  let channel: string | undefined;
  let listener: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const channelName = async (): Promise<string> => {
    if (channel) return channel;
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    channel = `groupgate_sandbox_${(rows[0]?.schema ?? 'public').replace(/[^a-z0-9_]/gi, '_')}`.slice(0, 63).toLowerCase();
    return channel;
  };
  const lockKey = sql`pg_advisory_xact_lock(${sql.lit(LOCK_CLASS)}, hashtext(current_schema()))`;

  /** Entries after `seq`, or the snapshot when `seq` is negative or older than the oldest entry kept. */
  const since = async (q: Kysely<SandboxTables>, seq: number, locked: boolean): Promise<SandboxCatchUp & { head: number }> => {
    if (seq >= 0) {
      const rows = await q.selectFrom('sandbox_log').select(['seq', 'data']).where('seq', '>', seq).orderBy('seq').execute();
      if (rows.length === 0) return { entries: [], head: seq };
      if (Number(rows[0]!.seq) === seq + 1) {
        const entries = rows.map((row) => ({ seq: Number(row.seq), ...(JSON.parse(row.data) as Omit<SandboxLogEntry, 'seq'>) }));
        return { entries, head: entries.at(-1)!.seq };
      }
    }
    const snapshotOf = async (t: Kysely<SandboxTables>) => {
      const head = await t
        .selectFrom('sandbox_log')
        .select((eb) => eb.fn.max('seq').as('head'))
        .executeTakeFirst();
      const at = Number(head?.head ?? 0);
      return { snapshot: await loadSnapshot(t), seq: at, head: at };
    };
    if (locked) return snapshotOf(q);
    // No writer in the middle of a commit: the snapshot and its entry number agree.
    return q.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock_shared(${sql.lit(LOCK_CLASS)}, hashtext(current_schema()))`.execute(trx);
      return snapshotOf(trx);
    });
  };

  /** LISTENs on a dedicated connection; a failed or lost connection is retried after `pollMs` (the poll covers the gap). */
  const listen = async (wake: () => void): Promise<void> => {
    const name = await channelName();
    const client = new pg.Client({ connectionString: options.connectionString });
    listener = client;
    const retry = (error: unknown) => {
      if (closed || listener !== client) return;
      listener = undefined;
      onListenError(error);
      client.end().catch(() => undefined);
      setTimeout(() => void listen(wake), pollMs).unref();
      wake();
    };
    client.on('error', retry);
    client.on('end', () => retry(new Error('the LISTEN connection ended')));
    client.on('notification', () => wake());
    try {
      await client.connect();
      await client.query(`listen "${name}"`);
    } catch (error) {
      retry(error);
      return;
    }
    if (closed) await client.end().catch(() => undefined);
  };

  return {
    shared: true,
    load: base.load,
    commit: base.commit,
    since: (seq) => since(db, seq, false),
    async exclusive(seq, mutation) {
      const name = await channelName();
      return db.transaction().execute(async (trx) => {
        await sql`select ${lockKey}`.execute(trx);
        const { head, ...missed } = await since(trx, seq, true);
        const { value, changes, notices } = mutation(missed);
        if (!hasChanges(changes) && notices.length === 0) return { value, seq: undefined };
        const next = head + 1;
        for (const run of saveStatements(changes)) await run(trx);
        await trx
          .insertInto('sandbox_log')
          .values({ seq: next, data: JSON.stringify({ changes, notices }) })
          .execute();
        if (next % 100 === 0)
          await trx
            .deleteFrom('sandbox_log')
            .where('seq', '<=', next - keep)
            .execute();
        await sql`select pg_notify(${name}, ${String(next)})`.execute(trx);
        return { value, seq: next };
      });
    },
    async watch(wake) {
      if (timer) return;
      timer = setInterval(wake, pollMs);
      timer.unref();
      await listen(wake);
    },
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => undefined);
    },
  };
}
