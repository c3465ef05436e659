/**
 * One benchmark server in its own process, so the load generator never shares an event loop with
 * what it measures. The parent passes a `ChildSpec` in BENCH_SPEC, receives `ready` with the
 * fixtures, may ask for event appends, and ends it with `stop`.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import Fastify from 'fastify';
import type { StoredGroup } from '../../src/core/groups/group-model.js';
import { benchGroup, benchInstance, benchPhone, freshPlace, startServer, type BenchServer } from './server.js';
import { startWriteLimit, type LimitKind } from './write-limit.js';

export type ChildSpec =
  | { mode: 'baseline' }
  | { mode: 'app'; db: 'sqlite' | 'postgres'; seedGroups?: number }
  | { mode: 'write-limit'; db: 'sqlite' | 'postgres'; kind: LimitKind }
  | { mode: 'memory'; instances: number }
  | { mode: 'poster'; url: string; count: number; lanes?: number };

export type ChildMessage = { type: 'stop' } | { type: 'cpu' } | { type: 'append'; count: number; instanceIds?: string[]; batch?: number };

const spec = JSON.parse(process.env.BENCH_SPEC ?? '{}') as ChildSpec;
const send = (message: Record<string, unknown>) => process.send?.(message);
const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** A group body of the size `GET /groups/{id}` answers for a 4-person group. */
export function groupSizedBody() {
  const person = (n: number, role: string) => ({ jid: `1555020000${n}@s.whatsapp.net`, phone: `+1555020000${n}`, lid: `20782993010704${n}@lid`, role });
  return {
    id: '120363043968066561@g.us',
    name: 'Customers Q3',
    description: '',
    owner: '15550200000@s.whatsapp.net',
    createdAt: '2026-11-22T10:00:00.000Z',
    size: 4,
    settings: { announcement: false, locked: true, memberAddMode: 'admins', approvalMode: false, ephemeralSeconds: 0 },
    participants: [person(0, 'superadmin'), person(1, 'member'), person(2, 'member'), person(3, 'member')],
    myRole: 'superadmin',
    subjectOwner: '15550200000@s.whatsapp.net',
    subjectTime: '2026-11-22T10:00:00.000Z',
  };
}

