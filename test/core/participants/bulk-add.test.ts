/** Paced bulk adds: 500 sandbox numbers with mixed outcomes, in batches, across a restart. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSandboxInstance, databaseKinds, manualClock, startTestApp, type TestApp } from '../../support/app.js';

const phone = (i: number) => `+1555990${String(i).padStart(4, '0')}`;

for (const db of await databaseKinds()) {
  describe(`bulk participant adds (${db})`, () => {
    let t: TestApp;
    let clock: ReturnType<typeof manualClock>;
    before(async () => {
      clock = manualClock();
      t = await startTestApp({ db, now: clock.now });
    });
    after(() => t.close());

    test('500 numbers become one operation that ends with exactly 500 outcomes', async () => {
      const inst = await createSandboxInstance(t);
      const all = Array.from({ length: 500 }, (_, i) => phone(i));
      // 50 refuse adds by privacy (they get a private invite), 50 are not on WhatsApp, 5 are already in.
      for (let i = 0; i < 50; i++) await t.core.sandbox.seedAccount(all[i]!.slice(1), { groupAddPrivacy: 'nobody' });
      for (let i = 50; i < 100; i++) await t.core.sandbox.seedAccount(all[i]!.slice(1), { registered: false });
      const created = await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: { name: 'Bulk', participants: all.slice(100, 105) } });
      assert.equal(created.statusCode, 201);
      const groupId = encodeURIComponent(created.json().id);
      await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { addBatchSize: 50, addBatchPauseSeconds: 60, addBatchPauseJitterSeconds: 0 } });

      const res = await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups/${groupId}/participants`, payload: { participants: all } });
      assert.equal(res.statusCode, 202);
      const url = res.headers.location as string;
      assert.deepEqual(res.json().operation.progress, { done: 0, total: 500, counts: {} });

      // Three batches, then the server restarts; the rest follows on the new one.
      // (The clock moves past the next pause only after the look midway: the background runner may run what is due at any moment.)
      for (let i = 0; i < 3; i++) {
        if (i > 0) clock.advance(60_000);
        await t.core.operationsQueue.runDue();
      }
      const midway = (await t.request({ method: 'GET', url })).json();
      assert.equal(midway.status, 'scheduled');
      assert.equal(midway.progress.done, 150);
      clock.advance(60_000);
      t = await t.restart();
      for (let i = 0; i < 10; i++) {
        await t.core.operationsQueue.runDue();
        clock.advance(60_000);
      }
      const done = (await t.request({ method: 'GET', url })).json();
      assert.equal(done.status, 'succeeded');
      assert.equal(done.attempts, 10);
      assert.equal(done.result.outcomes.length, 500);
      assert.deepEqual(
        done.result.outcomes.map((o: { participant: string }) => o.participant),
        all,
        'one outcome per number, in the order sent',
      );
      const expected = { invited: 50, not_on_whatsapp: 50, already_member: 5, added: 395 };
      assert.deepEqual(done.result.summary, expected);
      assert.deepEqual(done.progress, { done: 500, total: 500, counts: expected });
      assert.ok(done.result.outcomes.slice(0, 50).every((o: { inviteSent: boolean }) => o.inviteSent));

      const members = await t.request({ method: 'GET', url: `/api/instances/${inst.id}/groups/${groupId}/participants` });
      assert.equal(members.json().participants.length, 1 + 5 + 395);
      const events = await t.core.events.list(inst.id, { seq: 0 }, 10_000);
      const finished = events.filter((e) => e.type === 'operation.succeeded' && e.data.operationId === done.id);
      assert.equal(finished.length, 1);
      assert.deepEqual(finished[0]!.data.progress, done.progress);
    });

    test('an unknown group is refused at once, not after the wait', async () => {
      const inst = await createSandboxInstance(t);
      const res = await t.request({
        method: 'POST',
        url: `/api/instances/${inst.id}/groups/120363000000000001%40g.us/participants`,
        payload: { participants: Array.from({ length: 20 }, (_, i) => phone(900 + i)) },
      });
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().error.code, 'group_not_found');
    });
  });
}
