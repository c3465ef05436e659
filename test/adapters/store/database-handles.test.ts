/**
 * What `openDatabase` sets up around the driver: named statements for the texts PostgreSQL sees
 * again and again, and SQLite's WAL checkpoints on a worker thread.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { nameFrequentStatements, openDatabase } from '../../../src/adapters/store/db.js';
import { databaseKinds, PG_URL } from '../../support/app.js';

const kinds = await databaseKinds();

describe('PostgreSQL named statements', { skip: !kinds.includes('postgres') && 'PostgreSQL is not reachable' }, () => {
  it('names a text once it has been sent 10 times; a rarer one stays unnamed', async () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
    nameFrequentStatements(pool);
    // Queried as Kysely's driver does: on a checked-out client, text and values.
    const client = await pool.connect();
    try {
      for (let i = 0; i < 12; i++) assert.equal((await client.query('select $1::int + 1 as n', [i])).rows[0].n, i + 1);
      for (let i = 0; i < 3; i++) await client.query('select $1::int * 2 as n', [i]);
      const { rows } = await client.query<{ name: string; statement: string }>('select name, statement from pg_prepared_statements order by name');
      assert.deepEqual(rows, [{ name: 'gg_0', statement: 'select $1::int + 1 as n' }]);
    } finally {
      client.release();
      await pool.end();
    }
  });
});

describe('PostgreSQL named statements after a table changed', { skip: !kinds.includes('postgres') && 'PostgreSQL is not reachable' }, () => {
  it('a `select *` whose table gained a column fails once, then runs under a new name', async () => {
    const schema = `gg_named_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.query(`create table ${schema}.t (id int primary key)`);
    await admin.query(`insert into ${schema}.t values (1)`);
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1, options: `-c search_path=${schema}` });
    nameFrequentStatements(pool);
    const client = await pool.connect();
    try {
      const read = () => client.query('select * from t where id = $1', [1]);
      for (let i = 0; i < 10; i++) await read();
      // Another process migrates the table (a rolling upgrade).
      await admin.query(`alter table ${schema}.t add column extra text default 'x'`);
      await assert.rejects(read(), (error: { code?: string }) => error.code === '0A000');
      assert.deepEqual((await read()).rows, [{ id: 1, extra: 'x' }]);
    } finally {
      client.release();
      await pool.end();
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    }
  });
});

describe('SQLite checkpoints', () => {
  it('checkpoints a WAL past 4 MB on a worker thread, and stops it on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-ckpt-'));
    const handle = await openDatabase({ dataDir: dir });
    try {
      // The server's own connection checkpoints only past 20 MB (the fallback): below that, pages
      // that reach the database file were copied by the worker.
      const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(handle.db);
      assert.equal(rows[0]!.wal_autocheckpoint * 4096, 5 * 4 * 1024 * 1024);
      await sql`create table filler (id integer primary key, data blob)`.execute(handle.db);
      const blob = Buffer.alloc(64 * 1024, 7);
      // About 6 MB in many commits: past the point where the worker takes over, below the fallback.
      for (let i = 0; i < 96; i++) await sql`insert into filler (data) values (${blob})`.execute(handle.db);
      const wal = join(dir, 'groupgate.db-wal');
      assert.ok(statSync(wal).size > 4 * 1024 * 1024, 'the WAL grew past the threshold');
      // The worker checkpoints within a few ticks (the pages reach the database file); once it has
      // copied every frame, the next write starts the WAL over and cuts the file back.
      const deadline = Date.now() + 15_000;
      while (statSync(join(dir, 'groupgate.db')).size < 5 * 1024 * 1024 || statSync(wal).size > 4 * 1024 * 1024 + 128 * 1024) {
        assert.ok(Date.now() < deadline, 'the worker checkpointed the WAL and it was cut back');
        await new Promise((resolve) => setTimeout(resolve, 50));
        await sql`insert into filler (data) values (${Buffer.alloc(16, 1)})`.execute(handle.db);
      }
    } finally {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
