/**
 * Test harness: the real app over a real database (SQLite in a temp dir, or PostgreSQL in a schema
 * of its own), with an injectable clock and a captured log.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Config } from '../../src/config.js';
import type { Container } from '../../src/container.js';
import { createLogger } from '../../src/logger.js';
import { bootOnPlace, dropPlace, freshPlace, postgresAnswers, type Place } from '../../testkit/place.js';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const PG_URL = process.env.GROUPGATE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let pgReachable: boolean | undefined;

/** Whether PostgreSQL answers; under GROUPGATE_REQUIRE_POSTGRES=1 an unreachable server is an error. */
export async function postgresAvailable(): Promise<boolean> {
  pgReachable ??= await postgresAnswers(PG_URL, 3000);
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
  /** How a held paced request waits (with a manual clock: advance it). */
  sleep?: (ms: number) => Promise<void>;
  config?: Partial<Config>;
}

/** Starts the real app on a fresh database. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  return boot(options, freshPlace(options.db ?? 'sqlite', 'test', PG_URL));
}

async function boot(options: TestAppOptions, place: Place): Promise<TestApp> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const settings: Partial<Config> = { adminKey: ADMIN_KEY, logLevel: 'info', ...options.config };
  const logger = createLogger(settings.logLevel ?? 'info', { pretty: false, destination: sink });
  const { config, core, app } = await bootOnPlace(place, { logger, config: settings, now: options.now, sleep: options.sleep, docs: true });
  await app.ready();
  let closed = false;
  const close = async (dropData: boolean) => {
    if (closed) return;
    closed = true;
    await app.close();
    await core.close();
    if (dropData) await dropPlace(place);
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
      return boot(options, place);
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

/** Seeds a sandbox number's privacy through the native API. */
export async function seedPrivacy(t: TestApp, phone: string, body: { registered: boolean; groupAddPrivacy: 'everyone' | 'contacts' | 'nobody' }) {
  const res = await t.request({ method: 'PUT', url: `/api/sandbox/accounts/${encodeURIComponent(phone)}`, payload: body });
  if (res.statusCode !== 200) throw new Error(`seed ${phone}: ${res.statusCode} ${res.body}`);
}
