/**
 * Redis for the cluster tests: reachable or skipped (GROUPGATE_REQUIRE_REDIS=1 makes it an error),
 * and a key prefix of each test's own, whose keys are removed afterwards.
 */
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.GROUPGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let reachable: boolean | undefined;

/** Whether Redis answers; under GROUPGATE_REQUIRE_REDIS=1 an unreachable server is an error. */
export async function redisAvailable(): Promise<boolean> {
  if (reachable === undefined) {
    const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      reachable = (await client.ping()) === 'PONG';
    } catch {
      reachable = false;
    } finally {
      client.disconnect();
    }
  }
  if (!reachable && process.env.GROUPGATE_REQUIRE_REDIS === '1') {
    throw new Error(`Redis is required (GROUPGATE_REQUIRE_REDIS=1) but ${REDIS_URL} is unreachable`);
  }
  return reachable;
}

/** A prefix no other test uses. */
export function redisPrefix(label: string): string {
  return `ggtest:${label}:${process.pid}:${Math.random().toString(36).slice(2, 8)}:`;
}

/** Deletes every key under `prefix`. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
