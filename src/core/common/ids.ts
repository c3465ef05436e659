import * as crypto from 'node:crypto';
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

const URL_SAFE = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A short URL-safe id (lowercase letters and digits) with an optional prefix, e.g. `inst_k3j9...`. */
export function shortId(prefix = '', length = 12): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += URL_SAFE[bytes[i]! % URL_SAFE.length];
  return prefix + out;
}

/** A secret of 192 random bits, base64url, with a readable prefix (`gg_` keys, `ggi_` instance tokens). */
export function newSecret(prefix: string): string {
  return prefix + randomBytes(24).toString('base64url');
}

/** Node's one-shot digest (20.12+): no Hash object per call, which every authenticated request would make. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** SHA-256 hex of a secret: what the store keeps instead of the secret. */
export function hashSecret(secret: string): string {
  return oneShot ? oneShot('sha256', secret, 'hex') : createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex hashes of equal length. */
export function hashesEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === bb.length && ba.length > 0 && timingSafeEqual(ba, bb);
}

/** A 10-digit number as a string, first digit 1..9 (Green API's idInstance shape). */
export function newIdInstance(): string {
  return String(randomInt(1, 10)) + String(randomInt(0, 1_000_000_000)).padStart(9, '0');
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTime = -1;
let timePart = '';
// The random part as 16 base-32 digits; incremented in place within one millisecond.
const lastRandom = new Uint8Array(16);
let randomPool = Buffer.alloc(0);
let poolOffset = 0;

/** Fresh random base-32 digits, from a pool of random bytes refilled 4 KiB at a time. */
function freshRandom(): void {
  if (poolOffset + 16 > randomPool.length) {
    randomPool = randomBytes(4096);
    poolOffset = 0;
  }
  for (let i = 0; i < 16; i++) lastRandom[i] = randomPool[poolOffset + i]! & 31;
  poolOffset += 16;
}

/**
 * A ULID: 48-bit millisecond time + 80 random bits, Crockford base32, 26 characters. Globally unique
 * and sortable by time; monotonic within this process (same millisecond -> random part incremented).
 */
export function ulid(now: number = Date.now()): string {
  if (now <= lastTime) {
    now = lastTime;
    for (let i = 15; i >= 0; i--) {
      if (lastRandom[i]! < 31) {
        lastRandom[i]!++;
        break;
      }
      lastRandom[i] = 0;
    }
  } else {
    freshRandom();
    let time = '';
    let t = now;
    for (let i = 0; i < 10; i++) {
      time = CROCKFORD[t % 32] + time;
      t = Math.floor(t / 32);
    }
    lastTime = now;
    timePart = time;
  }
  let out = timePart;
  for (let i = 0; i < 16; i++) out += CROCKFORD[lastRandom[i]!];
  return out;
}
