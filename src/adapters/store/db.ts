import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations/index.js';
import type { Database as Schema } from './schema.js';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Schema>;
  kind: DatabaseKind;
  /** Where the data lives, for the start-up log (never includes a password). */
  location: string;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `postgres://...`; unset = SQLite file `<dataDir>/groupgate.db`. */
  url?: string;
  dataDir: string;
  /** PostgreSQL schema to use (created if missing); tests use one each. */
  schema?: string;
  /** SQLite file override; `:memory:` is allowed. */
  sqliteFile?: string;
}

// int8 (bigint) columns hold sequence numbers that fit in a double; read them as numbers.
pg.types.setTypeParser(20, (v) => Number(v));

/** Opens the database (SQLite or PostgreSQL) and applies every pending migration. */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  const handle = options.url ? await openPostgres(options.url, options.schema) : openSqlite(options);
  try {
    await migrate(handle.db, handle.kind);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

function openSqlite(options: DatabaseOptions): DatabaseHandle {
  let file = options.sqliteFile;
  if (!file) {
    // Owner-only: the folder holds the database (device keys, secrets) and the master key file.
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    chmodSync(options.dataDir, 0o700);
    file = join(options.dataDir, 'groupgate.db');
  }
  const created = file !== ':memory:' && !existsSync(file);
  if (created) closeSync(openSync(file, 'a', 0o600));
  const sqlite = new Database(file);
  // WAL lets readers run beside the writer; synchronous=NORMAL is durable across a process crash
  // (the WAL is fsynced at checkpoints), and may lose the last transactions only on power loss.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  if (file !== ':memory:') {
    // The database and its WAL side files are readable by the owner only, whatever the umask.
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  }
  const checkpoints = file === ':memory:' ? undefined : backgroundCheckpoints(file, sqlite);
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return {
    db,
    kind: 'sqlite',
    location: file === ':memory:' ? ':memory:' : resolve(file),
    async ping() {
      try {
        sqlite.prepare('select 1').get();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await checkpoints?.stop();
      await db.destroy();
    },
  };
}

/** WAL size from which checkpoints move to a background thread (SQLite's own default threshold, 1,000 pages). */
const CHECKPOINT_FROM_BYTES = 4 * 1024 * 1024;

/**
 * Checkpoints the WAL on a worker thread with its own connection, so that the server's thread never
 * copies pages back into the database or waits for the fsync that follows: SQLite's automatic
 * checkpoint runs inside the commit that crosses the threshold, which was half of a commit's cost
 * under a steady write load. A PASSIVE checkpoint never blocks a writer or a reader. The worker
 * starts only once the WAL passes the threshold (most databases never need it); the connection's
 * own automatic checkpoint stays as a fallback at five times that size, should the worker fall
 * behind, and the WAL file is cut back to the threshold after it restarts.
 */
function backgroundCheckpoints(file: string, sqlite: Database.Database, everyMs = 200): { stop(): Promise<void> } {
  const pageSize = Number(sqlite.pragma('page_size', { simple: true }));
  sqlite.pragma(`wal_autocheckpoint = ${Math.ceil((5 * CHECKPOINT_FROM_BYTES) / pageSize)}`);
  sqlite.pragma(`journal_size_limit = ${CHECKPOINT_FROM_BYTES}`);
  let worker: Worker | undefined;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    let size = 0;
    try {
      size = statSync(`${file}-wal`).size;
    } catch {
      return;
    }
    if (size < CHECKPOINT_FROM_BYTES) return;
    if (!worker) {
      worker = new Worker(CHECKPOINT_WORKER, { eval: true, workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file } });
      worker.unref();
      worker.on('message', () => (busy = false));
      // A failed worker is dropped; the next tick starts another, and the fallback covers the gap.
      worker.on('error', () => {
        worker = undefined;
        busy = false;
      });
    }
    busy = true;
    worker.postMessage('checkpoint');
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await worker?.terminate();
      worker = undefined;
    },
  };
}

