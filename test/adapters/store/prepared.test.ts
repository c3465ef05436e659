/** Prepared queries: built once per dialect, then only bound to new values. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { openDatabase } from '../../../src/adapters/store/db.js';
import { prepared, preparedRows } from '../../../src/adapters/store/kysely/prepared.js';
import type { Database } from '../../../src/adapters/store/schema.js';
import { databaseKinds } from '../../support/app.js';
import { useDatabase } from '../../support/database.js';

const kinds = await databaseKinds();

let builds = 0;
const setting = prepared((db: Kysely<Database>, key: string) => {
  builds++;
  return db.selectFrom('settings').select('value').where('key', '=', key);
});
const putSettings = preparedRows(2, (db: Kysely<Database>, rows) => db.insertInto('settings').values(rows.map(([key, value]) => ({ key: key as string, value: value as string }))));

for (const kind of kinds) {
  describe(`prepared queries on ${kind}`, () => {
    const place = useDatabase(kind, 'prep');

    it('binds each call to its own values, on the database or in a transaction, and builds once per dialect', async () => {
      await putSettings(place.handle.db, [
        ['p-one', '1'],
        ['p-two', '2'],
      ]);
      await putSettings(place.handle.db, [['p-three', '3']]);
      const before = builds;
      assert.deepEqual((await setting(place.handle.db, 'p-one')).rows, [{ value: '1' }]);
      assert.deepEqual((await setting(place.handle.db, 'p-two')).rows, [{ value: '2' }]);
      assert.deepEqual((await setting(place.handle.db, 'missing')).rows, []);
      const inside = await place.handle.db.transaction().execute(async (trx) => (await setting(trx, 'p-three')).rows);
      assert.deepEqual(inside, [{ value: '3' }]);
      assert.ok(builds - before <= 1, 'built at most once more (the first call on this dialect)');
    });
  });
}

describe('prepared queries refuse a build that does not use every argument as a value', () => {
  it('throws when first run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-prep-'));
    const handle = await openDatabase({ dataDir: dir });
    try {
      // The argument decides the shape instead of being bound: the prepared SQL would ignore it.
      const wrong = prepared((db: Kysely<Database>, key: string) =>
        db
          .selectFrom('settings')
          .select('value')
          .where('key', '=', key ? 'fixed' : 'other'),
      );
      await assert.rejects(async () => wrong(handle.db, 'x'), /does not use argument 0/);
    } finally {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
