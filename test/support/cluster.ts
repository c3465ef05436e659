/**
 * Several `groupgate serve` processes in cluster mode over one PostgreSQL schema and one Redis
 * prefix of the test's own (both removed afterwards), a local webhook receiver, and a mixed
 * workload sent round-robin through the live nodes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PG_URL, postgresAvailable } from './app.js';
import { dropRedisPrefix, REDIS_URL, redisAvailable, redisPrefix } from './redis.js';
import { dropSchema } from '../../testkit/place.js';
import { clusterNodeEnv, startServerProcess, type ServerProcess } from '../../testkit/server-process.js';

export const CLUSTER_ADMIN_KEY = 'cluster-admin-key-0123456789abcdef';

/** Both servers reachable (else the suite skips; GROUPGATE_REQUIRE_* make it an error). */
export async function clusterAvailable(): Promise<boolean> {
  const [p, r] = await Promise.all([postgresAvailable(), redisAvailable()]);
  return p && r;
}

export interface ClusterNode {
  name: string;
  proc: ServerProcess;
  url: string;
  alive: boolean;
}

export interface TestCluster {
  nodes: ClusterNode[];
  live(): ClusterNode[];
  /** The next live node, round-robin. */
  next(): ClusterNode;
  api(node: ClusterNode, method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: any }>;
  /** `kill -9`: no release, no notice; its leases lapse. */
  kill(node: ClusterNode): void;
  /** SIGTERM (graceful hand-over), then the same node again on the same port. */
  restart(node: ClusterNode): Promise<void>;
  close(): Promise<void>;
}

export async function startCluster(label: string, count = 3): Promise<TestCluster> {
  const schema = `gg_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const prefix = redisPrefix(label);
  const env = (name: string): Record<string, string> => ({
    ...clusterNodeEnv({ pgUrl: PG_URL, schema, redisUrl: REDIS_URL, prefix, name, adminKey: CLUSTER_ADMIN_KEY, masterKey: 'cluster-master-key-0123456789abcdef0123456789' }),
    GROUPGATE_WEBHOOK_ALLOW_PRIVATE: 'true',
    GROUPGATE_WEBHOOK_RETRY_BASE_MS: '200',
    GROUPGATE_AUTH_FAILURE_LIMIT_PER_MINUTE: '100000',
    GROUPGATE_LOG_LEVEL: 'warn',
  });
  const nodes: ClusterNode[] = [];
  // The first node migrates the schema alone; the others start together.
  const first = await startServerProcess({ env: env('n1') });
  nodes.push({ name: 'n1', proc: first, url: first.url, alive: true });
  const rest = await Promise.all(
    Array.from({ length: count - 1 }, async (_, i) => {
      const name = `n${i + 2}`;
      const proc = await startServerProcess({ env: env(name) });
      return { name, proc, url: proc.url, alive: true };
    }),
  );
  nodes.push(...rest);
  // A test runner that gives up on the suite must not leave nodes running.
  process.once('exit', () => {
    for (const n of nodes) n.proc.child.kill('SIGKILL');
  });
  let rr = 0;
  const live = () => nodes.filter((n) => n.alive);
  return {
    nodes,
    live,
    next() {
      const l = live();
      return l[rr++ % l.length]!;
    },
    async api(node, method, path, body, key = CLUSTER_ADMIN_KEY) {
      const send = (target: ClusterNode) =>
        fetch(`${target.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          body: body !== undefined ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(60_000),
        });
      let res: Response;
      try {
        res = await send(node);
      } catch (err) {
        // Like a load balancer: a node that refused the connection (stopped meanwhile) never saw the
        // request, so it goes to another live node. Anything else (the node died under it) is an error.
        const other = live().find((n) => n !== node);
        if ((err as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED' || !other) throw err;
        res = await send(other);
      }
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON
      }
      return { status: res.status, body: parsed };
    },
    kill(node) {
      node.alive = false;
      node.proc.child.kill('SIGKILL');
    },
    async restart(node) {
      node.alive = false;
      const proc = await node.proc.restart();
      node.proc = proc;
      node.url = proc.url;
      node.alive = true;
    },
    async close() {
      await Promise.all(nodes.map((n) => n.proc.close().catch(() => {})));
      await dropRedisPrefix(prefix).catch(() => {});
      await dropSchema(PG_URL, schema);
    },
  };
}

export interface Receipt {
  webhookId: string;
  instanceId: string;
  seq: number;
  type: string;
}

