/**
 * The fuzz harness: a real app with fixtures, a snapshot of the stored state, and the checks every
 * answer must pass (no 5xx, a 4xx for certainly-invalid requests, the right error shape, no secret
 * echoed, nothing stored when refused).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { ADMIN_KEY, createUnpacedInstance, startTestApp, type TestApp } from '../app.js';
import { requestsFor, type Fixtures, type FuzzRequest } from './requests.js';
import { discoverRoutes, type Family, type RouteSpec } from './routes.js';

/** The seed: FUZZ_SEED when set (to replay a failure), else a fixed one so CI runs are reproducible. */
export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261122;

export interface FuzzApp {
  t: TestApp;
  fx: Fixtures;
  routes: RouteSpec[];
  close(): Promise<void>;
}

/** Starts the app with a small body limit and no auth-failure throttling, and creates the fixtures. */
export async function startFuzzApp(db: 'sqlite' | 'postgres'): Promise<FuzzApp> {
  const t = await startTestApp({ db, config: { logLevel: 'fatal', bodyLimitBytes: 65_536, authFailureLimitPerMinute: 1_000_000_000 } });
  const instance = await createUnpacedInstance(t);
  const group = await t.request({
    method: 'POST',
    url: `/api/instances/${instance.id}/groups`,
    payload: { name: 'Fuzz', participants: ['+15550000001', '+15550000002', '+15550000003'] },
  });
  assert.equal(group.statusCode, 201, group.body);
  const key = await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'fuzz', instances: [instance.id] } });
  assert.equal(key.statusCode, 201, key.body);
  const fx: Fixtures = {
    adminKey: ADMIN_KEY,
    apiKey: key.json().key,
    keyId: key.json().id,
    instanceId: instance.id,
    idInstance: instance.idInstance,
    token: instance.token,
    phone: instance.phone,
    groupId: group.json().id,
    twoChatUuid: await twoChatUuid(t, key.json().key, instance.phone),
  };
  const routes = await discoverRoutes(t.app);
  return { t, fx, routes, close: () => t.close() };
}

async function twoChatUuid(t: TestApp, apiKey: string, phone: string): Promise<string> {
  const res = await t.request({ method: 'GET', url: `/open/whatsapp/groups/${encodeURIComponent(`+${phone}`)}`, headers: { 'x-user-api-key': apiKey } });
  const found = /"(WAG[0-9a-f-]{36})"/i.exec(res.body);
  // The fuzz fixtures must name a real 2Chat group, or every 2Chat group route is fuzzed on a 404 only.
  assert.ok(found, `the fixture group has no 2Chat uuid: ${res.statusCode} ${res.body}`);
  return found[1]!;
}

/** The stored state a refused request must leave untouched. */
export async function snapshot(t: TestApp): Promise<string> {
  const db = t.core.database.db;
  const [instances, keys, groups, participants] = await Promise.all([
    db.selectFrom('instances').selectAll().orderBy('id').execute(),
    db.selectFrom('api_keys').selectAll().orderBy('id').execute(),
    db.selectFrom('groups').selectAll().orderBy('instance_id').orderBy('group_id').execute(),
    db.selectFrom('group_participants').selectAll().orderBy('instance_id').orderBy('group_id').orderBy('pkey').execute(),
  ]);
  return JSON.stringify({ instances, keys, groups, participants });
}

/** Statuses a provider documents for a failure, beyond 4xx. */
function documentedStatus(family: Family, route: RouteSpec, status: number, strict: boolean): boolean {
  if (status >= 400 && status < 500) return true;
  if (strict) return false;
  if (status < 400) return true;
  // Green API answers 500 when WhatsApp refuses a group creation; nothing else may be 5xx (Wappfy
  // documents a 4xx for every malformed request: VALIDATION_ERROR, UNAUTHORIZED, NOT_FOUND, ...).
  return family === 'green-api' && status === 500 && /\/createGroup\//.test(route.path);
}

