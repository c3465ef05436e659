/** A paced operation says what it will do: its summary on the 202 answer, on GET and in the list. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSandboxInstance, databaseKinds, manualClock, startTestApp, type TestApp } from '../../support/app.js';

const phones = (n: number, from: number) => Array.from({ length: n }, (_, i) => `+1555777${String(from + i).padStart(4, '0')}`);

for (const db of await databaseKinds()) {
  describe(`operation summary (${db})`, () => {
    let t: TestApp;
    let inst: Awaited<ReturnType<typeof createSandboxInstance>>;
    let groupId: string;
    before(async () => {
      const clock = manualClock();
      t = await startTestApp({ db, now: clock.now });
      inst = await createSandboxInstance(t);
      const policy = await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { enabled: false } });
      assert.equal(policy.statusCode, 200);
      const made = await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: { name: 'Book club', participants: phones(1, 1) } });
      assert.equal(made.statusCode, 201);
      groupId = made.json().id;
      const paced = await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { enabled: true, addBatchSize: 5 } });
      assert.equal(paced.statusCode, 200);
    });
    after(() => t.close());

    const read = async (id: string) => {
      const res = await t.request({ method: 'GET', url: `/api/instances/${inst.id}/operations/${id}` });
      assert.equal(res.statusCode, 200);
      return res.json();
    };

    test('a paced group creation names the group and counts its people, on the 202 and on GET', async () => {
      const create = (name: string) => t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: { name, participants: phones(3, 10) } });
      let res = await create('Garden crew');
      // The first creation may run at once; the next one is paced.
      if (res.statusCode === 201) res = await create('Garden crew');
      assert.equal(res.statusCode, 202, res.body);
      const op = res.json().operation;
      const expected = { groupName: 'Garden crew', participants: 3, description: 'Create the group "Garden crew" with 3 people' };
      assert.deepEqual(op.summary, expected);
      assert.deepEqual((await read(op.id)).summary, expected);
      await t.request({ method: 'DELETE', url: `/api/instances/${inst.id}/operations/${op.id}` });
    });

    test('a paced add names the stored group, counts the people and gives the batch size', async () => {
      const res = await t.request({
        method: 'POST',
        url: `/api/instances/${inst.id}/groups/${encodeURIComponent(groupId)}/participants`,
        payload: { participants: phones(12, 100) },
      });
      assert.equal(res.statusCode, 202, res.body);
      const op = res.json().operation;
      const expected = { groupId, groupName: 'Book club', participants: 12, batchSize: 5, description: 'Add 12 people to "Book club" in batches of 5' };
      assert.deepEqual(op.summary, expected);
      assert.deepEqual((await read(op.id)).summary, expected);
      const list = await t.request({ method: 'GET', url: `/api/instances/${inst.id}/operations?kind=participants.add` });
      assert.equal(list.statusCode, 200);
      assert.deepEqual(list.json().operations.find((o: { id: string }) => o.id === op.id).summary, expected);
    });
  });
}
