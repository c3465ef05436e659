/**
 * Runs the engine conformance suite against the sandbox engine in shared mode (PostgreSQL, one
 * node): every operation goes through the cluster-wide lock and the shared log. Each case starts
 * from empty sandbox tables in one schema of its own.
 */
import { createSharedSandboxPersistence } from '../../../../src/adapters/engines/sandbox/kysely-persistence.js';
import { PG_URL, postgresAvailable } from '../../../support/app.js';
import { useDatabase } from '../../../support/database.js';
import { runEngineConformance } from '../engine-conformance.js';
import { makeSandboxHarness } from './sandbox-harness.js';

if (await postgresAvailable()) {
  const place = useDatabase('postgres', 'sbconf');
  runEngineConformance('sandbox (shared mode on PostgreSQL)', async (options) => {
    const db = place.handle.db as any;
    for (const table of ['sandbox_log', 'sandbox_groups', 'sandbox_accounts']) await db.deleteFrom(table).execute();
    return makeSandboxHarness(createSharedSandboxPersistence(place.handle.db, { connectionString: PG_URL }), options);
  });
}
