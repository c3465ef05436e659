/** Identifier formats of WhatsApp: jids, group ids, LIDs, invite codes, message ids. */
import { randomFillSync } from 'node:crypto';
import type { Jid } from '../../../../core/ports/engine.js';
import type { RandomBytes } from './types.js';

/** Random bytes from node:crypto, drawn 4 KB at a time (one call per id costs more than the id). */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** Default randomness: node:crypto. Each call answers bytes of its own. */
export const cryptoRandom: RandomBytes = (size) => {
  if (size > pool.length) return randomFillSync(Buffer.alloc(size));
  if (poolAt + size > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const out = Buffer.from(pool.subarray(poolAt, poolAt + size));
  poolAt += size;
  return out;
};

/** New-style group ids: `120363` + 12 digits. */
export const GROUP_ID_PATTERN = /^120363\d{12}@g\.us$/;
/** Invite-link codes: 22 URL-safe characters. */
export const INVITE_CODE_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** `count` uniformly random decimal digits (rejection sampling keeps them unbiased). */
export function randomDigits(random: RandomBytes, count: number): string {
  let out = '';
  while (out.length < count) {
    for (const byte of random(count)) {
      if (byte < 250 && out.length < count) out += String(byte % 10);
    }
  }
  return out;
}

/** 16 random bytes as base64url: exactly 22 characters of `[A-Za-z0-9_-]`. */
export function randomCode(random: RandomBytes): string {
  return Buffer.from(random(16)).toString('base64url');
}

/** Message ids look like the ones WhatsApp Web generates: `3EB0` + 18 hex digits. */
export function randomMessageId(random: RandomBytes): string {
  return `3EB0${Buffer.from(random(9)).toString('hex').toUpperCase()}`;
}

/** Seconds before which no new-style id is issued (2023-01-01); the id's serial counts from here. */
const SERIAL_EPOCH_SECONDS = 1_672_531_200;

/**
 * A fresh group id, not yet used according to `taken`. WhatsApp's new-style ids grow with time, and
 * so do these: the 12 digits are a serial that is at least a thousand per second since 2023 and
 * steps ahead of `serial.last` (the network's last) by a random 1-64, so ids are ordered by
 * creation. Ordered ids keep a store's inserts on the last pages of its indexes: a batch of creates
 * writes a few pages, not a few per create. Another process's ids may interleave; `taken` (the
 * network's state, caught up with every process's writes in shared mode) keeps them unique.
 */
export function newGroupId(random: RandomBytes, taken: (id: string) => boolean, nowSec: number, serial: { last: number }): string {
  for (;;) {
    const floor = Math.max(0, Math.floor(nowSec) - SERIAL_EPOCH_SECONDS) * 1000;
    serial.last = Math.max(serial.last, floor) + 1 + (random(1)[0]! & 63);
    const id = `120363${String(serial.last % 1e12).padStart(12, '0')}@g.us`;
    if (!taken(id)) return id;
  }
}

/** The serial of a new-style group id (`120363` + 12 digits); undefined for any other id. */
export function groupSerialOf(id: string): number | undefined {
  return GROUP_ID_PATTERN.test(id) ? Number(id.slice(6, 18)) : undefined;
}

/** A fresh LID (15 digits, never starting with 0), not yet used according to `taken`. */
export function newLid(random: RandomBytes, taken: (lid: string) => boolean): string {
  for (;;) {
    const digits = randomDigits(random, 15);
    if (digits.startsWith('0')) continue;
    const lid = `${digits}@lid`;
    if (!taken(lid)) return lid;
  }
}

/** `<digits>@s.whatsapp.net`. */
export function phoneJid(phone: string): Jid {
  return `${phone}@s.whatsapp.net`;
}

/** Digits of a phone number given as `+55 11 ...`, digits or a phone jid; throws TypeError when there are none. */
export function normalizePhone(input: string): string {
  const digits = input.replace(/@.*$/, '').replace(/:\d+$/, '').replace(/\D/g, '');
  if (digits.length === 0) throw new TypeError(`not a phone number: ${JSON.stringify(input)}`);
  return digits;
}

/** A person jid split into its kind; undefined when it is not a person jid at all. */
export function parsePersonJid(jid: string): { phone: string } | { lid: string } | undefined {
  // A device suffix (`:12`) may follow the user part; it names the same person.
  const match = /^(\d{5,20})(?::\d+)?@(s\.whatsapp\.net|c\.us|lid)$/.exec(jid);
  if (!match) return undefined;
  return match[2] === 'lid' ? { lid: `${match[1]}@lid` } : { phone: match[1]! };
}

/** True for `<digits>@g.us` and legacy `<digits>-<digits>@g.us`. */
export function isGroupJid(jid: string): boolean {
  return /^\d+(-\d+)?@g\.us$/.test(jid);
}
