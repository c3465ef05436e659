/**
 * Delivery lanes under load and races: many instances at once (order per instance, every outcome
 * listed), and a replay issued while an event is in flight (the replay wins: nothing is skipped).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createSandboxInstance, databaseKinds, startTestApp, type TestApp } from '../../../support/app.js';

const kinds = await databaseKinds();

interface Hit {
  id: string;
  body: { id: string; seq: number; instanceId: string; type: string };
  headers: Record<string, string>;
  raw: string;
}

/** A receiver that records every request and lets the test hold answers back. */
async function holdingReceiver() {
  const hits: Hit[] = [];
  const waiters: { when: () => boolean; resolve: () => void }[] = [];
  let hold: ((hit: Hit) => Promise<void>) | undefined;
  let status: (hit: Hit) => number = () => 200;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const hit: Hit = { id: headers['webhook-id']!, body: JSON.parse(raw) as Hit['body'], headers, raw };
      hits.push(hit);
      for (const w of [...waiters]) {
        if (!w.when()) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      void (hold ? hold(hit) : Promise.resolve()).then(() => res.writeHead(status(hit)).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`,
    hits,
    holdWith(fn: ((hit: Hit) => Promise<void>) | undefined) {
      hold = fn;
    },
    answerWith(fn: (hit: Hit) => number) {
      status = fn;
    },
    /** Resolves once `when` holds; fails after `timeoutMs` so a lost event fails the test instead of hanging it. */
    waitFor(when: () => boolean, timeoutMs = 15_000): Promise<void> {
      if (when()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver: condition not met within ${timeoutMs} ms (${hits.length} requests)`)), timeoutMs);
        waiters.push({
          when,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function logIds(t: TestApp, instanceId: string): Promise<string[]> {
  const res = await t.request({ method: 'GET', url: `/api/instances/${instanceId}/events?limit=1000` });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json().events as { id: string }[]).map((e) => e.id);
}

for (const db of kinds) {
  describe(`webhook lanes (${db})`, () => {
    it('delivers a burst over ten instances: every event once, in order per instance, each listed as delivered', async () => {
      const t = await startTestApp({ db });
      const rx = await holdingReceiver();
      try {
        const instances: string[] = [];
        for (let i = 0; i < 10; i++) instances.push((await createSandboxInstance(t)).id);
        const created = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: rx.url, instances, events: ['message.*'] } });
        assert.equal(created.statusCode, 201, created.body);
        const sub = created.json() as { id: string; secret: string };
        const perInstance = 15;
        for (let n = 0; n < perInstance; n++) {
          for (const id of instances) await t.core.events.transact((_tx, emit) => emit(id, 'message.received', { chatId: '15550001111@s.whatsapp.net', text: `burst ${n}` }));
        }
        const total = perInstance * instances.length;
        await rx.waitFor(() => rx.hits.length >= total);
        await t.core.webhookWorker.idle();

        const wh = new Webhook(sub.secret);
        for (const hit of rx.hits) wh.verify(hit.raw, hit.headers);
        assert.equal(rx.hits.length, total, 'no event is sent twice when nothing fails');
        for (const id of instances) {
          const expected = (await logIds(t, id)).slice(-perInstance);
          assert.deepEqual(
            rx.hits.filter((h) => h.body.instanceId === id).map((h) => h.id),
            expected,
            `order of ${id}`,
          );
        }
        const listed = await t.request({ method: 'GET', url: `/api/webhooks/${sub.id}/deliveries?status=delivered&limit=500` });
        assert.equal(listed.statusCode, 200);
        const deliveries = listed.json().deliveries as { eventId: string; attempts: number; lastStatusCode: number; status: string }[];
        assert.equal(deliveries.length, total);
        assert.deepEqual(new Set(deliveries.map((d) => d.eventId)), new Set(rx.hits.map((h) => h.id)));
        assert.ok(deliveries.every((d) => d.attempts === 1 && d.lastStatusCode === 200 && d.status === 'delivered'));
      } finally {
        await t.close();
        await rx.close();
      }
    });

    it('drains a backlog longer than one read with a failed answer in it: each event once in order, the failed one again before any later one', async () => {
      const t = await startTestApp({ db, config: { webhookRetryBaseMs: 10 } });
      const rx = await holdingReceiver();
      try {
        const inst = await createSandboxInstance(t);
        const created = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: rx.url, instances: [inst.id], enabled: false } });
        assert.equal(created.statusCode, 201, created.body);
        const sub = created.json() as { id: string };
        const count = 250;
        for (let i = 0; i < count; i += 50) {
          await t.core.events.transact(async (_tx, emit) => {
            for (let j = i; j < i + 50; j++) await emit(inst.id, 'message.received', { chatId: '15550001111@s.whatsapp.net', text: `backlog ${j}` });
          });
        }
        const log = (await logIds(t, inst.id)).slice(-count);
        // The 150th event (in the middle of the second read) is answered 500 the first time.
        const failing = log[149]!;
        rx.answerWith((hit) => (hit.id === failing && rx.hits.filter((h) => h.id === failing).length === 1 ? 500 : 200));
        const enabled = await t.request({ method: 'PATCH', url: `/api/webhooks/${sub.id}`, payload: { enabled: true } });
        assert.equal(enabled.statusCode, 200, enabled.body);
        await rx.waitFor(() => rx.hits.length >= count + 1);
        await t.core.webhookWorker.idle();
        assert.deepEqual(
          rx.hits.map((h) => h.id),
          [...log.slice(0, 150), ...log.slice(149)],
          'in log order; the failed event is sent again, and nothing after it goes before it',
        );
        const listed = (await t.request({ method: 'GET', url: `/api/webhooks/${sub.id}/deliveries?status=delivered&limit=500` })).json().deliveries as {
          eventId: string;
          attempts: number;
        }[];
        assert.equal(listed.length, count);
        assert.equal(listed.find((d) => d.eventId === failing)?.attempts, 2);
      } finally {
        await t.close();
        await rx.close();
      }
    });

    it('a replay issued while an event is in flight wins: the lane starts again from the replay point', async () => {
      const t = await startTestApp({ db });
      const rx = await holdingReceiver();
      try {
        const inst = await createSandboxInstance(t);
        const created = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: rx.url, instances: [inst.id] } });
        const sub = created.json() as { id: string };
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let held = false;
        rx.holdWith(async () => {
          if (held) return;
          held = true;
          await released;
        });
        await t.core.events.transact((_tx, emit) => emit(inst.id, 'message.received', { chatId: '15550001111@s.whatsapp.net', text: 'in flight' }));
        await rx.waitFor(() => rx.hits.length === 1);
        const log = await logIds(t, inst.id);
        assert.equal(rx.hits[0]!.id, log.at(-1));

        const replay = await t.request({ method: 'POST', url: `/api/webhooks/${sub.id}/replay`, payload: { from: log[0]! } });
        assert.equal(replay.statusCode, 202, replay.body);
        release();
        await rx.waitFor(() => rx.hits.length >= 1 + log.length);
        await t.core.webhookWorker.idle();
        assert.deepEqual(
          rx.hits.slice(1).map((h) => h.id),
          log,
          'every event from the replay point is sent again, in order',
        );
        const delivered = (await t.request({ method: 'GET', url: `/api/webhooks/${sub.id}/deliveries?status=delivered` })).json().deliveries as { eventId: string }[];
        assert.deepEqual(delivered.map((d) => d.eventId).sort(), [...log].sort(), 'the attempt cut across by the replay is not recorded');
      } finally {
        await t.close();
        await rx.close();
      }
    });
  });
}
