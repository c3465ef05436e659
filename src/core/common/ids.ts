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

/** SHA-256 hex of a secret: what the store keeps instead of the secret. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
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
let lastTime = 0;
let lastRandom: number[] = [];

/**
 * A ULID: 48-bit millisecond time + 80 random bits, Crockford base32, 26 characters. Globally unique
 * and sortable by time; monotonic within this process (same millisecond -> random part incremented).
 */
export function ulid(now: number = Date.now()): string {
  let rand: number[];
  if (now <= lastTime && lastRandom.length === 16) {
    now = lastTime;
    rand = [...lastRandom];
    for (let i = 15; i >= 0; i--) {
      if (rand[i]! < 31) {
        rand[i]!++;
        break;
      }
      rand[i] = 0;
    }
  } else {
    const bytes = randomBytes(16);
    rand = [...bytes].map((b) => b % 32);
  }
  lastTime = now;
  lastRandom = rand;
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time + rand.map((r) => CROCKFORD[r]).join('');
}
