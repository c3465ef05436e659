/**
 * What the store's read caches are made of: bounded maps whose least recently used entries go
 * first, and a version per key. Every write of a key bumps its version (dropping its entry) before
 * and after it runs; a read keeps what it read only when the key's version did not move while it
 * read, so a read that raced a write never keeps the state from before the write.
 */

/** A hit: moves the entry to the end of the map's order, which is least recently used first. */
export function lruTouch<V>(map: Map<string, V>, key: string): V | undefined {
  const value = map.get(key);
  if (value !== undefined) {
    map.delete(key);
    map.set(key, value);
  }
  return value;
}

/** Keeps an entry, dropping the least recently used one first when the map holds `max`. */
export function lruKeep<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

export interface VersionedCache<V> {
  /** The entry, now the most recently used; undefined on a miss. */
  get(key: string): V | undefined;
  /** The key's version now: read it before reading the database, hand it to `keep` after. */
  version(key: string): number;
  /** Keeps what a read that started at `version` found, unless a write bumped the key since. */
  keep(key: string, value: V, version: number): void;
  /** Drops the entry and moves the version: reads in flight will not keep theirs. */
  bump(key: string): void;
  /** Runs a write of `key`, bumped before and after it (a read meanwhile saw either state). */
  write<T>(key: string, run: () => Promise<T>): Promise<T>;
}

/** A cache of at most `max` entries (none at all when `max` is 0). */
export function createVersionedCache<V>(max: number): VersionedCache<V> {
  const entries = new Map<string, V>();
  const versions = new Map<string, number>();
  const cache: VersionedCache<V> = {
    get: (key) => lruTouch(entries, key),
    version: (key) => versions.get(key) ?? 0,
    keep(key, value, version) {
      if (max > 0 && (versions.get(key) ?? 0) === version) lruKeep(entries, key, value, max);
    },
    bump(key) {
      entries.delete(key);
      versions.set(key, (versions.get(key) ?? 0) + 1);
      // Versions only need to outlive reads in flight; a reset drops every entry with them.
      if (versions.size > max * 4) {
        versions.clear();
        entries.clear();
      }
    },
    async write(key, run) {
      cache.bump(key);
      try {
        return await run();
      } finally {
        cache.bump(key);
      }
    },
  };
  return cache;
}
