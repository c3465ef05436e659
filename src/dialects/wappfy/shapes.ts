/**
 * Wappfy's group object, made from the core's view. Wappfy documents two shapes that disagree (the
 * groups guide: `group_id, name, description, owner, created_at, participants: [{id, is_admin,
 * is_super_admin}]`, lists as `[{group_id, name, participant_count}]`; the API reference: `id,
 * subject, creation (unix seconds), description, pictureUrl, participants: [{id, admin}]`): every
 * object here carries both, so a client written against either page reads what it expects.
 */
import type { GroupParticipantView, GroupView } from '../../core/groups/group-service.js';
import { jidToPhone, phoneToJid } from '../../core/common/phone.js';

/** A person as Wappfy writes them: `{phone}@s.whatsapp.net`, or `<lid>@lid` when only the LID is known. */
export function wappfyJid(jid: string | null | undefined): string | null {
  if (!jid) return null;
  const phone = jidToPhone(jid);
  return phone ? phoneToJid(phone) : jid;
}

/** ISO time without milliseconds, as Wappfy's guide writes `created_at`. */
const isoSeconds = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');

/** One participant in both documented shapes. */
export function wappfyParticipant(p: GroupParticipantView) {
  return {
    id: wappfyJid(p.jid)!,
    is_admin: p.role !== 'member',
    is_super_admin: p.role === 'superadmin',
    admin: p.role === 'member' ? null : p.role,
  };
}

/** A group in both documented shapes. */
export function wappfyGroup(g: GroupView) {
  const created = Date.parse(g.createdAt);
  return {
    group_id: g.id,
    id: g.id,
    name: g.name,
    subject: g.name,
    description: g.description,
    owner: wappfyJid(g.owner),
    created_at: isoSeconds(g.createdAt),
    creation: Number.isFinite(created) ? Math.floor(created / 1000) : 0,
    participant_count: g.size,
    // groupgate keeps no picture URLs; the field is there so reference-shaped clients find it.
    pictureUrl: null,
    participants: g.participants.map(wappfyParticipant),
  };
}

export type WappfyGroup = ReturnType<typeof wappfyGroup>;

const PARTICIPANT = /^(\d{6,15})@s\.whatsapp\.net$/;

/** The entries of a participant list not written `{phone}@s.whatsapp.net` (seed 002's one form). */
export function badParticipants(inputs: string[]): string[] {
  return inputs.filter((p) => !PARTICIPANT.test(p.trim()));
}
