/**
 * Paced requests from provider dialects: held for their turn up to GROUPGATE_PACING_HOLD_SECONDS and
 * then answered normally; past the limit 429 + Retry-After with a message saying when and why; with
 * the instance's queueWhenPaced they are queued instead. Driven through Green API, the dialect whose
 * clients add one person per call.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSandboxInstance, manualClock, startTestApp, type TestApp } from '../../support/app.js';

type Inst = { id: string; idInstance: string; token: string };

const call = (t: TestApp, inst: Inst, method: string, payload: unknown) =>
  t.request({ method: 'POST', url: `/waInstance${inst.idInstance}/${method}/${inst.token}`, payload: payload as object, key: null });

async function policy(t: TestApp, inst: Inst, patch: Record<string, unknown>) {
  const res = await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: patch });
  assert.equal(res.statusCode, 200, res.body);
}

async function members(t: TestApp, inst: Inst, groupId: string): Promise<string[]> {
  const res = await t.request({ method: 'GET', url: `/api/instances/${inst.id}/groups/${encodeURIComponent(groupId)}` });
  return (res.json() as { participants: { phone: string }[] }).participants.map((p) => p.phone);
}

describe('pacing hold (manual clock: a held request advances the clock)', () => {
  let t: TestApp;
  const clock = manualClock();
  const waits: number[] = [];
  before(async () => {
    t = await startTestApp({
      now: clock.now,
      config: { pacingHoldSeconds: 60 },
      sleep: async (ms) => {
        waits.push(ms);
        clock.advance(ms);
      },
    });
  });
  after(() => t.close());

  test('adds one call at a time: each waits its turn and answers true', async () => {
    const inst = await createSandboxInstance(t);
    await policy(t, inst, { addBatchPauseSeconds: 30, addBatchPauseJitterSeconds: 0, groupCreateIntervalSeconds: 0, groupCreateJitterSeconds: 0 });
    const created = await call(t, inst, 'createGroup', { groupName: 'Held', chatIds: ['15553330001@c.us'] });
    assert.equal(created.statusCode, 200);
    const groupId = created.json().chatId as string;
    waits.length = 0;
    const start = clock.now();
    for (let i = 2; i <= 6; i++) {
      const res = await call(t, inst, 'addGroupParticipant', { groupId, participantChatId: `1555333000${i}@c.us` });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { addParticipant: true });
    }
    // The first add ran at once; each later one waited the 30 s pause.
    assert.deepEqual(waits, [30_000, 30_000, 30_000, 30_000]);
    assert.equal(clock.now() - start, 120_000);
    assert.equal((await members(t, inst, groupId)).length, 7);
  });

  test('a group creation within the hold limit waits and is created', async () => {
    const inst = await createSandboxInstance(t);
    await policy(t, inst, { groupCreateIntervalSeconds: 45, groupCreateJitterSeconds: 0 });
    assert.equal((await call(t, inst, 'createGroup', { groupName: 'One', chatIds: ['15553330001@c.us'] })).json().created, true);
    waits.length = 0;
    const second = await call(t, inst, 'createGroup', { groupName: 'Two', chatIds: ['15553330001@c.us'] });
    assert.equal(second.statusCode, 200);
    assert.equal(second.json().created, true);
    assert.deepEqual(waits, [45_000]);
  });

  test('past the hold limit: 429, Retry-After, a message saying when and why, and nothing changes', async () => {
    const inst = await createSandboxInstance(t);
    await policy(t, inst, { addBatchPauseSeconds: 90, addBatchPauseJitterSeconds: 0 });
    const created = await call(t, inst, 'createGroup', { groupName: 'Too slow', chatIds: ['15553330001@c.us'] });
    const groupId = created.json().chatId as string;
    assert.deepEqual((await call(t, inst, 'addGroupParticipant', { groupId, participantChatId: '15553330002@c.us' })).json(), { addParticipant: true });
    waits.length = 0;
    const refused = await call(t, inst, 'addGroupParticipant', { groupId, participantChatId: '15553330003@c.us' });
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.headers['retry-after'], '90');
    const body = refused.json() as { statusCode: number; message: string };
    assert.equal(body.statusCode, 429);
    assert.match(body.message, /may run at \d{4}-\d\d-\d\dT/);
    assert.match(body.message, /later than the 60 seconds a request may wait/);
    assert.match(body.message, /paces each participant batch/);
    assert.match(body.message, /retry after 90 seconds/);
    assert.deepEqual(waits, []);
    assert.ok(!(await members(t, inst, groupId)).includes('+15553330003'));
    // Nothing was reserved by the refusal: after the pause the same call runs at once.
    clock.advance(90_000);
    assert.deepEqual((await call(t, inst, 'addGroupParticipant', { groupId, participantChatId: '15553330003@c.us' })).json(), { addParticipant: true });
    assert.deepEqual(waits, []);
  });

  test('queueWhenPaced still queues instead of holding', async () => {
    const inst = await createSandboxInstance(t);
    await policy(t, inst, { queueWhenPaced: true, groupCreateIntervalSeconds: 45, groupCreateJitterSeconds: 0 });
    assert.equal((await call(t, inst, 'createGroup', { groupName: 'First', chatIds: ['15553330001@c.us'] })).statusCode, 200);
    waits.length = 0;
    const second = await call(t, inst, 'createGroup', { groupName: 'Queued', chatIds: ['15553330001@c.us'] });
    assert.equal(second.statusCode, 200);
    assert.deepEqual(second.json(), { created: false, chatId: '', groupInviteLink: '' });
    assert.deepEqual(waits, []);
    const ops = (await t.request({ method: 'GET', url: `/api/instances/${inst.id}/operations?status=scheduled` })).json();
    assert.equal(ops.total, 1);
    assert.equal(ops.operations[0].kind, 'group.create');
  });
});

describe('pacing hold (real clock: concurrent requests take turns)', () => {
  let t: TestApp;
  const held: { ms: number; release: () => void }[] = [];
  let onHeld: () => void = () => {};
  before(async () => {
    t = await startTestApp({
      config: { pacingHoldSeconds: 120 },
      // Each held request parks here until the test releases it.
      sleep: (ms) =>
        new Promise<void>((release) => {
          held.push({ ms, release });
          onHeld();
        }),
    });
  });
  after(() => t.close());

  test('three concurrent adds get three successive turns, each answered true', async () => {
    const inst = await createSandboxInstance(t);
    await policy(t, inst, { addBatchPauseSeconds: 30, addBatchPauseJitterSeconds: 0 });
    const created = await call(t, inst, 'createGroup', { groupName: 'Concurrent', chatIds: ['15553330001@c.us'] });
    const groupId = created.json().chatId as string;
    const twoHeld = new Promise<void>((resolve) => {
      onHeld = () => held.length === 2 && resolve();
    });
    const answers = ['15553330002', '15553330003', '15553330004'].map((p) => call(t, inst, 'addGroupParticipant', { groupId, participantChatId: `${p}@c.us` }));
    await twoHeld;
    // One ran at once; the others hold for about one and two pauses.
    const turns = held.map((h) => Math.round(h.ms / 1000)).sort((a, b) => a - b);
    assert.ok(Math.abs(turns[0]! - 30) <= 1 && Math.abs(turns[1]! - 60) <= 1, `turns ${turns.join(', ')}`);
    for (const h of held) h.release();
    for (const res of await Promise.all(answers)) {
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { addParticipant: true });
    }
    assert.equal((await members(t, inst, groupId)).length, 5);
  });
});
