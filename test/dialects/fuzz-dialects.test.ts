import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertHealthy, fuzz, FUZZ_SEED, startFuzzApp, type FuzzApp } from '../support/fuzz/harness.js';
import type { Family } from '../support/fuzz/routes.js';

const RUNS = Number(process.env.FUZZ_RUNS_DIALECT ?? 1_500);
const DIALECTS: Family[] = ['green-api', 'z-api', 'two-chat', 'wappfy'];

describe('bad-input fuzzing: provider dialects (sqlite)', () => {
  let app: FuzzApp;
  before(async () => {
    app = await startFuzzApp('sqlite');
  });
  after(() => app.close());

  for (const family of DIALECTS) {
    it(`${family}: malformed requests get the dialect's documented status, never another 5xx (seed ${FUZZ_SEED})`, async (t) => {
      if (!app.routes.some((r) => r.family === family)) {
        t.skip(`${family} routes are not built`);
        return;
      }
      t.diagnostic(`fuzz seed ${FUZZ_SEED} (replay with FUZZ_SEED=${FUZZ_SEED})`);
      const { sent, byKind } = await fuzz(app, [family], RUNS);
      t.diagnostic(`${sent} requests: ${JSON.stringify(byKind)}`);
      assert.ok(sent >= RUNS);
    });
  }

  it('is still healthy afterwards', () => assertHealthy(app));
});
