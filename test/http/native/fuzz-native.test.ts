import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertHealthy, fuzz, FUZZ_SEED, startFuzzApp, type FuzzApp } from '../../support/fuzz/harness.js';
import { databaseKinds } from '../../support/app.js';

// SQLite takes the bulk; PostgreSQL gets a shorter run for what only it refuses (NUL bytes, encodings).
const RUNS = { sqlite: Number(process.env.FUZZ_RUNS ?? 10_000), postgres: Number(process.env.FUZZ_RUNS_PG ?? 1_500) };

for (const db of await databaseKinds()) {
  describe(`bad-input fuzzing: native API and server routes (${db})`, () => {
    let app: FuzzApp;
    before(async () => {
      app = await startFuzzApp(db);
    });
    after(() => app.close());

    it(`answers every malformed request with a 4xx in the native envelope, never a 5xx, storing nothing (seed ${FUZZ_SEED})`, async (t) => {
      t.diagnostic(`fuzz seed ${FUZZ_SEED} (replay with FUZZ_SEED=${FUZZ_SEED})`);
      const { sent, byKind } = await fuzz(app, ['native', 'other'], RUNS[db]);
      t.diagnostic(`${sent} requests: ${JSON.stringify(byKind)}`);
      assert.ok(sent >= RUNS[db]);
    });

    it('is still healthy afterwards', () => assertHealthy(app));
  });
}
