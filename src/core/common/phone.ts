import { getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
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

export interface PhoneOptions {
  /**
   * The country of a number written without its country code (`(11) 91111-0004`), as an ISO
   * 3166 code (`BR`). Without it such a number is refused: it is ambiguous.
   */
  defaultCountry?: CountryCode;
}

const JID_FORMS = [/^(\d{6,15})@s\.whatsapp\.net$/, /^(\d{6,15})@c\.us$/];
/** What people write: digits, an optional leading `+`, and spaces, dashes, dots, slashes or parentheses between them. */
const WRITTEN = /^\+?[\d\s\u00a0\u2000-\u200b\u202f.\-\u2010-\u2015()/]+$/;

/** Human-readable list of the accepted forms, for refusal messages. */
export const PHONE_FORMS_HINT = 'write each number with its country code, e.g. +55 11 98888-1234, 0055 11 98888-1234 or 5511988881234, or as {phone}@s.whatsapp.net';

/**
 * Normalises one phone to E.164 digits (no `+`), or returns undefined when it is not a possible
 * number. Accepted: `{digits}@s.whatsapp.net`, `{digits}@c.us`, and numbers as people write them:
 * `+55 11 98888-1234`, `+1 (415) 555-0101`, `+44.20.7946.0958`, `0044 20 7946 0958` (`00` is the
 * international prefix), bare digits with the country code (`5511988881234`). A number written
 * with separators but neither `+` nor `00` must be a valid number with its country code
 * (`55 11 98888-1234`), or a national number of `options.defaultCountry` (`(11) 91111-0004`).
 */
export function normalizePhone(input: unknown, options: PhoneOptions = {}): string | undefined {
  if (typeof input !== 'string') return undefined;
  const trimmed = input.trim();
  for (const form of JID_FORMS) {
    const m = form.exec(trimmed);
    if (m) return parseDigits(m[1]!);
  }
  if (trimmed.length > 40 || !WRITTEN.test(trimmed)) return undefined;
  const digits = trimmed.replace(/\D/g, '');
  if (trimmed.startsWith('+')) return digits.length >= 6 && digits.length <= 15 ? parseDigits(digits) : undefined;
  if (digits.startsWith('00')) {
    const international = digits.slice(2);
    return international.length >= 6 && international.length <= 15 ? parseDigits(international) : undefined;
  }
  if (digits.length < 6 || digits.length > 17) return undefined;
  // Bare digits are an international number without its `+`, as WhatsApp writes them.
  if (digits === trimmed && digits.length <= 15) return parseDigits(digits);
  // Written with separators: a valid international number without its `+`, or a national number
  // of the default country. A leading parenthesis is an area code: national first.
  const national = () => {
    const parsed = options.defaultCountry ? parsePhoneNumberFromString(trimmed, options.defaultCountry) : undefined;
    return parsed?.isValid() ? parsed.number.slice(1) : undefined;
  };
  const international = () => {
    const parsed = digits.length <= 15 ? parsePhoneNumberFromString(`+${digits}`) : undefined;
    return parsed?.isValid() ? parsed.number.slice(1) : undefined;
  };
  return trimmed.startsWith('(') ? (national() ?? international()) : (international() ?? national());
}

/** The country of an E.164 number (digits, with or without `+`), when libphonenumber knows it. */
export function phoneCountry(phone: string | null | undefined): CountryCode | undefined {
  if (!phone) return undefined;
  // Asked on every participant request for the instance's own number: kept, bounded.
  if (countries.has(phone)) return countries.get(phone);
  const country = parsePhoneNumberFromString(`+${phone.replace(/^\+/, '')}`)?.country;
  if (countries.size >= 10_000) countries.delete(countries.keys().next().value as string);
  countries.set(phone, country);
  return country;
}
const countries = new Map<string, CountryCode | undefined>();

/** The calling code of a country (`BR` -> `55`). */
export function countryCallingCode(country: CountryCode): string {
  return getCountryCallingCode(country);
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
export function normalizePerson(input: unknown, options: PhoneOptions = {}): PersonRef | undefined {
  if (typeof input !== 'string') return undefined;
  const lid = /^(\d{1,20})@lid$/.exec(input.trim());
  if (lid) return { input, jid: `${lid[1]}@lid` };
  const phone = normalizePhone(input, options);
  return phone ? { input, phone, jid: phoneToJid(phone) } : undefined;
}

/**
 * Normalises a list of people, all or nothing: any invalid entry -> `invalid_participant` naming
 * every offending entry. Duplicates (after normalisation) are dropped, keeping the first.
 */
export function normalizePeople(inputs: unknown[], options: { allowLid?: boolean } & PhoneOptions = {}): PersonRef[] {
  const invalid: unknown[] = [];
  const out: PersonRef[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    const ref = options.allowLid === false ? phoneRef(input, options) : normalizePerson(input, options);
    if (!ref) {
      invalid.push(input);
      continue;
    }
    if (seen.has(ref.jid)) continue;
    seen.add(ref.jid);
    out.push(ref);
  }
  if (invalid.length > 0) {
    throw new DomainError('invalid_participant', `invalid participant${invalid.length > 1 ? 's' : ''}: ${invalid.map((i) => JSON.stringify(i)).join(', ')}; ${PHONE_FORMS_HINT}`, {
      invalid,
    });
  }
  return out;
}

function phoneRef(input: unknown, options: PhoneOptions): PersonRef | undefined {
  const phone = normalizePhone(input, options);
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
