import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { DomainError } from './errors.js';

/** A person as the core addresses them after normalisation. */
export interface PersonRef {
  /** What the client sent. */
  input: string;
  /** E.164 digits without '+', when the input was a phone number. */
  phone?: string;
  /** `<digits>@s.whatsapp.net` or `<digits>@lid`. */
  jid: string;
}

const PHONE_FORMS = [/^(\d{6,15})@s\.whatsapp\.net$/, /^(\d{6,15})@c\.us$/, /^\+(\d{6,15})$/, /^(\d{6,15})$/];

/**
 * Normalises one phone in any accepted form (`{digits}@s.whatsapp.net`, `{digits}@c.us`, `+E164`,
 * bare digits) to E.164 digits, or returns undefined when it is not a possible phone number.
 */
export function normalizePhone(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const trimmed = input.trim();
  for (const form of PHONE_FORMS) {
    const m = form.exec(trimmed);
    if (!m) continue;
    return parseDigits(m[1]);
  }
  return undefined;
}

// Parsing with libphonenumber is the costliest step of every participant request, and the same
// numbers recur (members, the instance's own number): results are kept, bounded, by digits.
const parsedDigits = new Map<string, string | undefined>();
const PARSED_MAX = 50_000;

function parseDigits(digits: string): string | undefined {
  if (parsedDigits.has(digits)) return parsedDigits.get(digits);
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  const result = parsed && parsed.isPossible() ? parsed.number.slice(1) : undefined;
  if (parsedDigits.size >= PARSED_MAX) parsedDigits.delete(parsedDigits.keys().next().value as string);
  parsedDigits.set(digits, result);
  return result;
}

/** Normalises a person: any phone form, or a `<digits>@lid`. */
export function normalizePerson(input: unknown): PersonRef | undefined {
  if (typeof input !== 'string') return undefined;
  const lid = /^(\d{1,20})@lid$/.exec(input.trim());
  if (lid) return { input, jid: `${lid[1]}@lid` };
  const phone = normalizePhone(input);
  return phone ? { input, phone, jid: phoneToJid(phone) } : undefined;
}

/**
 * Normalises a list of people, all or nothing: any invalid entry -> `invalid_participant` naming
 * every offending entry. Duplicates (after normalisation) are dropped, keeping the first.
 */
export function normalizePeople(inputs: unknown[], options: { allowLid?: boolean } = {}): PersonRef[] {
  const invalid: unknown[] = [];
  const out: PersonRef[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    const ref = options.allowLid === false ? phoneRef(input) : normalizePerson(input);
    if (!ref) {
      invalid.push(input);
      continue;
    }
    if (seen.has(ref.jid)) continue;
    seen.add(ref.jid);
    out.push(ref);
  }
  if (invalid.length > 0) {
    throw new DomainError(
      'invalid_participant',
      `invalid participant${invalid.length > 1 ? 's' : ''}: ${invalid.map((i) => JSON.stringify(i)).join(', ')}; use {phone}@s.whatsapp.net, {phone}@c.us, +E164 or digits`,
      { invalid },
    );
  }
  return out;
}

function phoneRef(input: unknown): PersonRef | undefined {
  const phone = normalizePhone(input);
  return phone ? { input: String(input), phone, jid: phoneToJid(phone) } : undefined;
}

export function phoneToJid(phone: string): string {
  return `${phone}@s.whatsapp.net`;
}

/** Digits of a phone jid (`...@s.whatsapp.net` / `@c.us`), else undefined. */
export function jidToPhone(jid: string | null | undefined): string | undefined {
  if (!jid) return undefined;
  const m = /^(\d+)(?::\d+)?@(s\.whatsapp\.net|c\.us)$/.exec(jid);
  return m ? m[1] : undefined;
}

/**
 * Normalises a group id: `<digits>@g.us`, `<digits>-<digits>@g.us` (old form), or the same without
 * the suffix. Returns undefined when it is not a group id.
 */
export function normalizeGroupId(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const m = /^(\d{5,30}(?:-\d{5,15})?)(@g\.us)?$/.exec(input.trim());
  return m ? `${m[1]}@g.us` : undefined;
}

/** Extracts an invite code from a bare code or a `https://chat.whatsapp.com/<code>` link. */
export function normalizeInviteCode(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const trimmed = input.trim();
  const link = /^(?:https?:\/\/)?chat\.whatsapp\.com\/(?:invite\/)?([A-Za-z0-9_-]{10,40})\/?$/.exec(trimmed);
  if (link) return link[1];
  return /^[A-Za-z0-9_-]{10,40}$/.test(trimmed) ? trimmed : undefined;
}

export function inviteLink(code: string): string {
  return `https://chat.whatsapp.com/${code}`;
}