async function baseline() {
  const app = Fastify({ logger: false });
  const body = groupSizedBody();
  app.get('/group', async () => body);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  send({ type: 'ready', url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` });
  return { stop: () => app.close() };
}

/** Writes `count` groups straight into the store (one transaction per 500), newest last. */
async function seedGroups(server: BenchServer, instanceId: string, phone: string, count: number) {
  const base = Date.parse('2026-01-01T00:00:00.000Z');
  for (let start = 0; start < count; start += 500) {
    await server.core.store.transaction(async (tx) => {
      for (let i = start; i < Math.min(count, start + 500); i++) {
        const group: StoredGroup = {
          instanceId,
          id: `1203630${String(i).padStart(11, '0')}@g.us`,
          subject: `Seeded group ${i}`,
          description: '',
          owner: `${phone}@s.whatsapp.net`,
          createdAt: new Date(base + i * 1000).toISOString(),
          subjectOwner: null,
          subjectTime: null,
          settings: { announcement: false, locked: true, memberAddMode: 'admins', approvalMode: false, ephemeralSeconds: 0 },
          myRole: 'superadmin',
          inviteCode: null,
          size: 2,
          addressingMode: 'pn',
          participants: [
            { phoneJid: `${phone}@s.whatsapp.net`, lid: null, role: 'superadmin' },
            { phoneJid: `${benchPhone(i).slice(1)}@s.whatsapp.net`, lid: null, role: 'member' },
          ],
        };
        await tx.groups.put(group);
      }
    });
  }
}

async function appServer(db: 'sqlite' | 'postgres', seed: number) {
  const place = freshPlace(db);
  const server = await startServer(place);
  const instance = await benchInstance(server.app);
  const groupId = await benchGroup(server.app, instance.id);
  if (seed > 0) await seedGroups(server, instance.id, instance.phone, seed);
  const routes = {
    webhooks: server.app.hasRoute({ method: 'POST', url: '/api/webhooks' }),
    pacing: instance.pacing,
  };
  send({ type: 'ready', url: server.url, instance, groupId, routes });
  process.on('message', (m: ChildMessage) => {
    if (m.type !== 'append') return;
    void (async () => {
      const started = performance.now();
      // `batch` events per transaction (default one): the ten-lane run needs a producer faster than its target.
      const batch = m.batch ?? 1;
      for (let i = 0; i < m.count; i += batch) {
        await server.core.events.transact(async (_tx, emit) => {
          for (let j = i; j < Math.min(m.count, i + batch); j++) {
            await emit(m.instanceIds?.[j % m.instanceIds.length] ?? instance.id, 'message.received', { chatId: groupId, text: `bench ${j}`, bench: true });
          }
        });
      }
      send({ type: 'appended', ms: performance.now() - started });
    })().catch((err: unknown) => send({ type: 'error', message: String(err) }));
  });
  return { stop: () => server.close(true) };
}

/** The write limit of a create or a change (write-limit.ts) on a fresh place. */
async function writeLimit(db: 'sqlite' | 'postgres', kind: LimitKind) {
  const limit = await startWriteLimit(freshPlace(db), kind);
  send({ type: 'ready', ...limit.info });
  return limit;
}

/**
 * The sequential-POST limit: a bare client POSTing `count` webhook-sized JSON bodies one after
 * another over one keep-alive connection (node:http, as the webhook transport does), each with
 * headers like a signed delivery's; with `lanes` > 1, that many such sequences at once, each on a
 * connection of its own. Sends the rate as `ready`.
 */
async function poster(url: string, count: number, lanes = 1) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: lanes });
  const target = new URL(url);
  const post = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const id = `msg_bench_${i}`;
      const body = JSON.stringify({
        id,
        type: 'message.received',
        instanceId: 'inst_bench',
        occurredAt: new Date().toISOString(),
        data: { chatId: '120363043968066561@g.us', text: `bench ${i}`, bench: true },
      });
      const req = http.request(target, {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'groupgate-webhooks/0.1',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
          'webhook-signature': `v1,${randomBytes(32).toString('base64')}`,
        },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end(body);
    });
  // Each lane posts its share in order; the lanes run at once.
  const lanesOf = async (first: number, total: number) => {
    let next = first;
    const lane = async () => {
      for (let i = next++; i < first + total; i = next++) await post(i);
    };
    await Promise.all(Array.from({ length: lanes }, lane));
  };
  await lanesOf(-200 * lanes, 200 * lanes); // warm-up
  const started = performance.now();
  const cpu = process.cpuUsage();
  await lanesOf(0, count);
  const seconds = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  agent.destroy();
  send({ type: 'ready', perSec: count / seconds, seconds, cpuUsPerPost: (user + system) / count });
  return { stop: async () => {} };
}

/** RSS growth for `count` idle sandbox instances, then the time to restart a server holding them. */
async function memory(count: number) {
  const place = freshPlace('sqlite');
  let server = await startServer(place);
  // Warm every path once so the measurement is the instances, not lazily loaded code.
  await benchInstance(server.app);
  gc();
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const before = process.memoryUsage();
  const createStarted = performance.now();
  for (let i = 0; i < count; i++) await server.core.instances.create({ engine: 'sandbox', name: `idle ${i}` });
  const createMs = performance.now() - createStarted;
  gc();
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const after = process.memoryUsage();
  const restartStarted = performance.now();
  server = await server.restart();
  const ready = await server.app.inject({ method: 'GET', url: '/readyz' });
  const restartMs = performance.now() - restartStarted;
  const connected = (await server.core.store.instances.list()).filter((i) => i.status === 'connected').length;
  send({
    type: 'ready',
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    createMs,
    restartMs,
    readyStatus: ready.statusCode,
    connected,
  });
  return { stop: () => server.close(true) };
}

async function main() {
  // The process's CPU time (every thread, user and system), read around a counted load.
  process.on('message', (m: ChildMessage) => {
    if (m.type !== 'cpu') return;
    const { user, system } = process.cpuUsage();
    send({ type: 'cpu', us: user + system });
  });
  const handle =
    spec.mode === 'baseline'
      ? await baseline()
      : spec.mode === 'app'
        ? await appServer(spec.db, spec.seedGroups ?? 0)
        : spec.mode === 'write-limit'
          ? await writeLimit(spec.db, spec.kind)
          : spec.mode === 'poster'
            ? await poster(spec.url, spec.count, spec.lanes)
            : await memory(spec.instances);
  process.on('message', (m: ChildMessage) => {
    if (m.type !== 'stop') return;
    void handle.stop().finally(() => {
      send({ type: 'stopped' });
      process.disconnect?.();
    });
  });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exitCode = 1;
  process.disconnect?.();
});
