/** The benchmark scenarios: each starts a fresh server child, loads it, and answers its rows. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AutocannonRequest } from 'autocannon';
import { ADMIN_KEY, benchPhone } from './server.js';
import { alternate, load, type LoadFigures, type LoadOptions } from './load.js';
import { atLeast, atMost, below, fmt, type Row } from './report.js';
import { startChild, type Child } from './spawn.js';
import { startReceiver } from './webhook-receiver.js';
import type { LimitKind } from './write-limit.js';

/** What an app child answers in its `ready` message. */
export interface AppInfo {
  url: string;
  instance: { id: string; key: string };
  groupId: string;
  routes: { webhooks: boolean; pacing: string };
}

const auth = (info: AppInfo) => ({ authorization: `Bearer ${info.instance.key}` });
export const groupPath = (info: AppInfo) => `/api/instances/${info.instance.id}/groups/${encodeURIComponent(info.groupId)}`;

/** The create rows' request: `POST /api/instances/{id}/groups` with 3 participants. */
export const createRequest = (instanceId: string): AutocannonRequest => ({
  method: 'POST',
  path: `/api/instances/${instanceId}/groups`,
  body: JSON.stringify({ name: 'Bench create', participants: [benchPhone(11), benchPhone(12), benchPhone(13)] }),
});

/** People added so far by `addRemoveRequests`, in this process: each add is someone never added before. */
let added = 0;

/** The add + remove row's requests: each connection adds a person of its own, then removes them. */
export function addRemoveRequests(info: AppInfo): AutocannonRequest[] {
  const path = `${groupPath(info)}/participants`;
  return [
    {
      method: 'POST',
      path,
      setupRequest: (req, ctx) => {
        ctx.phone = benchPhone(100_000 + added++);
        return { ...req, body: JSON.stringify({ participants: [ctx.phone] }) };
      },
    },
    { method: 'DELETE', path, setupRequest: (req, ctx) => ({ ...req, body: JSON.stringify({ participants: [ctx.phone] }) }) },
  ];
}

/** Reads a child's process CPU time (microseconds). */
const cpuOf = (child: Child) => async () => Number((await child.request({ type: 'cpu' }, 'cpu')).us);
/** "server CPU 123 us per request" (every thread of the server's process; PostgreSQL's own CPU not included). */
const cpuNote = (f: LoadFigures, what = 'request') => (f.cpuUsPerOk === undefined ? '' : `server process CPU ${Math.round(f.cpuUsPerOk)} us per ${what}`);

async function withChild<T>(child: Child, fn: (child: Child) => Promise<T>): Promise<T> {
  try {
    return await fn(child);
  } finally {
    await child.stop();
  }
}

/** Fails loudly when a load saw errors: a figure over failing requests would be meaningless. */
function checked(name: string, f: LoadFigures): LoadFigures {
  if (f.errors > 0 || f.non2xx > 0) {
    throw new Error(`${name}: ${f.non2xx} non-2xx and ${f.errors} connection errors (statuses ${JSON.stringify(f.statuses)})`);
  }
  return f;
}

/** A bare Fastify server returning a group-sized JSON body: the physical limit in this run. */
export async function baseline(): Promise<Row> {
  return withChild(await startChild({ mode: 'baseline' }), async (child) => {
    const f = checked('baseline', await load({ url: String(child.info.url), path: '/group', cpu: cpuOf(child) }));
    return {
      scenario: 'baseline: bare Fastify, group-sized JSON',
      figure: fmt.perSec(f.okPerSec, 'req/s'),
      value: f.okPerSec,
      unit: 'req/s',
      p50Ms: f.p50,
      p99Ms: f.p99,
      vsBaseline: 1,
      note: cpuNote(f),
      raw: f,
    };
  });
}

/** Fails loudly when any of the loads saw errors. */
const checkedAll = (names: string[], figures: LoadFigures[]) => figures.map((f, i) => checked(names[i]!, f));

/**
 * `GET /api/instances/{id}/groups/{groupId}` with a scoped API key; on SQLite also `/healthz` on
 * the same server, the floor of the app's own stack (hooks, logging, metrics) without auth or data.
 * Each is loaded in alternating slices with a bare Fastify server (the baseline) running beside it,
 * and its ratio is to that baseline's rate in the same slices.
 */
