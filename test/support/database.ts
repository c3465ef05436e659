/**
 * A migrated database of each kind for repository suites: SQLite in a temp directory, PostgreSQL
 * in a schema of its own (dropped afterwards). Nothing is written into the repository.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { redisPing } from '../../testkit/redis.js';
import { openDatabase, type DatabaseHandle } from '../../src/adapters/store/db.js';
import { PG_URL } from './app.js';

export type { DatabaseHandle } from '../../src/adapters/store/db.js';

/** Opens a migrated database of `kind` before the surrounding suite and drops it after; read `.handle` inside tests. */
export function useDatabase(kind: 'sqlite' | 'postgres', label: string): { readonly handle: DatabaseHandle } {
  let handle: DatabaseHandle | undefined;
  let dir: string | undefined;
  const schema = `gg_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  before(async () => {
    if (kind === 'sqlite') {
      dir = mkdtempSync(join(tmpdir(), `gg-${label}-`));
      handle = await openDatabase({ dataDir: dir });
    } else {
      handle = await openDatabase({ dataDir: tmpdir(), url: PG_URL, schema });
    }
  });
  after(async () => {
    await handle?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (kind === 'postgres') {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await c.end();
      }
    }
  });
  return {
    get handle() {
      if (!handle) throw new Error("the database opens in the suite's before hook");
      return handle;
    },
  };
}

export const REDIS_URL = process.env.GROUPGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
let redisReachable: boolean | undefined;

/** Whether Redis answers PING; under GROUPGATE_REQUIRE_REDIS=1 an unreachable server is an error. */
export async function redisAvailable(): Promise<boolean> {
  redisReachable ??= await redisPing(REDIS_URL, 3000);
  if (!redisReachable && process.env.GROUPGATE_REQUIRE_REDIS === '1') throw new Error(`Redis is required (GROUPGATE_REQUIRE_REDIS=1) but ${REDIS_URL} is unreachable`);
  return redisReachable;
}
