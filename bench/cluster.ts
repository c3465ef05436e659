/**
 * The `cluster` scenario: three `groupgate serve` processes in cluster mode on loopback, over a
 * fresh PostgreSQL schema and a Redis prefix of their own (both removed afterwards). Three sandbox
 * instances (pacing off), one group each; once every instance is owned, GET group and POST group
 * (3 participants) are loaded with one autocannon per node at once (the same connections and
 * duration as the single-node rows, so three times the connections in all), each cycling over the
 * three instances: about two requests in three reach a node that does not own the instance, which
 * forwards creates to the owner (GETs are answered from PostgreSQL by any node). The figure is the
 * sum of the three nodes' 2xx per second; no target. Ratios are to the single-node PostgreSQL rows
 * when those ran in the same invocation.
 */
import { randomUUID } from 'node:crypto';
import { dropRedisKeys, redisPing } from '../testkit/redis.js';
import { dropSchema } from '../testkit/place.js';
import { clusterNodeEnv, startServerProcess, type ServerProcess } from '../testkit/server-process.js';
import { load, type LoadFigures } from './lib/load.js';
import { fmt, type Row } from './lib/report.js';
import { createRequest } from './lib/scenarios.js';
import { ADMIN_KEY, benchPhone, PG_URL, postgresReachable } from './lib/server.js';

export const REDIS_URL = process.env.GROUPGATE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const NODES = 3;
const INSTANCES = 3;

/** Whether Redis answers PING within 2 s. */
export const redisReachable = (): Promise<boolean> => redisPing(REDIS_URL, 2000);

interface Node {
  name: string;
  proc: ServerProcess;
}

