/** Provider dialects refuse paced requests with 429 + Retry-After, unless the instance queues them. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSandboxInstance, manualClock, startTestApp, type TestApp } from '../../support/app.js';

describe('Green API createGroup under pacing', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ now: manualClock().now });
  });
  after(() => t.close());

  const create = (inst: { idInstance: string; token: string }, groupName: string) =>
    t.request({ method: 'POST', url: `/waInstance${inst.idInstance}/createGroup/${inst.token}`, payload: { groupName, chatIds: ['15553330001@c.us'] }, key: null });

  test('the second creation within 5 minutes answers 429 with Retry-After and stores nothing', async () => {
    const inst = await createSandboxInstance(t);
    const first = await create(inst, 'First');
    assert.equal(first.statusCode, 200);
    assert.equal(first.json().created, true);
    const second = await create(inst, 'Second');
    assert.equal(second.statusCode, 429);
    const retry = Number(second.headers['retry-after']);
    assert.ok(retry >= 300 && retry <= 420, `Retry-After ${retry}`);
    const ops = (await t.request({ method: 'GET', url: `/api/instances/${inst.id}/operations` })).json();
    assert.equal(ops.total, 1);
  });

  test('with queueWhenPaced the creation is queued as an operation instead', async () => {
    const inst = await createSandboxInstance(t);
    await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { queueWhenPaced: true } });
    assert.equal((await create(inst, 'First')).statusCode, 200);
    const second = await create(inst, 'Queued');
    assert.equal(second.statusCode, 200);
    assert.equal(second.json().created, false);
    const ops = (await t.request({ method: 'GET', url: `/api/instances/${inst.id}/operations?status=scheduled` })).json();
    assert.equal(ops.total, 1);
    assert.equal(ops.operations[0].kind, 'group.create');
  });
});