export async function getGroup(db: 'sqlite' | 'postgres'): Promise<Row[]> {
  return withChild(await startChild({ mode: 'baseline' }), async (bare) =>
    withChild(await startChild({ mode: 'app', db }), async (child) => {
      const info = child.info as unknown as AppInfo;
      const baseline = { url: String(bare.info.url), path: '/group', cpu: cpuOf(bare) };
      /** `load` beside the baseline, as a row whose ratio is to the baseline's rate in the same slices. */
      const besideBaseline = async (scenario: string, load: LoadOptions, min: number): Promise<Row> => {
        const [b, f] = checkedAll(['baseline', scenario], await alternate([baseline, load])) as [LoadFigures, LoadFigures];
        const ratio = f.okPerSec / b.okPerSec;
        return {
          scenario,
          figure: fmt.perSec(f.okPerSec, 'req/s'),
          value: f.okPerSec,
          unit: 'req/s',
          p50Ms: f.p50,
          p99Ms: f.p99,
          vsBaseline: ratio,
          target: atLeast(ratio, min, `>= ${min}x baseline`),
          note: `${cpuNote(f)}; the baseline in the same slices ${fmt.perSec(b.okPerSec, 'req/s')}, ${Math.round(b.cpuUsPerOk ?? 0)} us per request`,
          raw: { app: f, baseline: b },
        };
      };
      const rows: Row[] = [];
      if (db === 'sqlite') rows.push(await besideBaseline('app floor: GET /healthz through the full app', { url: info.url, path: '/healthz', cpu: cpuOf(child) }, 0.8));
      rows.push(await besideBaseline(`GET group (${db})`, { url: info.url, path: groupPath(info), headers: auth(info), cpu: cpuOf(child) }, 0.6));
      return rows;
    }),
  );
}

/**
 * An app load and the same load against its write limit (write-limit.ts), both servers running at
 * once and loaded in alternating slices: the limit's row, then the app's with its ratio to the limit.
 */
async function againstWriteLimit(
  db: 'sqlite' | 'postgres',
  kind: LimitKind,
  base: number,
  app: { scenario: string; unit: string; what: string; target: number; targetText: string; requests: (info: AppInfo) => AutocannonRequest[]; note?: (info: AppInfo) => string },
): Promise<Row[]> {
  return withChild(await startChild({ mode: 'write-limit', db, kind }), async (bare) =>
    withChild(await startChild({ mode: 'app', db }), async (child) => {
      const limitInfo = bare.info as unknown as AppInfo;
      const info = child.info as unknown as AppInfo;
      const [l, f] = checkedAll(
        [`${kind} write limit`, app.scenario],
        await alternate([
          { url: limitInfo.url, headers: auth(limitInfo), requests: app.requests(limitInfo), cpu: cpuOf(bare) },
          { url: info.url, headers: auth(info), requests: app.requests(info), cpu: cpuOf(child) },
        ]),
      ) as [LoadFigures, LoadFigures];
      return [
        {
          scenario: `write limit: bare Fastify + ${kind === 'create' ? "a create's" : "a change's"} writes (${db})`,
          figure: fmt.perSec(l.okPerSec, app.unit),
          value: l.okPerSec,
          unit: app.unit,
          p50Ms: l.p50,
          p99Ms: l.p99,
          vsBaseline: l.okPerSec / base,
          note: cpuNote(l, app.what),
          raw: l,
        },
        {
          scenario: app.scenario,
          figure: fmt.perSec(f.okPerSec, app.unit),
          value: f.okPerSec,
          unit: app.unit,
          p50Ms: f.p50,
          p99Ms: f.p99,
          vsBaseline: f.okPerSec / base,
          vsLimit: f.okPerSec / l.okPerSec,
          target: atLeast(f.okPerSec, app.target, app.targetText),
          note: `${app.note?.(info) ?? ''}${cpuNote(f, app.what)}; the target is ${(app.target / l.okPerSec).toFixed(2)}x the write limit of the same slices`,
          raw: f,
        },
      ];
    }),
  );
}

/** `POST /api/instances/{id}/groups` with 3 participants, beside the write limit of a create. */
export function createGroups(db: 'sqlite' | 'postgres', base: number): Promise<Row[]> {
  const target = db === 'sqlite' ? 5000 : 2000;
  return againstWriteLimit(db, 'create', base, {
    scenario: `POST group, 3 participants (${db})`,
    unit: 'groups/s',
    what: 'create',
    target,
    targetText: `>= ${target.toLocaleString('en-US')} creates/s`,
    requests: (info) => [createRequest(info.instance.id)],
    note: (info) => `pacing ${info.routes.pacing}; `,
  });
}

/** Add then remove one participant, each connection with its own person, beside the write limit of a change. */
export function addRemove(base: number): Promise<Row[]> {
  return againstWriteLimit('sqlite', 'change', base, {
    scenario: 'add + remove one participant (sqlite)',
    unit: 'ops/s',
    what: 'change',
    target: 3000,
    targetText: '>= 3,000 ops/s',
    requests: addRemoveRequests,
  });
}

