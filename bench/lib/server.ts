/**
 * Starts a real groupgate server for a benchmark: the same container and app as `groupgate serve`,
 * on 127.0.0.1 and a free port, over a temp SQLite directory or a fresh PostgreSQL schema, with the
 * sandbox engine, pacing off and the sandbox's group-creation limit lifted.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config.js';
import type { Container } from '../../src/container.js';
import { createLogger } from '../../src/logger.js';
import { bootOnPlace, dropPlace, freshPlace as newPlace, postgresAnswers, type DbKind, type Place } from '../../testkit/place.js';

export type { Place } from '../../testkit/place.js';

export const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';
export const PG_URL = process.env.GROUPGATE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchServer {
  app: FastifyInstance;
  core: Container;
  url: string;
  /** Stops the server; `drop` also deletes its data. */
  close(drop?: boolean): Promise<void>;
  /** A new server process-equivalent on the same data: close, then boot again. */
  restart(): Promise<BenchServer>;
}

/** A fresh place for data: a temp dir, or a new PostgreSQL schema name. */
export function freshPlace(db: DbKind): Place {
  return newPlace(db, 'bench', PG_URL);
}

/** Whether PostgreSQL answers within 2 s. */
export function postgresReachable(): Promise<boolean> {
  return postgresAnswers(PG_URL, 2000);
}

/** Boots the app on `place` and listens on 127.0.0.1:0. */
export async function startServer(place: Place, overrides: Partial<Config> = {}): Promise<BenchServer> {
  const { core, app } = await bootOnPlace(place, {
    logger: createLogger('silent', { pretty: false }),
    config: { adminKey: ADMIN_KEY, logLevel: 'silent', authFailureLimitPerMinute: 1_000_000, ...overrides },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let closed = false;
  const close = async (drop = false) => {
    if (!closed) {
      closed = true;
      await app.close();
      await core.close();
    }
    if (drop) await dropPlace(place);
  };
  return {
    app,
    core,
    url: `http://127.0.0.1:${port}`,
    close,
    async restart() {
      await close(false);
      return startServer(place, overrides);
    },
  };
}

/** Injects a JSON request with the admin key (fixture set-up, not measured). */
export async function adminCall(app: FastifyInstance, method: string, url: string, payload?: unknown, key = ADMIN_KEY) {
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: `Bearer ${key}` },
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {} };
}

/**
 * Turns pacing off for an instance when the pacing feature exists (`PATCH .../pacing`); answers the
 * status seen, or 'absent' when the route is not there.
 */
export async function pacingOff(app: FastifyInstance, instanceId: string): Promise<string> {
  if (!app.hasRoute({ method: 'PATCH', url: '/api/instances/:id/pacing' })) return 'absent';
  const res = await adminCall(app, 'PATCH', `/api/instances/${instanceId}/pacing`, { enabled: false });
  return res.status >= 200 && res.status < 300 ? 'off' : `refused ${res.status}`;
}

/** Creates a connected sandbox instance with pacing off, and a key scoped to it. */
export async function benchInstance(app: FastifyInstance) {
  const created = await adminCall(app, 'POST', '/api/instances', { engine: 'sandbox', name: 'bench' });
  if (created.status !== 201) throw new Error(`create instance: ${created.status} ${JSON.stringify(created.body)}`);
  const id = String(created.body.id);
  const pacing = await pacingOff(app, id);
  const key = await adminCall(app, 'POST', '/api/keys', { name: 'bench', instances: [id] });
  if (key.status !== 201) throw new Error(`create key: ${key.status} ${JSON.stringify(key.body)}`);
  return { id, token: String(created.body.token), phone: String(created.body.phone), key: String(key.body.key), pacing };
}

/** The group every app child starts with (3 participants besides the instance's own number); answers its id. */
export async function benchGroup(app: FastifyInstance, instanceId: string): Promise<string> {
  const group = await adminCall(app, 'POST', `/api/instances/${instanceId}/groups`, { name: 'Bench group', participants: [benchPhone(1), benchPhone(2), benchPhone(3)] });
  if (group.status !== 201) throw new Error(`create group: ${group.status} ${JSON.stringify(group.body)}`);
  return String(group.body.id);
}

/** Sandbox numbers that are never a real subscriber: +1 555 02xx xxxx. */
export const benchPhone = (n: number) => `+1555${String(2_000_000 + n).padStart(7, '0')}`;
