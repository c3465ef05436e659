/**
 * Z-API's wire forms, shared by the Z-API routes and its callbacks: group ids written
 * `<digits>-group`, people as bare digits. Pure functions only.
 */
import { normalizeGroupId } from '../../core/common/phone.js';

/**
 * A group id as Z-API writes it: `120363019502650977@g.us` -> `120363019502650977-group`; an old
 * `5511999999999-1623281429@g.us` loses only its suffix, as on Z-API.
 */
export function toZapiGroupPhone(groupId: string): string {
  const bare = groupId.replace(/@g\.us$/, '');
  return bare.includes('-') ? bare : `${bare}-group`;
}

/** Reads a Z-API group id (`<digits>-group`, old `<digits>-<digits>`, or `...@g.us`) into `...@g.us`. */
export function parseZapiGroupId(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const trimmed = input.trim();
  const m = /^(\d{5,30})-group$/i.exec(trimmed);
  return normalizeGroupId(m ? m[1] : trimmed);
}

/** Whether a Z-API `phone` names a group rather than a person. */
export function isZapiGroupPhone(input: string): boolean {
  return /-group$/i.test(input.trim()) || /@g\.us$/.test(input.trim()) || /^\d{5,20}-\d{5,15}$/.test(input.trim());
}

/** A person as Z-API writes them: bare digits, from `+E164`, a phone jid or digits; undefined for a LID. */
export function zapiPhone(person: { phone?: string | null; jid?: string | null } | null | undefined): string | undefined {
  if (!person) return undefined;
  if (person.phone) return person.phone.replace(/^\+/, '');
  const m = /^(\d+)(?::\d+)?@(s\.whatsapp\.net|c\.us)$/.exec(person.jid ?? '');
  return m?.[1];
}
