/** The live event stream (SSE): the key's events, as in the log, with Last-Event-ID resume. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, createSandboxInstance, databaseKinds, startTestApp, type TestApp } from '../../support/app.js';

const kinds = await databaseKinds();

interface SseEvent {
  id: string;
  data: { id: string; type: string; instanceId: string; seq: number };
}

/** Opens the stream and collects events; `until` resolves once `count` events have arrived. */
async function openStream(base: string, key: string, lastEventId?: string) {
  const controller = new AbortController();
  const res = await fetch(`${base}/api/events/stream`, {
    headers: { authorization: `Bearer ${key}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: controller.signal,
  });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let waiter: { count: number; resolve: () => void } | undefined;
  let connected!: () => void;
  const ready = new Promise<void>((resolve) => (connected = resolve));
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) {
            comments.push(block);
            if (block === ': connected') connected();
            continue;
          }
          const id = /^id: (.*)$/m.exec(block)?.[1] ?? '';
          const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as SseEvent['data'];
          events.push({ id, data });
          if (waiter && events.length >= waiter.count) waiter.resolve();
        }
      }
    } catch (err) {
      // Only the test's own abort may end the read early; a broken stream must fail the test.
      if (!controller.signal.aborted) throw err;
    }
  })();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    comments,
    ready,
    until: (count: number) => (events.length >= count ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { count, resolve }))),
    ended: reading,
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}

for (const db of kinds) {
  describe(`event stream (${db})`, () => {
    let t: TestApp;
    let base: string;
    before(async () => {
      t = await startTestApp({ db });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    });
    after(() => t.close());

    it('streams the events of the log live, only those of the key, and resumes with Last-Event-ID', async () => {
      const a = await createSandboxInstance(t);
      const b = await createSandboxInstance(t);
      const key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'a', instances: [a.id] } })).json().key as string;

      const admin = await openStream(base, ADMIN_KEY);
      const scoped = await openStream(base, key);
      assert.equal(admin.status, 200);
      assert.match(admin.contentType ?? '', /^text\/event-stream/);
      await Promise.all([admin.ready, scoped.ready]);

      await t.request({ method: 'POST', url: `/api/instances/${b.id}/groups`, payload: { name: 'B', participants: ['+15556660001'] } });
      await t.request({ method: 'POST', url: `/api/instances/${a.id}/groups`, payload: { name: 'A', participants: ['+15556660002'] } });
      await t.request({ method: 'POST', url: `/api/instances/${a.id}/messages`, payload: { chatId: '+15556660002', text: 'hi' } });

      const logA = (await t.request({ method: 'GET', url: `/api/instances/${a.id}/events` })).json().events.slice(1);
      const logB = (await t.request({ method: 'GET', url: `/api/instances/${b.id}/events` })).json().events.slice(1);
      await scoped.until(logA.length);
      await admin.until(logA.length + logB.length);
      assert.deepEqual(
        scoped.events.map((e) => e.data),
        logA,
        'the same events as the log',
      );
      assert.deepEqual(
        scoped.events.map((e) => e.id),
        logA.map((e: { id: string }) => e.id),
        'id: is the event id',
      );
      assert.deepEqual(new Set(admin.events.map((e) => e.id)), new Set([...logA, ...logB].map((e: { id: string }) => e.id)));
      await scoped.close();

      // Resume: everything after the first event, then live.
      const resumed = await openStream(base, key, logA[0].id);
      await resumed.until(logA.length - 1);
      assert.deepEqual(
        resumed.events.map((e) => e.id),
        logA.slice(1).map((e: { id: string }) => e.id),
      );
      await t.request({ method: 'POST', url: `/api/instances/${a.id}/messages`, payload: { chatId: '+15556660002', text: 'again' } });
      // The message, then its delivery receipt (never the other way round).
      await resumed.until(logA.length + 1);
      assert.deepEqual(
        resumed.events.slice(-2).map((e) => e.data.type),
        ['message.sent', 'message.status'],
      );
      assert.equal(new Set(resumed.events.map((e) => e.id)).size, resumed.events.length, 'no duplicates');
      await resumed.close();
      await admin.close();
    });

    it('revoking a key ends its open stream within a second; rotating an instance token ends its long poll', async () => {
      const a = await createSandboxInstance(t);
      const key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'revoked', instances: [a.id] } })).json();
      const stream = await openStream(base, key.key as string);
      await stream.ready;
      const ended = stream.ended.then(
        () => Date.now(),
        () => Date.now(),
      );
      const revokedAt = Date.now();
      assert.equal((await t.request({ method: 'DELETE', url: `/api/keys/${key.id}` })).statusCode, 204);
      const endedAt = await ended;
      assert.ok(endedAt - revokedAt < 1000, `the stream ended ${endedAt - revokedAt} ms after the key was deleted`);
      const before = stream.events.length;
      await t.request({ method: 'POST', url: `/api/instances/${a.id}/messages`, payload: { chatId: '+15556660002', text: 'after' } });
      assert.equal(stream.events.length, before, 'nothing arrives after the revocation');

      // A Green API long poll waiting with the instance token ends when the token is rotated.
      const green = (method: string, path: string) => fetch(`${base}/waInstance${a.idInstance}/${path}`, { method });
      for (;;) {
        const item = (await (await green('GET', `receiveNotification/${a.token}?receiveTimeout=5`)).json()) as { receiptId: number } | null;
        if (!item) break;
        await green('DELETE', `deleteNotification/${a.token}/${item.receiptId}`);
      }
      const poll = fetch(`${base}/waInstance${a.idInstance}/receiveNotification/${a.token}?receiveTimeout=30`).then(
        async (r) => ({ status: r.status, body: await r.text() }),
        () => 'closed' as const,
      );
      await new Promise((resolve) => setTimeout(resolve, 200)); // let the poll start waiting
      const rotatedAt = Date.now();
      assert.equal((await t.request({ method: 'POST', url: `/api/instances/${a.id}/token/rotate` })).statusCode, 200);
      const answer = await poll;
      assert.ok(Date.now() - rotatedAt < 1000, 'the long poll ended within a second');
      assert.equal(answer, 'closed');
      const again = await fetch(`${base}/waInstance${a.idInstance}/receiveNotification/${a.token}?receiveTimeout=1`);
      assert.equal(again.status, 401);
    });

    it('a revocation ends the reads in flight on that key, not an idle connection whose reads were answered', async () => {
      const a = await createSandboxInstance(t);
      const key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'idle', instances: [a.id] } })).json();
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const get = (path: string) =>
        new Promise<{ status: number; socket: Socket }>((resolve, reject) => {
          const req = http.get(`${base}${path}`, { agent, headers: { authorization: `Bearer ${key.key as string}` } }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket! }));
          });
          req.on('error', reject);
        });
      try {
        const answered = [];
        for (let i = 0; i < 3; i++) answered.push(await get(`/api/instances/${a.id}`));
        assert.deepEqual(
          answered.map((r) => r.status),
          [200, 200, 200],
        );
        const idle = answered[0]!.socket;
        assert.ok(
          answered.every((r) => r.socket === idle),
          'one keep-alive connection',
        );

        const stream = await openStream(base, key.key as string);
        await stream.ready;
        assert.equal((await t.request({ method: 'DELETE', url: `/api/keys/${key.id}` })).statusCode, 204);
        await stream.ended.catch(() => {}); // ended by the server: the read fails
        assert.equal(idle.destroyed, false, 'the idle connection stays open');
        const next = await get(`/api/instances/${a.id}`);
        assert.equal(next.socket, idle, 'the same connection answers the next request');
        assert.equal(next.status, 401);
      } finally {
        agent.destroy();
      }
    });

    it('refuses a malformed Last-Event-ID', async () => {
      const res = await t.request({ method: 'GET', url: '/api/events/stream', headers: { 'last-event-id': 'nope' } });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error.code, 'validation_failed');
    });

    it('ends open streams cleanly when the server closes', async () => {
      const extra = await startTestApp({ db });
      await extra.app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(extra.app.server.address() as AddressInfo).port}`;
      const stream = await openStream(url, ADMIN_KEY);
      await stream.ready;
      await extra.close();
      await stream.ended;
      assert.deepEqual(stream.comments, [': connected']);
    });
  });
}
