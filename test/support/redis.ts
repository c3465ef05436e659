/**
 * Redis for the tests: a key prefix of each test's own, and deleting its keys afterwards
 * (`REDIS_URL` and `redisAvailable()`, which skips or, under GROUPGATE_REQUIRE_REDIS=1, fails,
 * live in database.ts).
 */
import { randomUUID } from 'node:crypto';
import { REDIS_URL, redisAvailable } from './database.js';
import { dropRedisKeys } from '../../testkit/redis.js';

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
export const dropRedisPrefix = (prefix: string): Promise<void> => dropRedisKeys(REDIS_URL, prefix);