/** A local webhook receiver recording every delivery (answers 200). */
export async function startReceiver(): Promise<{ url: string; receipts: Receipt[]; close(): Promise<void> }> {
  const receipts: Receipt[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => {
      try {
        const body = JSON.parse(data) as { seq: number; instanceId: string; type: string };
        receipts.push({ webhookId: String(req.headers['webhook-id']), instanceId: body.instanceId, seq: body.seq, type: body.type });
      } catch {
        // not ours
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    receipts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms: number, stepMs = 250): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export interface Call {
  kind: 'create' | 'add' | 'read' | 'get' | 'green-create';
  node: string;
  startedAt: number;
  endedAt: number;
  status: number;
  instanceId: string;
  subject?: string;
  /** The operation id of a 202 (paced) create. */
  operationId?: string;
  /** The error code of a refusal. */
  error?: string;
}

export interface SetUp {
  instances: { id: string; phone: string; idInstance: string; token: string }[];
  subscriptionId: string;
  /** Per instance: the last event seq when the subscription was made (it delivers what follows). */
  startSeq: Map<string, number>;
}

/** 30 sandbox instances created round-robin through the nodes (pacing off), one webhook subscription for all. */
export async function setUpWorkload(cluster: TestCluster, receiverUrl: string, count = 30): Promise<SetUp> {
  const instances: SetUp['instances'] = [];
  for (let i = 0; i < count; i++) {
    const r = await cluster.api(cluster.next(), 'POST', '/api/instances', { engine: 'sandbox', name: `c${i}` });
    if (r.status !== 201) throw new Error(`create instance: ${r.status} ${JSON.stringify(r.body)}`);
    instances.push({ id: r.body.id, phone: r.body.phone, idInstance: r.body.idInstance, token: r.body.token });
  }
  for (const i of instances) {
    const r = await cluster.api(cluster.next(), 'PATCH', `/api/instances/${i.id}/pacing`, { enabled: false });
    if (r.status !== 200) throw new Error(`pacing off: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const sub = await cluster.api(cluster.next(), 'POST', '/api/webhooks', { url: receiverUrl });
  if (sub.status !== 201) throw new Error(`subscribe: ${sub.status} ${JSON.stringify(sub.body)}`);
  const startSeq = new Map<string, number>();
  for (const i of instances) {
    const r = await cluster.api(cluster.next(), 'GET', `/api/instances/${i.id}/events?after=0&limit=1000`);
    startSeq.set(i.id, r.body.lastSeq ?? 0);
  }
  return { instances, subscriptionId: sub.body.id, startSeq };
}

/** Runs a mixed workload round-robin through the live nodes until `stop()`; every call is recorded. */
export function runWorkload(cluster: TestCluster, setUp: SetUp, workers = 4, pauseMs = 0) {
  const calls: Call[] = [];
  const groupsOf = new Map<string, string[]>();
  let stopped = false;
  let n = 0;
  async function one(): Promise<void> {
    const k = n++;
    const instance = setUp.instances[k % setUp.instances.length]!;
    const other = setUp.instances[(k + 7) % setUp.instances.length]!;
    const node = cluster.next();
    const kind = (['create', 'add', 'read', 'get', 'green-create'] as const)[k % 5]!;
    const startedAt = Date.now();
    const call: Call = { kind, node: node.name, startedAt, endedAt: 0, status: 0, instanceId: instance.id };
    try {
      if (kind === 'create') {
        call.subject = `w-${k}`;
        const r = await cluster.api(node, 'POST', `/api/instances/${instance.id}/groups`, { name: call.subject, participants: [`+${other.phone}`] });
        call.status = r.status;
        call.error = r.body?.error ? `${r.body.error.code}: ${r.body.error.message}` : undefined;
        if (r.status === 201) groupsOf.set(instance.id, [...(groupsOf.get(instance.id) ?? []), r.body.id]);
        if (r.status === 202) call.operationId = r.body.operation?.id ?? r.body.id;
      } else if (kind === 'add') {
        const gid = groupsOf.get(instance.id)?.at(-1);
        if (!gid) call.kind = 'read';
        const r = gid
          ? await cluster.api(node, 'POST', `/api/instances/${instance.id}/groups/${encodeURIComponent(gid)}/participants`, { participants: [`+${other.phone}`] })
          : await cluster.api(node, 'GET', `/api/instances/${instance.id}/groups`);
        call.status = r.status;
        call.error = r.body?.error ? `${r.body.error.code}: ${r.body.error.message}` : undefined;
      } else if (kind === 'green-create') {
        // A provider dialect: Green API's createGroup, forwarded like the native API when needed.
        call.subject = `w-${k}`;
        const res = await fetch(`${node.url}/waInstance${instance.idInstance}/createGroup/${instance.token}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ groupName: call.subject, chatIds: [`${other.phone}@c.us`] }),
          signal: AbortSignal.timeout(60_000),
        });
        const body = (await res.json().catch(() => ({}))) as { created?: boolean };
        call.status = res.status === 200 && body.created !== true ? 299 : res.status;
      } else if (kind === 'read') {
        call.status = (await cluster.api(node, 'GET', `/api/instances/${instance.id}/groups`)).status;
      } else {
        call.status = (await cluster.api(node, 'GET', `/api/instances/${instance.id}`)).status;
      }
    } catch {
      call.status = -1; // no HTTP answer (the node died under the request)
    }
    call.endedAt = Date.now();
    calls.push(call);
  }
  const loops = Array.from({ length: workers }, async () => {
    while (!stopped) {
      await one();
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    }
  });
  return {
    calls,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** Sum of the instances each live node says it owns (`/readyz`). */
export async function ownedByLive(cluster: TestCluster): Promise<Map<string, number>> {
  const owned = new Map<string, number>();
  for (const node of cluster.live()) {
    const r = await fetch(`${node.url}/readyz`).then((x) => x.json() as Promise<{ node?: string; owned?: number }>);
    owned.set(node.name, r.owned ?? 0);
  }
  return owned;
}

/** Every event of every instance, from the log (through any node). */
export async function eventLog(cluster: TestCluster, setUp: SetUp): Promise<Map<string, { seq: number; id: string }[]>> {
  const out = new Map<string, { seq: number; id: string }[]>();
  for (const { id } of setUp.instances) {
    const events: { seq: number; id: string }[] = [];
    let after = setUp.startSeq.get(id) ?? 0;
    for (;;) {
      const r = await cluster.api(cluster.next(), 'GET', `/api/instances/${id}/events?after=${after}&limit=1000`);
      const page = (r.body.events ?? []) as { seq: number; id: string }[];
      events.push(...page);
      if (page.length < 1000) break;
      after = page.at(-1)!.seq;
    }
    out.set(id, events);
  }
  return out;
}