/** Asserts everything a client may rely on for one answer. */
export function checkAnswer(r: FuzzRequest, res: LightMyRequestResponse, fx: Fixtures): void {
  const where = `${r.kind} ${r.method} ${r.url.slice(0, 300)} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
  assert.ok(documentedStatus(r.route.family, r.route, res.statusCode, r.strict), `unexpected status: ${where}`);
  for (const secret of [fx.token, fx.apiKey, fx.adminKey]) assert.ok(!res.body.includes(secret), `a secret was echoed: ${where}`);
  assert.ok(!/node_modules|\bat \S+\.(ts|js):\d+/.test(res.body), `a stack trace leaked: ${where}`);
  if (res.statusCode < 400) return;
  const type = String(res.headers['content-type'] ?? '');
  const dialect = r.route.family === 'green-api' || r.route.family === 'z-api' || r.route.family === 'two-chat';
  if (r.route.family === 'wappfy') {
    // Wappfy's envelope: {success: false, error: {code, message, details}, meta: {requestId, timestamp}}.
    const body = res.json() as { success?: unknown; error?: { code?: unknown; message?: unknown; details?: unknown }; meta?: { requestId?: unknown; timestamp?: unknown } };
    assert.equal(body.success, false, `error shape: ${where}`);
    assert.match(String(body.error?.code), /^[A-Z][A-Z0-9_]*$/, `error code: ${where}`);
    assert.equal(typeof body.error?.message, 'string', `error shape: ${where}`);
    assert.ok(body.error && 'details' in body.error, `error details: ${where}`);
    assert.equal(typeof body.meta?.requestId, 'string', `meta.requestId: ${where}`);
    if (res.headers['x-request-id'] !== undefined) assert.equal(body.meta?.requestId, res.headers['x-request-id'], `meta.requestId: ${where}`);
    assert.ok(!Number.isNaN(Date.parse(String(body.meta?.timestamp))), `meta.timestamp: ${where}`);
  } else if (!dialect) {
    const body = res.json() as { error?: { code?: unknown; message?: unknown }; requestId?: unknown };
    assert.equal(typeof body.error?.code, 'string', `error shape: ${where}`);
    assert.equal(typeof body.error?.message, 'string', `error shape: ${where}`);
    assert.equal(body.requestId, res.headers['x-request-id'], `requestId: ${where}`);
  } else if (type.includes('json') && res.body) {
    assert.doesNotThrow(() => JSON.parse(res.body), `error body is not JSON: ${where}`);
  }
}

/** Runs `runs` generated requests against the app; answers how many were sent. */
export async function fuzz(app: FuzzApp, families: Family[], runs: number, seed = FUZZ_SEED): Promise<{ sent: number; byKind: Record<string, number> }> {
  const { t, fx } = app;
  const arbs = app.routes.filter((r) => families.includes(r.family)).flatMap((route) => requestsFor(route, fx));
  assert.ok(arbs.length > 0, `no routes of ${families.join(', ')}`);
  const byKind: Record<string, number> = {};
  let sent = 0;
  let state = await snapshot(t);
  await fc.assert(
    fc.asyncProperty(fc.oneof(...arbs), async (r) => {
      const res = await t.app.inject({ method: r.method as 'GET', url: r.url, headers: r.headers, ...(r.payload !== undefined ? { payload: r.payload } : {}) });
      sent++;
      byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
      checkAnswer(r, res, fx);
      const after = await snapshot(t);
      if (res.statusCode >= 400) assert.equal(after, state, `a refused request changed the stored state: ${r.kind} ${r.method} ${r.url.slice(0, 200)} -> ${res.statusCode}`);
      state = after;
    }),
    { seed, numRuns: runs, includeErrorInReport: true },
  );
  return { sent, byKind };
}

/** The server still answers: health, and a valid read and write. */
export async function assertHealthy(app: FuzzApp): Promise<void> {
  const { t, fx } = app;
  assert.equal((await t.request({ method: 'GET', url: '/healthz', key: null })).statusCode, 200);
  const read = await t.request({ method: 'GET', url: `/api/instances/${fx.instanceId}/groups/${encodeURIComponent(fx.groupId)}` });
  assert.equal(read.statusCode, 200, read.body);
  const write = await t.request({ method: 'POST', url: `/api/instances/${fx.instanceId}/groups`, payload: { name: 'After fuzz', participants: ['+15550000004'] } });
  // 202 when pacing (which a valid fuzzed PATCH may have turned back on) queues the creation.
  assert.ok(write.statusCode === 201 || write.statusCode === 202, write.body);
}
