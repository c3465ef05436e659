/**
 * Redis for the tests: a key prefix of each test's own, and deleting its keys afterwards
 * (`REDIS_URL` and `redisAvailable()`, which skips or, under GROUPGATE_REQUIRE_REDIS=1, fails,
 * live in database.ts).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { REDIS_URL, redisAvailable } from './database.js';

export { REDIS_URL, redisAvailable };

/** A BullMQ key prefix of a test's own. */
export function testPrefix(label: string): string {
  return `ggtest-${label}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every BullMQ key under `prefix`. */
export async function dropPrefix(prefix: string): Promise<void> {
  await dropRedisPrefix(`${prefix}:`);
}

/** A cluster key prefix (`GROUPGATE_REDIS_PREFIX`) no other test uses. */
export function redisPrefix(label: string): string {
  return `ggtest:${label}:${process.pid}:${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key starting with `prefix`. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
