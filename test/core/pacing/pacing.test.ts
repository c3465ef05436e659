/**
 * Human pacing through the native API: defaults, policy changes, paced group creation (202 and
 * run when due), refusals for callers that cannot queue, cancellation, and the 429 backoff.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DomainError } from '../../../src/core/common/errors.js';
import { createSandboxInstance, databaseKinds, manualClock, startTestApp, type TestApp } from '../../support/app.js';

for (const db of await databaseKinds()) {
  describe(`pacing (${db})`, () => {
    let t: TestApp;
    let clock: ReturnType<typeof manualClock>;
    before(async () => {
      clock = manualClock();
      t = await startTestApp({ db, now: clock.now });
    });
    after(() => t.close());

    const createGroup = (id: string, name: string, headers: Record<string, string> = {}) =>
      t.request({ method: 'POST', url: `/api/instances/${id}/groups`, payload: { name, participants: ['+15557770001'] }, headers });

    test('an instance starts with the documented defaults', async () => {
      const inst = await createSandboxInstance(t);
      const res = await t.request({ method: 'GET', url: `/api/instances/${inst.id}/pacing` });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), {
        enabled: true,
        groupCreateIntervalSeconds: 300,
        groupCreateJitterSeconds: 120,
        groupCreateDailyCap: 20,
        addBatchSize: 5,
        addBatchPauseSeconds: 30,
        addBatchPauseJitterSeconds: 60,
        queueWhenPaced: false,
        state: { backoffUntil: null, nextGroupCreateAt: null, groupsCreatedLast24h: 0, nextAddAt: null },
      });
    });

    test('PATCH changes some fields, keeps the others, and refuses out-of-range values', async () => {
      const inst = await createSandboxInstance(t);
      const res = await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { groupCreateDailyCap: 10, queueWhenPaced: true } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().groupCreateDailyCap, 10);
      assert.equal(res.json().queueWhenPaced, true);
      assert.equal(res.json().groupCreateIntervalSeconds, 300);
      const bad = await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { addBatchSize: 0 } });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.code, 'validation_failed');
      const unknown = await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { speed: 'fast' } });
      assert.equal(unknown.statusCode, 400);
      const missing = await t.request({ method: 'GET', url: '/api/instances/nope/pacing' });
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().error.code, 'instance_not_found');
    });

    test('the second creation within 5 minutes is 202, and runs when due', async () => {
      const inst = await createSandboxInstance(t);
      const first = await createGroup(inst.id, 'First');
      assert.equal(first.statusCode, 201);
      const second = await createGroup(inst.id, 'Second');
      assert.equal(second.statusCode, 202);
      const { operation } = second.json();
      assert.equal(operation.kind, 'group.create');
      assert.equal(operation.status, 'scheduled');
      assert.deepEqual(operation.progress, { done: 0, total: 1 });
      assert.equal(second.headers.location, `/api/instances/${inst.id}/operations/${operation.id}`);
      const wait = Date.parse(operation.runAt) - clock.now();
      assert.ok(wait >= 300_000 && wait <= 420_000, `runs 5 to 7 minutes later, got ${wait} ms`);
      assert.equal(second.headers['retry-after'], String(Math.ceil(wait / 1000)));

      // Not due yet: nothing runs.
      await t.core.operationsQueue.runDue();
      assert.equal((await t.request({ method: 'GET', url: second.headers.location as string })).json().status, 'scheduled');

      clock.advance(wait);
      await t.core.operationsQueue.runDue();
      const done = await t.request({ method: 'GET', url: second.headers.location as string });
      assert.equal(done.statusCode, 200);
      const op = done.json();
      assert.equal(op.status, 'succeeded');
      assert.equal(op.attempts, 1);
      assert.equal(op.result.name, 'Second');
      assert.deepEqual(
        op.result.outcomes.map((o: { status: string }) => o.status),
        ['added'],
      );
      const group = await t.request({ method: 'GET', url: `/api/instances/${inst.id}/groups/${encodeURIComponent(op.result.id)}` });
      assert.equal(group.statusCode, 200);
      const events = await t.core.events.list(inst.id, { seq: 0 }, 500);
      const succeeded = events.filter((e) => e.type === 'operation.succeeded');
      assert.deepEqual(
        succeeded.map((e) => e.data.operationId),
        (await t.request({ method: 'GET', url: `/api/instances/${inst.id}/operations` }))
          .json()
          .operations.map((o: { id: string }) => o.id)
          .reverse(),
      );
      assert.equal(succeeded.at(-1)!.data.groupId, op.result.id);
    });

    test('a caller that cannot queue gets rate_limited with the seconds to wait', async () => {
      const inst = await createSandboxInstance(t);
      const first = await t.core.paced.createGroup(inst.id, { name: 'A', participants: ['+15557770002'] }, { whenPaced: 'refuse' });
      assert.equal(first.status, 'done');
      await assert.rejects(
        t.core.paced.createGroup(inst.id, { name: 'B', participants: ['+15557770002'] }, { whenPaced: 'refuse' }),
        (err: unknown) =>
          err instanceof DomainError &&
          err.code === 'rate_limited' &&
          err.retryAfterSeconds! >= 300 &&
          err.retryAfterSeconds! <= 420 &&
          // The refusal explains itself: what waits, until when, why, and how to have it queued.
          /next group creation may run at \S+ \(in \d+ s\)\. .*so that WhatsApp does not ban the number; .*queueWhenPaced/.test(err.message),
      );
      const ops = (await t.request({ method: 'GET', url: `/api/instances/${inst.id}/operations` })).json();
      assert.equal(ops.total, 1, 'a refusal stores nothing');
    });

    test('a cancelled operation never runs, and cannot be cancelled twice', async () => {
      const inst = await createSandboxInstance(t);
      assert.equal((await createGroup(inst.id, 'Kept')).statusCode, 201);
      const queued = await createGroup(inst.id, 'Cancelled');
      assert.equal(queued.statusCode, 202);
      const url = queued.headers.location as string;
      const cancel = await t.request({ method: 'DELETE', url });
      assert.equal(cancel.statusCode, 200);
      assert.equal(cancel.json().status, 'cancelled');
      clock.advance(3_600_000);
      await t.core.operationsQueue.runDue();
      const after = await t.request({ method: 'GET', url });
      assert.equal(after.json().status, 'cancelled');
      assert.equal(after.json().attempts, 0);
      const groups = await t.request({ method: 'GET', url: `/api/instances/${inst.id}/groups` });
      assert.deepEqual(
        groups.json().groups.map((g: { name: string }) => g.name),
        ['Kept'],
      );
      const again = await t.request({ method: 'DELETE', url });
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().error.code, 'operation_not_cancellable');
      const missing = await t.request({ method: 'DELETE', url: `/api/instances/${inst.id}/operations/op_nope` });
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().error.code, 'operation_not_found');
      // The cancelled slot is given back: the next creation is spaced after "Kept" only.
      const next = await createGroup(inst.id, 'Next');
      assert.equal(next.statusCode, 201);
    });

    test('the daily cap holds creations back for 24 hours', async () => {
      const inst = await createSandboxInstance(t);
      await t.request({
        method: 'PATCH',
        url: `/api/instances/${inst.id}/pacing`,
        payload: { groupCreateIntervalSeconds: 0, groupCreateJitterSeconds: 0, groupCreateDailyCap: 2 },
      });
      const start = clock.now();
      assert.equal((await createGroup(inst.id, 'd1')).statusCode, 201);
      assert.equal((await createGroup(inst.id, 'd2')).statusCode, 201);
      const third = await createGroup(inst.id, 'd3');
      assert.equal(third.statusCode, 202);
      assert.ok(Date.parse(third.json().operation.runAt) > start + 86_400_000 - 1);
    });

    test('participant adds: one batch runs now, the next waits for the pause, more than a batch becomes an operation', async () => {
      const inst = await createSandboxInstance(t);
      await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { addBatchSize: 2, addBatchPauseSeconds: 30, addBatchPauseJitterSeconds: 0 } });
      const g = (await createGroup(inst.id, 'Adds')).json();
      const add = (participants: string[]) =>
        t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups/${encodeURIComponent(g.id)}/participants`, payload: { participants } });
      const now1 = await add(['+15557771001']);
      assert.equal(now1.statusCode, 200);
      assert.deepEqual(
        now1.json().outcomes.map((o: { status: string }) => o.status),
        ['added'],
      );
      const paused = await add(['+15557771002']);
      assert.equal(paused.statusCode, 202);
      assert.equal(paused.headers['retry-after'], '30');
      const bulk = await add(['+15557771003', '+15557771004', '+15557771005']);
      assert.equal(bulk.statusCode, 202);
      assert.equal(bulk.json().operation.progress.total, 3);
      for (let i = 0; i < 4; i++) {
        clock.advance(30_000);
        await t.core.operationsQueue.runDue();
      }
      const a = (await t.request({ method: 'GET', url: paused.headers.location as string })).json();
      const b = (await t.request({ method: 'GET', url: bulk.headers.location as string })).json();
      assert.equal(a.status, 'succeeded');
      assert.equal(b.status, 'succeeded');
      assert.deepEqual(b.progress, { done: 3, total: 3, counts: { added: 3 } });
      assert.deepEqual(b.result.summary, { added: 3 });
      assert.equal(b.attempts, 3, 'one step found the lane taken by the other request, then two batches of at most 2');
      const members = await t.request({ method: 'GET', url: `/api/instances/${inst.id}/groups/${encodeURIComponent(g.id)}/participants` });
      assert.equal(members.json().participants.length, 7, 'the creator, the first member and five added');
    });
  });

  describe(`engine rate-overlimit backs the instance off (${db})`, () => {
    let t: TestApp;
    let clock: ReturnType<typeof manualClock>;
    before(async () => {
      clock = manualClock();
      t = await startTestApp({ db, now: clock.now, config: { sandboxGroupCreateLimitPerHour: 1 } });
    });
    after(() => t.close());

    test('a 429 from WhatsApp answers 429, persists a backoff, and pauses the queue even with pacing off', async () => {
      const inst = await createSandboxInstance(t);
      await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { enabled: false } });
      const body = (name: string) => ({ name, participants: ['+15557772001'] });
      assert.equal((await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: body('one') })).statusCode, 201);
      const limited = await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: body('two') });
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.json().error.code, 'rate_limited');
      assert.equal(limited.headers['retry-after'], '60');
      const pacing = (await t.request({ method: 'GET', url: `/api/instances/${inst.id}/pacing` })).json();
      assert.equal(pacing.state.backoffUntil, new Date(clock.now() + 60_000).toISOString());

      // While backed off, even with pacing off, a create waits for the backoff.
      const queued = await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: body('three') });
      assert.equal(queued.statusCode, 202);
      assert.equal(queued.json().operation.runAt, pacing.state.backoffUntil);

      // At the end of the backoff WhatsApp still refuses (its hour is not over): the next backoff doubles.
      clock.advance(60_000);
      await t.core.operationsQueue.runDue();
      const op1 = (await t.request({ method: 'GET', url: queued.headers.location as string })).json();
      assert.equal(op1.status, 'scheduled');
      assert.equal(op1.runAt, new Date(clock.now() + 120_000).toISOString());

      // The backoff survives a restart.
      t = await t.restart();
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${inst.id}/pacing` })).json().state.backoffUntil, op1.runAt);

      clock.advance(3_600_000);
      await t.core.operationsQueue.runDue();
      const op2 = (await t.request({ method: 'GET', url: queued.headers.location as string })).json();
      assert.equal(op2.status, 'succeeded');
      assert.equal(op2.result.name, 'three');
    });
  });
}
