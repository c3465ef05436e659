/**
 * A migrated database of each kind for repository suites: SQLite in a temp directory, PostgreSQL
 * in a schema of its own (dropped afterwards). Nothing is written into the repository.
 */
import { after, before } from 'node:test';
import { dropPlace, freshPlace, openOnPlace, type Place } from '../../testkit/place.js';
import { redisPing } from '../../testkit/redis.js';
import type { DatabaseHandle } from '../../src/adapters/store/db.js';
import { PG_URL } from './app.js';

export type { DatabaseHandle } from '../../src/adapters/store/db.js';

/**
 * Opens a migrated database of `kind` before the surrounding suite and drops it after; read
 * `.handle` inside tests; `reopen()` opens the same database once more (the caller closes it).
 */
export function useDatabase(kind: 'sqlite' | 'postgres', label: string): { readonly handle: DatabaseHandle; reopen(): Promise<DatabaseHandle> } {
  let handle: DatabaseHandle | undefined;
  let place: Place | undefined;
  before(async () => {
    place = freshPlace(kind, label, PG_URL);
    handle = await openOnPlace(place);
  });
  after(async () => {
    await handle?.close();
    if (place) await dropPlace(place);
  });
  return {
    get handle() {
      if (!handle) throw new Error("the database opens in the suite's before hook");
      return handle;
    },
    reopen() {
      if (!place) throw new Error("the database opens in the suite's before hook");
      return openOnPlace(place);
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
