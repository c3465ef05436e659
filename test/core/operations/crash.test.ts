/**
 * Crash safety: the server runs as a child process and is killed with SIGKILL before, during and
 * after engine calls (and between finishing an operation and announcing it). After each restart it
 * resumes; in the end every operation finished exactly once and no group exists twice.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { api, boot, bootAndDie, type Server } from '../../support/crash.js';

describe('crash safety (SIGKILL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'groupgate-crash-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('every operation finishes exactly once and no group exists twice', async () => {
    // Phase 0: five creations, the first runs now, four are scheduled 1 s apart; killed before any runs.
    let s = (await boot(dir)) as Server;
    const inst = (await api(s, 'POST', '/api/instances', { engine: 'sandbox' })).body;
    const pacing = await api(s, 'PATCH', `/api/instances/${inst.id}/pacing`, {
      groupCreateIntervalSeconds: 1,
      groupCreateJitterSeconds: 0,
      addBatchSize: 3,
      addBatchPauseSeconds: 0,
      addBatchPauseJitterSeconds: 0,
    });
    assert.equal(pacing.status, 200);
    const names = ['c1', 'c2', 'c3', 'c4', 'c5'];
    const opIds: string[] = [];
    for (const name of names) {
      const res = await api(s, 'POST', `/api/instances/${inst.id}/groups`, { name, participants: ['+15556660001'] });
      if (name === 'c1') assert.equal(res.status, 201);
      else {
        assert.equal(res.status, 202);
        opIds.push(res.body.operation.id);
      }
    }
    // The oldest succeeded creation is c1's (under load, c2 may already have run too).
    const c1Op = (await api(s, 'GET', `/api/instances/${inst.id}/operations?kind=group.create&status=succeeded`)).body.operations.at(-1).id;
    opIds.unshift(c1Op);
    s.proc.kill('SIGKILL');
    await s.exited;

    // Before the engine call, during it, after it, and between finishing and announcing.
    await bootAndDie(dir, 'operation.before-engine');
    await bootAndDie(dir, 'engine.group-created');
    await bootAndDie(dir, 'operation.after-engine');
    await bootAndDie(dir, 'operation.after-finish');

    // Then a clean start finishes the rest.
    s = (await boot(dir)) as Server;
    const pending = (await api(s, 'GET', `/api/instances/${inst.id}/operations?kind=group.create`)).body.operations.filter((o: { status: string }) => o.status !== 'succeeded');
    for (const op of pending) await s.waitFor((l) => l === `EVENT operation.succeeded ${op.id}`);
    const ops = (await api(s, 'GET', `/api/instances/${inst.id}/operations?kind=group.create`)).body;
    assert.equal(ops.total, 5);
    assert.ok(ops.operations.every((o: { status: string }) => o.status === 'succeeded'));
    const groupOf = new Map<string, string>(ops.operations.map((o: { id: string; result: { id: string; name: string } }) => [o.result.name, o.result.id]));
    assert.deepEqual([...groupOf.keys()].sort(), names);
    assert.equal(new Set(groupOf.values()).size, 5);

    // A bulk add killed after the engine added its second batch, before that was recorded.
    s.proc.kill('SIGTERM');
    await s.exited;
    s = (await boot(dir, 'operation.after-engine#2')) as Server;
    const people = Array.from({ length: 9 }, (_, i) => `+1555666${String(1000 + i)}`);
    const bulk = await api(s, 'POST', `/api/instances/${inst.id}/groups/${encodeURIComponent(groupOf.get('c1')!)}/participants`, { participants: people });
    assert.equal(bulk.status, 202);
    await s.exited;
    assert.equal(s.proc.signalCode, 'SIGKILL');
    s = (await boot(dir)) as Server;
    await s.waitFor((l) => l === `EVENT operation.succeeded ${bulk.body.operation.id}`);
    const added = (await api(s, 'GET', `/api/instances/${inst.id}/operations/${bulk.body.operation.id}`)).body;
    assert.equal(added.result.outcomes.length, 9);
    assert.deepEqual(added.result.summary, { added: 9 });
    assert.deepEqual(
      added.result.outcomes.map((o: { participant: string }) => o.participant),
      people,
    );
    s.proc.kill('SIGTERM');
    await s.exited;

    // What the database holds: each group once, on the server and in the store, and one event per operation.
    const sqlite = new Database(join(dir, 'groupgate.db'), { readonly: true });
    try {
      const serverGroups = sqlite.prepare('select data from sandbox_groups').all() as { data: string }[];
      const subjects = serverGroups.map((r) => (JSON.parse(r.data) as { subject: string }).subject).sort();
      assert.deepEqual(subjects, names);
      const stored = sqlite.prepare('select subject from groups where instance_id = ? order by subject').all(inst.id) as { subject: string }[];
      assert.deepEqual(
        stored.map((r) => r.subject),
        names,
      );
      const c1 = JSON.parse((sqlite.prepare('select data from sandbox_groups where id = ?').get(groupOf.get('c1')) as { data: string }).data);
      assert.equal(c1.participants.length, 2 + 9);
      const events = sqlite.prepare("select data from events where instance_id = ? and type = 'operation.succeeded'").all(inst.id) as { data: string }[];
      const perOp = new Map<string, number>();
      for (const e of events) {
        const id = (JSON.parse(e.data) as { operationId: string }).operationId;
        perOp.set(id, (perOp.get(id) ?? 0) + 1);
      }
      assert.deepEqual([...perOp.keys()].sort(), [...opIds, bulk.body.operation.id].sort());
      assert.ok(
        [...perOp.values()].every((n) => n === 1),
        `one event per operation: ${JSON.stringify([...perOp])}`,
      );
      const created = sqlite.prepare("select count(*) as n from events where instance_id = ? and type = 'group.created'").get(inst.id) as { n: number };
      assert.equal(created.n, 5);
    } finally {
      sqlite.close();
    }
  });
});