/** The list row's request: a page of 50 of the instance's `count` groups, at a random offset. */
export function listRequest(info: AppInfo, count: number): AutocannonRequest {
  const path = `/api/instances/${info.instance.id}/groups`;
  return { method: 'GET', path, setupRequest: (req) => ({ ...req, path: `${path}?limit=50&offset=${50 * Math.floor(Math.random() * (count / 50))}` }) };
}

/** A page of 50 from an instance holding 10,000 groups, at random offsets. */
export async function listGroups(base: number, count = 10_000): Promise<Row> {
  return withChild(await startChild({ mode: 'app', db: 'sqlite', seedGroups: count }), async (child) => {
    const info = child.info as unknown as AppInfo;
    const f = checked('list groups', await load({ url: info.url, headers: auth(info), cpu: cpuOf(child), requests: [listRequest(info, count)] }));
    return {
      scenario: `list groups, page of 50 of ${count.toLocaleString('en-US')} (sqlite)`,
      figure: `p99 ${fmt.ms(f.p99)} ms (${Math.round(f.okPerSec).toLocaleString('en-US')} req/s)`,
      value: f.p99,
      unit: 'ms p99',
      p50Ms: f.p50,
      p99Ms: f.p99,
      vsBaseline: f.okPerSec / base,
      target: atMost(f.p99, 10, 'p99 <= 10 ms'),
      note: cpuNote(f, 'page'),
      raw: f,
    };
  });
}

/**
 * The physical limit of one webhook lane: a bare client process POSTing webhook-sized bodies one
 * after another over a keep-alive connection to the same receiver (a separate process, this one)
 * the delivery scenarios post to. With `lanes` > 1, that many such lanes at once (the limit of the
 * ten-lane row).
 */
export async function sequentialPostLimit(count = 15_000, lanes = 1): Promise<Row> {
  const receiver = await startReceiver();
  try {
    const child = await startChild({ mode: 'poster', url: receiver.url, count, lanes });
    await child.stop();
    const rate = Number(child.info.perSec);
    return {
      scenario: lanes === 1 ? 'sequential POST limit: bare client process -> receiver process' : `${lanes} sequential POST lanes at once: bare client process -> receiver process`,
      figure: fmt.perSec(rate, 'POSTs/s'),
      value: rate,
      unit: 'POSTs/s',
      note: `${count} POSTs, ${lanes === 1 ? 'one keep-alive connection' : `${lanes} keep-alive connections`}; client process CPU ${Math.round(Number(child.info.cpuUsPerPost))} us per POST; receiver saw ${receiver.stats().requests}`,
    };
  } finally {
    await receiver.close();
  }
}

/**
 * Event-log appends delivered as signed webhooks to a local receiver. With `instances` > 1 the
 * events are spread round-robin over that many instances (one lane each, run concurrently up to
 * the worker's in-flight limit) through one admin subscription covering every instance. The events
 * are appended before the clock starts (to a paused subscription, then resumed), so the figure is
 * delivery from a backlog. One lane
 * is measured against `limit` (the sequential-POST limit of the same run), ten against 5,000/s,
 * beside `limit` (as many bare sequential lanes at once).
 */
