/** A server killed (SIGKILL) in the middle of a webhook backlog resumes after restart: nothing lost. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startReceiver } from '../../../support/fixtures/webhook-receiver.js';

const ADMIN = 'restart-test-admin-key-0123456789';
const entry = fileURLToPath(new URL('../../../support/fixtures/webhook-server.ts', import.meta.url));

/** Starts the server in a child process on `dir`; resolves with its URL once it listens. */
async function startChild(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: {
      ...process.env,
      GROUPGATE_WEBHOOK_ALLOW_PRIVATE: 'true', // the receiver listens on loopback
      GROUPGATE_DATA_DIR: dir,
      GROUPGATE_DATABASE_URL: '',
      GROUPGATE_ADMIN_KEY: ADMIN,
      GROUPGATE_HOST: '127.0.0.1',
      GROUPGATE_PORT: '0',
      GROUPGATE_LOG_LEVEL: 'error',
      GROUPGATE_WEBHOOK_RETRY_BASE_MS: '25',
      GROUPGATE_SANDBOX_GROUP_CREATE_LIMIT_PER_HOUR: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited early with ${code}`)));
    lines.on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { ready?: string };
        if (parsed.ready) resolve(parsed.ready);
      } catch {
        // log lines
      }
    });
  });
  return { child, url };
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

async function call(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

describe('webhook delivery across a crash', () => {
  it('resumes a backlog after SIGKILL and delivers every event once, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'groupgate-restart-'));
    const rx = await startReceiver();
    rx.respond(500);
    let server = await startChild(dir);
    try {
      const inst = await call(server.url, 'POST', '/api/instances', { engine: 'sandbox' });
      assert.equal(inst.status, 201);
      const id = inst.json.id as string;
      const sub = await call(server.url, 'POST', '/api/webhooks', { url: rx.url, instances: [id] });
      assert.equal(sub.status, 201);
      const group = await call(server.url, 'POST', `/api/instances/${id}/groups`, { name: 'Crash', participants: ['+15558880001', '+15558880002'] });
      assert.equal(group.status, 201, JSON.stringify(group.json));
      const base = `/api/instances/${id}/groups/${encodeURIComponent(group.json.id)}`;
      assert.equal((await call(server.url, 'POST', `${base}/participants`, { participants: ['+15558880003'] })).status, 200);
      assert.equal((await call(server.url, 'POST', `${base}/participants/promote`, { participants: ['+15558880003'] })).status, 200);
      assert.equal((await call(server.url, 'DELETE', `${base}/participants`, { participants: ['+15558880001'] })).status, 200);

      // The receiver is failing: the first event is being retried, the rest wait behind it.
      await rx.waitFor((r) => r.length >= 3);
      server.child.kill('SIGKILL');
      await exited(server.child);
      const beforeRestart = rx.received.length;
      assert.ok(rx.received.every((r) => r.status === 500));
      assert.equal(new Set(rx.received.map((r) => r.headers['webhook-id'])).size, 1, 'nothing passed the failing first event');

      rx.respond(200);
      server = await startChild(dir);
      const log = (await call(server.url, 'GET', `/api/instances/${id}/events?limit=1000`)).json.events as { id: string; seq: number }[];
      const expected = log.slice(1).map((e) => e.id); // the subscription started after instance.status
      assert.ok(expected.length >= 5, `backlog of ${expected.length}`);
      await rx.waitFor((r) => new Set(r.filter((x) => x.status === 200).map((x) => x.headers['webhook-id'])).size >= expected.length);
      const acked = rx.verified(sub.json.secret as string).map((g) => g.id);
      assert.deepEqual(acked, expected, 'every event once, in order');
      assert.ok(rx.received.length > beforeRestart);
      const deliveries = await call(server.url, 'GET', `/api/webhooks/${sub.json.id}/deliveries?status=failed`);
      assert.deepEqual(deliveries.json.deliveries, []);
    } finally {
      server.child.kill('SIGTERM');
      await exited(server.child);
      await rx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
