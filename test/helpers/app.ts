/**
 * Test harness: the real app over a real database (SQLite in a temp dir, or PostgreSQL in a schema
 * of its own), with an injectable clock and a captured log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createContainer, type Container } from '../../src/container.js';
import { createLogger } from '../../src/logger.js';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const PG_URL = process.env.GROUPGATE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let pgReachable: boolean | undefined;

/** Whether PostgreSQL answers; under GROUPGATE_REQUIRE_POSTGRES=1 an unreachable server is an error. */
export async function postgresAvailable(): Promise<boolean> {
  if (pgReachable === undefined) {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      pgReachable = true;
    } catch {
      pgReachable = false;
    } finally {
      await client.end().catch(() => {});
    }
  }
  if (!pgReachable && process.env.GROUPGATE_REQUIRE_POSTGRES === '1') {
    throw new Error(`PostgreSQL is required (GROUPGATE_REQUIRE_POSTGRES=1) but ${PG_URL} is unreachable`);
  }
  return pgReachable;
}

/** The database kinds to run a suite on: SQLite always, PostgreSQL when reachable (or required). */
export async function databaseKinds(): Promise<('sqlite' | 'postgres')[]> {
  return (await postgresAvailable()) ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** A manual clock: tests move time forward explicitly, never sleep. */
export function manualClock(start = Date.parse('2026-11-22T10:00:00.000Z')) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

export interface TestApp {
  app: FastifyInstance;
  core: Container;
  config: Config;
  /** Everything the server logged, one JSON line per entry. */
  logs: string[];
  /** Injects with the admin key unless `headers.authorization`/`x-api-key` is given or `key: null`. */
  request(opts: InjectOptions & { key?: string | null }): Promise<LightMyRequestResponse>;
  /** Restarts on the same database (a new container and app), keeping the clock. */
  restart(): Promise<TestApp>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  db?: 'sqlite' | 'postgres';
  now?: () => number;
  config?: Partial<Config>;
}

interface Place {
  dir?: string;
  schema?: string;
}

/** Starts the real app on a fresh database. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? 'sqlite';
  const place: Place = {};
  if (db === 'sqlite') place.dir = mkdtempSync(join(tmpdir(), 'groupgate-test-'));
  else place.schema = `gg_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  return boot(options, db, place, true);
}

async function boot(options: TestAppOptions, db: 'sqlite' | 'postgres', place: Place, fresh: boolean): Promise<TestApp> {
  const config = loadConfig(
    {},
    {
      adminKey: ADMIN_KEY,
      logLevel: 'info',
      dataDir: place.dir ?? tmpdir(),
      ...(db === 'postgres' ? { databaseUrl: PG_URL } : {}),
      sandboxGroupCreateLimitPerHour: 0,
      ...options.config,
    },
  );
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger(config.logLevel, { pretty: false, destination: sink });
  const core = await createContainer(config, logger, { now: options.now, databaseSchema: place.schema });
  const app = await buildApp(core, { docs: true });
  await core.start();
  await app.ready();
  void fresh;
  let closed = false;
  const close = async (dropData: boolean) => {
    if (closed) return;
    closed = true;
    await app.close();
    await core.close();
    if (!dropData) return;
    if (place.dir) rmSync(place.dir, { recursive: true, force: true });
    if (place.schema) {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`drop schema if exists ${place.schema} cascade`);
      await client.end();
    }
  };
  const t: TestApp = {
    app,
    core,
    config,
    logs,
    request(opts) {
      const { key, ...rest } = opts;
      const headers: Record<string, string> = { ...(rest.headers as Record<string, string> | undefined) };
      const hasAuth = Object.keys(headers).some((h) => h.toLowerCase() === 'authorization' || h.toLowerCase() === 'x-api-key');
      if (key !== null && !hasAuth) headers.authorization = `Bearer ${key ?? ADMIN_KEY}`;
      return app.inject({ ...rest, headers });
    },
    async restart() {
      await close(false);
      return boot(options, db, place, false);
    },
    close: () => close(true),
  };
  return t;
}

/** Creates a connected sandbox instance; returns its view with its token. */
export async function createSandboxInstance(t: TestApp, body: Record<string, unknown> = {}) {
  const res = await t.request({ method: 'POST', url: '/api/instances', payload: { engine: 'sandbox', ...body } });
  if (res.statusCode !== 201) throw new Error(`create instance: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; idInstance: string; token: string; phone: string; status: string; name: string };
}

/** A sandbox instance with pacing turned off, for tests whose subject is not pacing. */
export async function createUnpacedInstance(t: TestApp, body: Record<string, unknown> = {}) {
  const inst = await createSandboxInstance(t, body);
  const res = await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { enabled: false } });
  if (res.statusCode !== 200) throw new Error(`disable pacing: ${res.statusCode} ${res.body}`);
  return inst;
}