export async function webhookDelivery(count = 2000, instances = 1, limit = Number.NaN): Promise<Row> {
  const scenario = `signed webhook delivery, ${instances === 1 ? 'one lane' : `${instances} lanes`} (sqlite)`;
  return withChild(await startChild({ mode: 'app', db: 'sqlite' }), async (child) => {
    const info = child.info as unknown as AppInfo;
    if (!info.routes.webhooks) return { scenario, figure: 'n/a (webhooks not built)', value: null, unit: 'events/s' };
    const receiver = await startReceiver();
    try {
      const admin = { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` };
      const instanceIds = [info.instance.id];
      for (let i = 1; i < instances; i++) {
        const created = await fetch(`${info.url}/api/instances`, { method: 'POST', headers: admin, body: JSON.stringify({ engine: 'sandbox', name: `bench ${i}` }) });
        const body = (await created.json()) as { id?: string };
        if (created.status >= 300 || !body.id) return { scenario, figure: `n/a (instance refused: ${created.status})`, value: null, unit: 'events/s', raw: body };
        instanceIds.push(body.id);
      }
      const headers = instances === 1 ? { 'content-type': 'application/json', ...auth(info) } : admin;
      const res = await fetch(`${info.url}/api/webhooks`, { method: 'POST', headers, body: JSON.stringify({ url: receiver.url, format: 'native', enabled: false }) });
      const sub = (await res.json()) as { id?: string; secret?: string };
      if (res.status >= 300 || !sub.secret || !sub.id) return { scenario, figure: `n/a (subscription refused: ${res.status})`, value: null, unit: 'events/s', raw: sub };
      await receiver.setSecret(sub.secret);
      // The subscription is created paused and the events appended first, so what is timed is
      // delivery alone (a backlog drained from the moment it resumes), never the producer.
      const appended = await child.request({ type: 'append', count, ...(instances > 1 ? { instanceIds, batch: 10 } : {}) }, 'appended');
      const cpuBefore = await cpuOf(child)();
      const started = performance.now();
      const arrived = receiver.waitFor(count, 120_000);
      const resumed = await fetch(`${info.url}/api/webhooks/${sub.id}`, { method: 'PATCH', headers, body: JSON.stringify({ enabled: true }) });
      if (resumed.status >= 300) throw new Error(`${scenario}: resuming the subscription answered ${resumed.status}`);
      const got = await arrived;
      const seconds = (performance.now() - started) / 1000;
      const cpuUs = (await cpuOf(child)()) - cpuBefore;
      const rate = got.received / seconds;
      receiver.verifyAll();
      const stats = receiver.stats();
      if (stats.rejected > 0 || got.received < count) throw new Error(`${scenario}: ${got.received}/${count} delivered, ${stats.rejected} signatures refused`);
      return {
        scenario,
        figure: fmt.perSec(rate, 'events/s'),
        value: rate,
        unit: 'events/s',
        ...(Number.isNaN(limit) ? {} : { vsLimit: rate / limit }),
        target:
          instances === 1
            ? atLeast(rate, 0.85 * limit, `>= 85% of the sequential-POST limit (${Number.isNaN(limit) ? 'not measured' : fmt.perSec(limit, '/s')})`)
            : atLeast(rate, 5000, '>= 5,000 events/s'),
        note: `${got.received}/${count} delivered, every request's signature verified; ${
          Number.isNaN(limit)
            ? ''
            : instances === 1
              ? `${Math.round((100 * rate) / limit)}% of the sequential-POST limit; `
              : `the target is ${(5000 / limit).toFixed(2)}x the limit of ${instances} bare sequential POST lanes; `
        }server process CPU ${Math.round(cpuUs / got.received)} us per event; appends alone ${Math.round(count / (Number(appended.ms) / 1000))}/s; receiver ${JSON.stringify(stats)}`,
      };
    } finally {
      await receiver.close();
    }
  });
}

/** RSS growth for idle sandbox instances (own process) and the time to restart holding them. */
export async function memory(count = 1000): Promise<Row[]> {
  return withChild(await startChild({ mode: 'memory', instances: count }, 300_000), async (child) => {
    const m = child.info as Record<string, number>;
    const growth = m.rssAfter - m.rssBefore;
    return [
      {
        scenario: `memory: ${count.toLocaleString('en-US')} idle sandbox instances`,
        figure: `+${fmt.mb(growth)} RSS`,
        value: growth,
        unit: 'bytes',
        target: below(growth, 100 * 1024 * 1024, '< 100 MB'),
        note: `heap +${fmt.mb(m.heapAfter - m.heapBefore)}; created in ${(m.createMs / 1000).toFixed(1)} s`,
        raw: m,
      },
      {
        scenario: `restart holding ${count.toLocaleString('en-US')} instances`,
        figure: `${(m.restartMs / 1000).toFixed(2)} s to ready`,
        value: m.restartMs,
        unit: 'ms',
        note: `/readyz ${m.readyStatus}, ${m.connected} connected`,
        raw: m,
      },
    ];
  });
}

/** Idle Baileys sessions logged into the wire-level double, in a child process with `--expose-gc` (bench/baileys-idle.ts). */
export async function baileysIdle(): Promise<Row> {
  const script = fileURLToPath(new URL('../baileys-idle.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', script, '--json'], { maxBuffer: 16 * 1024 * 1024, timeout: 900_000 });
  const m = JSON.parse(stdout.trim().split('\n').pop()!) as {
    sessions: number;
    connected: number;
    perSessionMb: number;
    heapPerSessionMb: number;
    loginMs: number;
    limitMb: number;
  };
  return {
    scenario: `memory: ${m.sessions} idle Baileys sessions through the wire-level double`,
    figure: `${m.perSessionMb.toFixed(2)} MB RSS per session`,
    value: m.perSessionMb * 1024 * 1024,
    unit: 'bytes',
    target: below(m.perSessionMb, m.limitMb, `< ${m.limitMb} MB per session`),
    note: `heap ${m.heapPerSessionMb.toFixed(2)} MB per session; ${m.connected}/${m.sessions} connected; logged in in ${(m.loginMs / 1000).toFixed(1)} s`,
    raw: m,
  };
}
