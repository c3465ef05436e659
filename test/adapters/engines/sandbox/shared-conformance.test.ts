/**
 * Runs the engine conformance suite against the sandbox engine in shared mode (PostgreSQL, one
 * node): every operation goes through the cluster-wide lock and the shared log. Each case starts
 * from empty sandbox tables in one schema of its own.
 */
import { tmpdir } from 'node:os';
import { after, before } from 'node:test';
import pg from 'pg';
import { createSharedSandboxPersistence } from '../../../../src/adapters/engines/sandbox/kysely-persistence.js';
import { openDatabase, type DatabaseHandle } from '../../../../src/adapters/store/db.js';
import { PG_URL, postgresAvailable } from '../../../support/app.js';
import { runEngineConformance } from '../engine-conformance.js';
import { makeSandboxHarness } from './sandbox-harness.js';

if (await postgresAvailable()) {
  const schema = `gg_sbconf_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  let handle: DatabaseHandle | undefined;
  before(async () => {
    handle = await openDatabase({ dataDir: tmpdir(), url: PG_URL, schema });
  });
  after(async () => {
    await handle?.close();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`drop schema if exists ${schema} cascade`);
    } finally {
      await client.end();
    }
  });
  runEngineConformance('sandbox (shared mode on PostgreSQL)', async (options) => {
    const db = handle!.db as any;
    for (const table of ['sandbox_log', 'sandbox_groups', 'sandbox_accounts']) await db.deleteFrom(table).execute();
    return makeSandboxHarness(createSharedSandboxPersistence(handle!.db, { connectionString: PG_URL }), options);
  });
}