const CHECKPOINT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
parentPort.on('message', () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  parentPort.postMessage('done');
});
`;

/**
 * Kysely prepares a statement for every query; preparing costs more than running the small
 * queries the API makes, so statements are kept by SQL text (least recently used dropped first).
 * A statement still iterating (a streamed query) is never handed out twice.
 */
function withStatementCache(sqlite: Database.Database, max = 500) {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string): Database.Statement {
      const hit = cache.get(text);
      if (hit && !hit.busy) {
        cache.delete(text);
        cache.set(text, hit);
        return hit;
      }
      const stmt = sqlite.prepare(text);
      if (!hit) {
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}

async function openPostgres(url: string, schema?: string): Promise<DatabaseHandle> {
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`);
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`create schema if not exists ${schema}`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  nameFrequentStatements(pool);
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  const parsed = new URL(url);
  return {
    db,
    kind: 'postgres',
    location: `postgres://${parsed.host}${parsed.pathname}${schema ? ` (schema ${schema})` : ''}`,
    async ping() {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await db.destroy();
    },
  };
}

/**
 * PostgreSQL parses and plans every unnamed parameterised query anew; a named one is prepared once
 * per connection (node-pg keeps track). The statements the app sends again and again (the hot
 * paths' prepared queries) are named once seen 10 times, up to 1,000 texts; a one-off text (a list
 * with a varying number of values) stays unnamed.
 */
export function nameFrequentStatements(pool: pg.Pool, after = 10, most = 1_000): void {
  const seen = new Map<string, number>();
  const names = new Map<string, string>();
  let next = 0;
  const nameOf = (text: string): string | undefined => {
    const known = names.get(text);
    if (known !== undefined || names.size >= most) return known;
    const count = (seen.get(text) ?? 0) + 1;
    if (count < after) {
      if (seen.size < most * 10) seen.set(text, count);
      return undefined;
    }
    seen.delete(text);
    const name = `gg_${next++}`;
    names.set(text, name);
    return name;
  };
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const [text, values] = args;
      // Only texts with parameters: one without is sent as a simple query, which may hold several statements.
      if (args.length === 2 && typeof text === 'string' && Array.isArray(values) && values.length > 0) {
        const name = nameOf(text);
        if (name) {
          return (query({ name, text, values }) as Promise<unknown>).catch((error: unknown) => {
            // "cached plan must not change result type": another process changed a table under a
            // `select *` (a migration during a rolling upgrade). The text is prepared again under a
            // new name from now on; this one call fails, as any statement racing a migration may.
            if ((error as { code?: string }).code === '0A000' && names.get(text) === name) names.set(text, `gg_${next++}`);
            throw error;
          });
        }
      }
      return query(...args);
    };
  });
}

/**
 * Applies every pending migration in name order, each in its own transaction with its record in
 * `groupgate_migrations`. Deliberately free of catalog introspection: reading every schema of a
 * shared PostgreSQL database races with other tenants creating and dropping theirs. On PostgreSQL
 * an advisory lock makes concurrent starts take turns.
 */
async function migrate(db: Kysely<Schema>, kind: DatabaseKind): Promise<void> {
  type MigrationsDb = Kysely<{ groupgate_migrations: { name: string; applied_at: string } }>;
  await db.transaction().execute(async (trx) => {
    if (kind === 'postgres') await sql`select pg_advisory_xact_lock(4242001)`.execute(trx);
    await sql`create table if not exists groupgate_migrations (name text primary key, applied_at text not null)`.execute(trx);
  });
  const names = Object.keys(migrations).sort();
  for (const name of names) {
    try {
      await db.transaction().execute(async (trx) => {
        if (kind === 'postgres') await sql`select pg_advisory_xact_lock(4242001)`.execute(trx);
        const done = await (trx as unknown as MigrationsDb).selectFrom('groupgate_migrations').select('name').where('name', '=', name).executeTakeFirst();
        if (done) return;
        await migrations[name]!.up(trx);
        await (trx as unknown as MigrationsDb).insertInto('groupgate_migrations').values({ name, applied_at: new Date().toISOString() }).execute();
      });
    } catch (err) {
      throw new Error(`database migration failed at ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
