/**
 * Idempotency across a crash: the server is killed (SIGKILL) at every crash point while a request
 * with an Idempotency-Key is in flight; the client retries the same request after the restart. The
 * retry answers the outcome of the first attempt (no 409 for minutes, no new operation) and the
 * store and the emulator hold exactly one group.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { api, boot, type Server } from '../../support/crash.js';

const POINTS = ['operation.before-engine', 'engine.group-created', 'operation.after-engine', 'operation.before-finish', 'operation.after-finish', 'idempotency.before-record'];

/** Sends the request; the server is expected to die on it (the connection drops). */
async function sendAndDie(s: Server, path: string, body: unknown, key: string): Promise<void> {
  const sent = api(s, 'POST', path, body, { 'idempotency-key': key }).then(
    (r) => r.status,
    () => 'dropped' as const,
  );
  await s.exited;
  assert.equal(s.proc.signalCode, 'SIGKILL', 'the server died at the crash point');
  assert.equal(await sent, 'dropped');
}

/** Retries like a client: on 409 idempotency_in_progress, again after Retry-After. */
async function retry(s: Server, path: string, body: unknown, key: string) {
  for (let i = 0; i < 30; i++) {
    const r = await api(s, 'POST', path, body, { 'idempotency-key': key });
    if (r.status !== 409) return r;
    assert.equal(r.body.error.code, 'idempotency_in_progress');
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error('still in progress after 30 retries');
}

function groupsNamed(dir: string, instanceId: string, name: string) {
  const sqlite = new Database(join(dir, 'groupgate.db'), { readonly: true });
  try {
    const server = (sqlite.prepare('select data from sandbox_groups').all() as { data: string }[]).filter((r) => (JSON.parse(r.data) as { subject: string }).subject === name);
    const stored = sqlite.prepare('select group_id from groups where instance_id = ? and subject = ?').all(instanceId, name) as { group_id: string }[];
    const ops = sqlite.prepare("select id from operations where instance_id = ? and kind = 'group.create' and input like ?").all(instanceId, `%"${name}"%`) as { id: string }[];
    return { server: server.length, stored: stored.map((r) => r.group_id), ops: ops.length };
  } finally {
    sqlite.close();
  }
}

describe('Idempotency-Key across a crash (SIGKILL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'groupgate-crash-idem-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const point of POINTS) {
    test(`killed at ${point} during a 201: the retry answers the one group created`, async () => {
      let s = (await boot(dir, point)) as Server;
      const inst = (await api(s, 'POST', '/api/instances', { engine: 'sandbox' })).body;
      const name = `crash ${point}`;
      const path = `/api/instances/${inst.id}/groups`;
      const body = { name, participants: ['+15556660001'] };
      await sendAndDie(s, path, body, `key-${point}`);

      s = (await boot(dir)) as Server;
      try {
        const first = await retry(s, path, body, `key-${point}`);
        assert.equal(first.status, 201, JSON.stringify(first.body));
        assert.equal(first.body.name, name);
        const again = await retry(s, path, body, `key-${point}`);
        assert.equal(again.status, 201);
        assert.equal(again.body.id, first.body.id);
        assert.equal(again.headers.get('idempotent-replayed'), 'true');
        const held = groupsNamed(dir, inst.id, name);
        assert.deepEqual(held, { server: 1, stored: [first.body.id], ops: 1 });
      } finally {
        s.proc.kill('SIGTERM');
        await s.exited;
      }
    });
  }

  test('killed after a 202 was decided but before it was recorded: the retry answers the same operation, and one group follows', async () => {
    let s = (await boot(dir, 'idempotency.before-record')) as Server;
    const inst = (await api(s, 'POST', '/api/instances', { engine: 'sandbox' })).body;
    await api(s, 'PATCH', `/api/instances/${inst.id}/pacing`, { groupCreateIntervalSeconds: 2, groupCreateJitterSeconds: 0 });
    const path = `/api/instances/${inst.id}/groups`;
    assert.equal((await api(s, 'POST', path, { name: 'paced first', participants: ['+15556660001'] })).status, 201);
    const body = { name: 'paced second', participants: ['+15556660001'] };
    await sendAndDie(s, path, body, 'key-202');

    s = (await boot(dir)) as Server;
    try {
      const first = await retry(s, path, body, 'key-202');
      assert.equal(first.status, 202, JSON.stringify(first.body));
      const opId = first.body.operation.id as string;
      const again = await retry(s, path, body, 'key-202');
      assert.equal(again.status, 202);
      assert.equal(again.body.operation.id, opId);
      await s.waitFor((l) => l === `EVENT operation.succeeded ${opId}`);
      const held = groupsNamed(dir, inst.id, 'paced second');
      assert.equal(held.server, 1);
      assert.equal(held.stored.length, 1);
      assert.equal(held.ops, 1);
    } finally {
      s.proc.kill('SIGTERM');
      await s.exited;
    }
  });
});