async function call(url: string, method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

async function expect201(what: string, r: { status: number; body: Record<string, unknown> }) {
  if (r.status !== 201 && r.status !== 200) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** What each node says it owns (`/readyz`). */
async function owned(nodes: Node[]): Promise<number[]> {
  return Promise.all(nodes.map(async (n) => ((await (await fetch(`${n.proc.url}/readyz`)).json()) as { owned?: number }).owned ?? 0));
}

async function startNodes(schema: string, prefix: string): Promise<Node[]> {
  const env = (name: string): Record<string, string> => ({
    ...clusterNodeEnv({ pgUrl: PG_URL, schema, redisUrl: REDIS_URL, prefix, name, adminKey: ADMIN_KEY, masterKey: 'bench-cluster-master-key-0123456789abcdef0123' }),
    GROUPGATE_AUTH_FAILURE_LIMIT_PER_MINUTE: '1000000',
    GROUPGATE_LOG_LEVEL: 'error',
    NODE_ENV: 'production',
  });
  const nodes: Node[] = [];
  process.once('exit', () => {
    for (const n of nodes) n.proc.child.kill('SIGKILL');
  });
  // The first node migrates the schema alone; the others start together.
  nodes.push({ name: 'n1', proc: await startServerProcess({ env: env('n1') }) });
  const rest = await Promise.allSettled(Array.from({ length: NODES - 1 }, (_, i) => startServerProcess({ env: env(`n${i + 2}`) })));
  rest.forEach((r, i) => {
    if (r.status === 'fulfilled') nodes.push({ name: `n${i + 2}`, proc: r.value });
  });
  const failed = rest.find((r) => r.status === 'rejected');
  if (failed) {
    await stopNodes(nodes);
    throw failed.reason as Error;
  }
  return nodes;
}

async function stopNodes(nodes: Node[]) {
  await Promise.all(nodes.map((n) => n.proc.close().catch(() => {})));
}

async function dropAll(schema: string, prefix: string) {
  await dropRedisKeys(REDIS_URL, prefix);
  await dropSchema(PG_URL, schema);
}

/** One autocannon per node at once; figures summed over the nodes. */
async function loadAll(name: string, nodes: Node[], options: (node: Node, i: number) => Parameters<typeof load>[0]) {
  const per = await Promise.all(nodes.map((n, i) => load(options(n, i))));
  const bad = per.filter((f) => f.errors > 0 || f.non2xx > 0);
  if (bad.length > 0) throw new Error(`${name}: ${bad.map((f) => `${f.non2xx} non-2xx, ${f.errors} errors (${JSON.stringify(f.statuses)})`).join('; ')}`);
  const sum = (k: 'okPerSec' | 'ok') => per.reduce((s, f) => s + f[k], 0);
  return { okPerSec: sum('okPerSec'), ok: sum('ok'), p50: Math.max(...per.map((f) => f.p50)), p99: Math.max(...per.map((f) => f.p99)), per };
}

function row(scenario: string, unit: string, f: { okPerSec: number; p50: number; p99: number; per: LoadFigures[] }, base: number, single: Row | undefined, note: string): Row {
  const vsSingle = single?.value ? f.okPerSec / single.value : undefined;
  return {
    scenario,
    figure: fmt.perSec(f.okPerSec, unit),
    value: f.okPerSec,
    unit,
    p50Ms: f.p50,
    p99Ms: f.p99,
    vsBaseline: Number.isFinite(base) ? f.okPerSec / base : undefined,
    ...(vsSingle !== undefined ? { vsSingleNode: vsSingle } : {}),
    note: `${note}; per node ${f.per.map((p) => Math.round(p.okPerSec)).join(' + ')} 2xx/s; p50/p99 the worst node's${
      single ? `; single node ${single.figure}` : '; single-node PostgreSQL rows not run'
    }`,
    raw: f.per,
  };
}

/**
 * Runs the scenario; `earlier` are the rows measured so far in this invocation (the single-node
 * PostgreSQL rows, when present, give the ratio).
 */
export async function cluster(base: number, earlier: Row[]): Promise<Row[]> {
  const [pgUp, redisUp] = await Promise.all([postgresReachable(), redisReachable()]);
  if (!pgUp || !redisUp) {
    const missing = [!pgUp && `PostgreSQL (${PG_URL})`, !redisUp && `Redis (${REDIS_URL})`].filter(Boolean).join(' and ');
    return [{ scenario: '3-node cluster', figure: `n/a (skipped: ${missing} not reachable)`, value: null, unit: '' }];
  }
  const tag = `${process.pid}_${randomUUID().slice(0, 8)}`;
  const schema = `gg_bench_cluster_${tag}`;
  const prefix = `ggbench:cluster:${tag}:`;
  let nodes: Node[] = [];
  try {
    nodes = await startNodes(schema, prefix);
    const urls = nodes.map((n) => n.proc.url);
    const ids: string[] = [];
    for (let i = 0; i < INSTANCES; i++) {
      const created = await expect201('create instance', await call(urls[i % NODES]!, 'POST', '/api/instances', ADMIN_KEY, { engine: 'sandbox', name: `bench ${i}` }));
      ids.push(String(created.id));
    }
    for (const [i, id] of ids.entries()) await expect201('pacing off', await call(urls[i % NODES]!, 'PATCH', `/api/instances/${id}/pacing`, ADMIN_KEY, { enabled: false }));
    const key = String((await expect201('create key', await call(urls[0]!, 'POST', '/api/keys', ADMIN_KEY, { name: 'bench', instances: ids }))).key);
    // Every instance owned, and spread one per node, before anything is measured.
    const deadline = Date.now() + 60_000;
    let counts = await owned(nodes);
    while (!counts.every((c) => c === INSTANCES / NODES) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      counts = await owned(nodes);
    }
    const total = counts.reduce((s, c) => s + c, 0);
    if (total !== INSTANCES) throw new Error(`only ${total} of ${INSTANCES} instances owned after 60 s (per node ${counts.join(', ')})`);
    const groups: string[] = [];
    for (const [i, id] of ids.entries()) {
      const g = await expect201(
        'create group',
        await call(urls[i % NODES]!, 'POST', `/api/instances/${id}/groups`, key, { name: 'Bench group', participants: [benchPhone(1), benchPhone(2), benchPhone(3)] }),
      );
      groups.push(String(g.id));
    }
    const headers = { authorization: `Bearer ${key}` };
    const spread = `3 nodes x 10 connections (one autocannon per node at once), each cycling over ${INSTANCES} instances owned ${counts.join('/')}`;
    const get = await loadAll('cluster get group', nodes, (n) => ({
      url: n.proc.url,
      headers,
      requests: ids.map((id, i) => ({ method: 'GET', path: `/api/instances/${id}/groups/${encodeURIComponent(groups[i]!)}` })),
    }));
    const create = await loadAll('cluster create group', nodes, (n) => ({ url: n.proc.url, headers, requests: ids.map(createRequest) }));
    const single = (start: string) => earlier.find((r) => r.scenario.startsWith(start) && r.scenario.endsWith('(postgres)') && r.value !== null);
    return [
      row('GET group (3-node cluster)', 'req/s', get, base, single('GET group'), `${spread}; any node answers from PostgreSQL`),
      row('POST group (3-node cluster)', 'req/s', create, base, single('POST group'), `${spread}; pacing off; 2 in 3 forwarded to the owner`),
    ];
  } finally {
    await stopNodes(nodes);
    await dropAll(schema, prefix);
  }
}
