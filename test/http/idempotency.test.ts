/** Idempotency-Key on the native API: replay, a reused key with another body, concurrency, scope. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type createSandboxInstance, createUnpacedInstance, databaseKinds, manualClock, startTestApp, type TestApp } from '../support/app.js';

for (const db of await databaseKinds()) {
  describe(`Idempotency-Key (${db})`, () => {
    let t: TestApp;
    let clock: ReturnType<typeof manualClock>;
    let inst: Awaited<ReturnType<typeof createSandboxInstance>>;
    before(async () => {
      clock = manualClock();
      t = await startTestApp({ db, now: clock.now });
      inst = await createUnpacedInstance(t);
    });
    after(() => t.close());

    const create = (key: string, name: string, auth?: string) =>
      t.request({
        method: 'POST',
        url: `/api/instances/${inst.id}/groups`,
        payload: { name, participants: ['+15558880001'] },
        headers: { 'idempotency-key': key, ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
      });
    const groupCount = async () => (await t.request({ method: 'GET', url: `/api/instances/${inst.id}/groups` })).json().total as number;

    test('the same key and body answer the stored response, without running again', async () => {
      const before = await groupCount();
      const first = await create('key-replay', 'Replayed');
      assert.equal(first.statusCode, 201);
      const second = await create('key-replay', 'Replayed');
      assert.equal(second.statusCode, 201);
      assert.equal(second.body, first.body);
      assert.equal(second.headers['idempotent-replayed'], 'true');
      assert.equal(await groupCount(), before + 1);
      // Still replayed after a restart: the records are in the database.
      t = await t.restart();
      const third = await create('key-replay', 'Replayed');
      assert.equal(third.statusCode, 201);
      assert.equal(third.body, first.body);
    });

    test('the same key with a different body is 422 idempotency_key_reused', async () => {
      assert.equal((await create('key-conflict', 'One')).statusCode, 201);
      const other = await create('key-conflict', 'Two');
      assert.equal(other.statusCode, 422);
      assert.equal(other.json().error.code, 'idempotency_key_reused');
      const otherPath = await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { enabled: false }, headers: { 'idempotency-key': 'key-conflict' } });
      assert.equal(otherPath.statusCode, 422);
    });

    test('two concurrent requests with one key run once; the other gets 409 idempotency_in_progress', async () => {
      const before = await groupCount();
      const [a, b] = await Promise.all([create('key-concurrent', 'Once'), create('key-concurrent', 'Once')]);
      const statuses = [a.statusCode, b.statusCode].sort();
      assert.ok(
        (statuses[0] === 201 && statuses[1] === 409) || (statuses[0] === 201 && statuses[1] === 201),
        `one runs, the other waits its turn or is told to retry: ${statuses}`,
      );
      const loser = a.statusCode === 409 ? a : b.statusCode === 409 ? b : undefined;
      if (loser) {
        assert.equal(loser.json().error.code, 'idempotency_in_progress');
        assert.equal(loser.headers['retry-after'], '1');
      }
      assert.equal(await groupCount(), before + 1);
      const later = await create('key-concurrent', 'Once');
      assert.equal(later.statusCode, 201);
      assert.equal(later.headers['idempotent-replayed'], 'true');
    });

    test('a request still in progress keeps the key; a lost one frees it after the lock', async () => {
      const scope = 'admin:root';
      const t0 = clock.now();
      await t.core.idempotency.claim({ scope, key: 'key-held', fingerprint: 'x', holder: 'node-elsewhere', lockedUntil: t0 + 130_000, expiresAt: t0 + 86_400_000 }, t0);
      const held = await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { enabled: false }, headers: { 'idempotency-key': 'key-held' } });
      assert.equal(held.statusCode, 422, 'another fingerprint is a reuse even while in progress');
      clock.advance(131_000);
      const free = await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { enabled: false }, headers: { 'idempotency-key': 'key-held' } });
      assert.equal(free.statusCode, 200);
    });

    test('keys are scoped to the caller: another key with the same Idempotency-Key runs its own request', async () => {
      const key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'tenant', instances: [inst.id] } })).json().key as string;
      const before = await groupCount();
      assert.equal((await create('key-scoped', 'Scoped')).statusCode, 201);
      const other = await create('key-scoped', 'Scoped', key);
      assert.equal(other.statusCode, 201);
      assert.equal(other.headers['idempotent-replayed'], undefined);
      assert.equal(await groupCount(), before + 2);
    });

    test('records expire after 24 hours; 429 and errors before the handler are not stored', async () => {
      assert.equal((await create('key-expiry', 'Old')).statusCode, 201);
      clock.advance(24 * 3_600_000 + 1);
      const fresh = await create('key-expiry', 'New');
      assert.equal(fresh.statusCode, 201, 'an expired key is a new key');
      const bad = await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: { name: 'x' }, headers: { 'idempotency-key': 'key-bad' } });
      assert.equal(bad.statusCode, 400);
      assert.equal((await create('key-bad', 'Fine')).statusCode, 201, 'a body that failed validation did not hold the key');
      const invalid = await create('bad key with spaces', 'x');
      assert.equal(invalid.statusCode, 400);
    });

    test('a stored answer never holds a secret: the replay withholds it and says so', async () => {
      const post = () => t.request({ method: 'POST', url: '/api/keys', payload: { name: 'shown once' }, headers: { 'idempotency-key': 'key-secret' } });
      const first = await post();
      assert.equal(first.statusCode, 201);
      const secret = first.json().key as string;
      assert.match(secret, /^gg_/);
      const replay = await post();
      assert.equal(replay.statusCode, 201);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.equal(replay.headers['idempotent-secrets-withheld'], 'true');
      assert.equal(replay.json().key, '[withheld]');
      assert.equal(replay.json().id, first.json().id);
      const rows = await t.core.database.db.selectFrom('idempotency_keys').select('response_body').execute();
      assert.ok(
        rows.every((r) => !(r.response_body ?? '').includes(secret)),
        'no stored answer contains the secret',
      );
    });

    test('a replayed 202 carries the Location of its operation', async () => {
      await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { enabled: true } });
      await create('key-paced-1', 'Paced one');
      const first = await create('key-paced-2', 'Paced two');
      assert.equal(first.statusCode, 202);
      const again = await create('key-paced-2', 'Paced two');
      assert.equal(again.statusCode, 202);
      assert.equal(again.headers.location, first.headers.location);
      assert.equal(again.json().operation.id, first.json().operation.id);
      const ops = (await t.request({ method: 'GET', url: `/api/instances/${inst.id}/operations?kind=group.create&status=scheduled` })).json();
      assert.equal(ops.total, 1);
      await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { enabled: false } });
    });
  });
}
