/**
 * The real app on a throwaway place for its data (a temp SQLite directory or a fresh PostgreSQL
 * schema): shared by the test harness and the benchmark server, so both boot groupgate the way
 * `groupgate serve` does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { createContainer, type Container } from '../src/container.js';
import { openDatabase, type DatabaseHandle } from '../src/adapters/store/db.js';
import type { Logger } from 'pino';

export type DbKind = 'sqlite' | 'postgres';

/** Where one app keeps its data: a directory for SQLite, a schema (on `pgUrl`) for PostgreSQL. */
export interface Place {
  db: DbKind;
  pgUrl: string;
  dir?: string;
  schema?: string;
}

/** A fresh place: a new temp dir `groupgate-<label>-*`, or a new schema name `gg_<label>_*`. */
export function freshPlace(db: DbKind, label: string, pgUrl: string): Place {
  if (db === 'sqlite') return { db, pgUrl, dir: mkdtempSync(join(tmpdir(), `groupgate-${label}-`)) };
  return { db, pgUrl, schema: `gg_${label}_${process.pid}_${Math.random().toString(36).slice(2, 10)}` };
}

/** Deletes a place's data: the directory, or the schema and everything in it. */
export async function dropPlace(place: Place): Promise<void> {
  if (place.dir) rmSync(place.dir, { recursive: true, force: true });
  if (place.schema) await dropSchema(place.pgUrl, place.schema);
}

/** Drops a PostgreSQL schema and everything in it (nothing when there is no such schema). */
export async function dropSchema(pgUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}

/** Opens (and migrates) the database of a place, without the rest of the app. */
export function openOnPlace(place: Place): Promise<DatabaseHandle> {
  return place.db === 'sqlite' ? openDatabase({ dataDir: place.dir! }) : openDatabase({ dataDir: tmpdir(), url: place.pgUrl, schema: place.schema });
}

/** Whether PostgreSQL at `url` answers a query within `timeoutMs`. */
export async function postgresAnswers(url: string, timeoutMs: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface BootOptions {
  logger: Logger;
  /** Settings over the place's own (data dir or database URL), a lifted sandbox group-creation limit and loopback webhook receivers allowed. */
  config?: Partial<Config>;
  now?: () => number;
  /** How a held paced request waits (a manual clock advances itself). */
  sleep?: (ms: number) => Promise<void>;
  docs?: boolean;
  /** Share the sandbox network with other nodes on the same PostgreSQL place (`ContainerOptions.sharedSandbox`). */
  sharedSandbox?: boolean;
}

/** Wires the container and the app on `place` and starts the container; the caller readies or listens. */
export async function bootOnPlace(place: Place, options: BootOptions): Promise<{ config: Config; core: Container; app: FastifyInstance }> {
  const config = loadConfig(
    {},
    {
      dataDir: place.dir ?? tmpdir(),
      ...(place.db === 'postgres' ? { databaseUrl: place.pgUrl } : {}),
      sandboxGroupCreateLimitPerHour: 0,
      // Test and benchmark webhook receivers listen on loopback, which a real server refuses by default.
      webhookAllowPrivate: true,
      // A PostgreSQL place has no data folder of its own for a generated master key file.
      ...(place.db === 'postgres' ? { masterKey: 'testkit-master-key-for-postgres-places-0123456789' } : {}),
      ...options.config,
    },
  );
  const core = await createContainer(config, options.logger, { now: options.now, sleep: options.sleep, databaseSchema: place.schema, sharedSandbox: options.sharedSandbox });
  const app = await buildApp(core, { docs: options.docs ?? false });
  await core.start();
  return { config, core, app };
}
