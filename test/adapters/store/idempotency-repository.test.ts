/** The IdempotencyRepository port (and the retention pruner of its records) on SQLite and PostgreSQL. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIdempotencyRepository } from '../../../src/adapters/store/kysely/idempotency.js';
import type { IdempotencyRepository } from '../../../src/core/ports/idempotency.js';
import { databaseKinds } from '../../support/app.js';
import { useDatabase } from '../../support/database.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const HOUR = 3_600_000;
const record = (key: string, overrides: { fingerprint?: string; lockedUntil?: number; expiresAt?: number; scope?: string; holder?: string } = {}) => ({
  scope: overrides.scope ?? 'key:k1',
  key,
  fingerprint: overrides.fingerprint ?? 'fp-1',
  lockedUntil: overrides.lockedUntil ?? T0 + 60_000,
  holder: overrides.holder ?? 'node-a',
  expiresAt: overrides.expiresAt ?? T0 + 24 * HOUR,
});
const won = (expiresAt = T0 + 24 * HOUR) => ({ claimed: true, expiresAt });
const response = { status: 201, headers: { 'content-type': 'application/json' }, body: '{"id":"x"}' };

for (const kind of await databaseKinds()) {
  describe(`idempotency repository on ${kind}`, () => {
    const place = useDatabase(kind, 'idem');
    const repo = (): IdempotencyRepository => createIdempotencyRepository(place.handle.db);

    it('claim inserts an in_progress record once; a second claim answers the existing record', async () => {
      assert.deepEqual(await repo().claim(record('a'), T0), won());
      const second = await repo().claim(record('a', { fingerprint: 'fp-2' }), T0 + 1);
      assert.equal(second.claimed, false);
      assert.ok(!second.claimed);
      assert.deepEqual(second.existing, { ...record('a'), state: 'in_progress', response: null });
    });

    it('keys are per scope', async () => {
      assert.deepEqual(await repo().claim(record('a', { scope: 'key:k2' }), T0), won());
    });

    it('complete stores the response: a later claim answers it as done', async () => {
      await repo().complete('key:k1', 'a', response);
      const again = await repo().claim(record('a'), T0 + 2);
      assert.ok(!again.claimed);
      assert.equal(again.existing.state, 'done');
      assert.deepEqual(again.existing.response, response);
      // Completing a key never claimed writes nothing.
      await repo().complete('key:k1', 'never-claimed', response);
      assert.deepEqual(await repo().claim(record('never-claimed'), T0), won());
    });

    it('release forgets a key (idempotent): the next claim wins', async () => {
      await repo().claim(record('r'), T0);
      await repo().release('key:k1', 'r');
      await repo().release('key:k1', 'r');
      await repo().release('key:k1', 'missing');
      assert.deepEqual(await repo().claim(record('r'), T0), won());
    });

    it('an in_progress record whose lock lapsed is replaced; a live lock is not', async () => {
      await repo().claim(record('lock', { lockedUntil: T0 + 1000 }), T0);
      const live = await repo().claim(record('lock', { fingerprint: 'fp-new' }), T0 + 999);
      assert.equal(live.claimed, false);
      assert.deepEqual(await repo().claim(record('lock', { fingerprint: 'fp-new', lockedUntil: T0 + 5000 }), T0 + 1000), won());
      const now = await repo().claim(record('lock'), T0 + 1001);
      assert.ok(!now.claimed);
      assert.equal(now.existing.fingerprint, 'fp-new');
    });

    it('the same request takes over a lapsed lease and keeps the expiry of the record; renew and abandonOthers move leases', async () => {
      await repo().claim(record('lease', { lockedUntil: T0 + 1000, expiresAt: T0 + HOUR, holder: 'node-dead' }), T0);
      const live = await repo().claim(record('lease', { holder: 'node-b' }), T0 + 500);
      assert.ok(!live.claimed);
      assert.equal(live.existing.holder, 'node-dead');
      // Lapsed: the same request takes it over, and the expiry it was claimed with stays.
      assert.deepEqual(await repo().claim(record('lease', { holder: 'node-b', lockedUntil: T0 + 2000, expiresAt: T0 + 9 * HOUR }), T0 + 1000), won(T0 + HOUR));
      await repo().renew('node-b', T0 + 60_000);
      const renewed = await repo().claim(record('lease', { holder: 'node-c' }), T0 + 30_000);
      assert.ok(!renewed.claimed);
      assert.equal(renewed.existing.lockedUntil, T0 + 60_000);
      // A new process on the same node ends every lease another process held.
      assert.ok((await repo().abandonOthers('node-c')) >= 1);
      assert.deepEqual(await repo().claim(record('lease', { holder: 'node-c' }), T0 + 30_001), won(T0 + HOUR));
      assert.equal(await repo().abandonOthers('node-c'), 0);
    });

    it('a done record is kept past its lock but replaced once expired', async () => {
      await repo().claim(record('exp', { lockedUntil: T0 + 1000, expiresAt: T0 + HOUR }), T0);
      await repo().complete('key:k1', 'exp', response);
      const kept = await repo().claim(record('exp', { fingerprint: 'fp-x' }), T0 + 2000);
      assert.ok(!kept.claimed);
      assert.equal(kept.existing.state, 'done');
      assert.deepEqual(await repo().claim(record('exp', { fingerprint: 'fp-x', expiresAt: T0 + 3 * HOUR }), T0 + HOUR), won(T0 + 3 * HOUR));
    });

    it('concurrent claims of one key: exactly one wins', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, () => repo().claim(record('race'), T0)));
      assert.equal(results.filter((r) => r.claimed).length, 1);
    });

    it('prune deletes the records expired at or before now and answers how many', async () => {
      await repo().claim(record('p1', { scope: 'prune', expiresAt: T0 + 10 }), T0);
      await repo().claim(record('p2', { scope: 'prune', expiresAt: T0 + 20 }), T0);
      await repo().claim(record('p3', { scope: 'prune', expiresAt: T0 + 100 * HOUR }), T0);
      const before = await repo().prune(T0 + 20);
      assert.ok(before >= 2, `pruned ${before}`);
      assert.equal(await repo().prune(T0 + 20), 0);
      assert.deepEqual(await repo().claim(record('p1', { scope: 'prune', expiresAt: T0 + 100 * HOUR }), T0 + 21), won(T0 + 100 * HOUR));
      assert.equal((await repo().claim(record('p3', { scope: 'prune' }), T0 + 21)).claimed, false);
    });
  });
}
