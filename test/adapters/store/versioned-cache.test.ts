/** The versioned cache the store's read caches are built on: hits, bounds, and reads that raced a write. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createVersionedCache } from '../../../src/adapters/store/kysely/versioned-cache.js';

describe('versioned cache', () => {
  it('keeps what a read found and answers it until a write of the key', async () => {
    const cache = createVersionedCache<string>(10);
    cache.keep('a', 'one', cache.version('a'));
    assert.equal(cache.get('a'), 'one');
    await cache.write('a', async () => undefined);
    assert.equal(cache.get('a'), undefined);
  });

  it('never keeps what a read found when a write ran while it read, whichever finished first', async () => {
    const cache = createVersionedCache<string>(10);
    // The write finishes before the read.
    const before = cache.version('a');
    await cache.write('a', async () => undefined);
    cache.keep('a', 'stale', before);
    assert.equal(cache.get('a'), undefined);
    // The read finishes while the write is still running.
    let release!: () => void;
    const writing = cache.write('a', () => new Promise<void>((resolve) => (release = resolve)));
    const during = cache.version('a');
    cache.keep('a', 'seen during the write', during);
    release();
    await writing;
    assert.equal(cache.get('a'), undefined);
    // A read that started after the write kept its answer.
    cache.keep('a', 'fresh', cache.version('a'));
    assert.equal(cache.get('a'), 'fresh');
  });

  it('holds at most max entries, least recently used going first; none when max is 0', () => {
    const cache = createVersionedCache<number>(2);
    cache.keep('a', 1, 0);
    cache.keep('b', 2, 0);
    assert.equal(cache.get('a'), 1); // b is now the least recently used
    cache.keep('c', 3, 0);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('c'), 3);
    const none = createVersionedCache<number>(0);
    none.keep('a', 1, 0);
    assert.equal(none.get('a'), undefined);
  });
});
