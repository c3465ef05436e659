/**
 * Group records: engine metadata converted to the stored group of one instance, the comparisons
 * the sync uses to tell a change from a repeat, and people as every API shows them.
 */
import type { GroupMetadata, GroupParticipant } from '../ports/engine.js';
import type { Instance } from '../instances/instance-model.js';
import type { StoredGroup, StoredParticipant } from './group-model.js';
import { jidToPhone, phoneToJid } from '../common/phone.js';

/** A person as every API shows them. */
export interface PersonView {
  /** Phone jid when known, else the LID. */
  jid: string;
  /** `+E164` when known. */
  phone: string | null;
  lid: string | null;
}

export function personView(p: { phoneJid?: string | null; lid?: string | null }): PersonView {
  const phone = jidToPhone(p.phoneJid);
  return { jid: (p.phoneJid ?? p.lid)!, phone: phone ? `+${phone}` : null, lid: p.lid ?? null };
}

export function actorView(jid: string | undefined): PersonView | null {
  if (!jid) return null;
  return jid.endsWith('@lid') ? personView({ lid: jid }) : personView({ phoneJid: jid });
}

export const samePerson = (a: { phoneJid?: string | null; lid?: string | null }, b: { phoneJid?: string | null; lid?: string | null }) =>
  (!!a.phoneJid && a.phoneJid === b.phoneJid) || (!!a.lid && a.lid === b.lid);

/** Whether a participant is the instance's own account. */
export function isMe(instance: Instance, p: { phoneJid?: string | null; lid?: string | null }): boolean {
  return !!instance.phone && p.phoneJid === phoneToJid(instance.phone);
}

export const toStoredParticipant = (p: GroupParticipant): StoredParticipant => ({ phoneJid: p.phoneJid ?? null, lid: p.lid ?? null, role: p.role });

/** Converts engine metadata to the stored group of one instance. */
export function fromMetadata(instance: Instance, g: GroupMetadata, inviteCode: string | null): StoredGroup {
  const participants = g.participants.map(toStoredParticipant);
  const me = participants.find((p) => isMe(instance, p));
  return {
    instanceId: instance.id,
    id: g.id,
    subject: g.subject,
    description: g.description,
    owner: g.owner ?? null,
    createdAt: new Date(g.creation * 1000).toISOString(),
    subjectOwner: g.subjectOwner ?? null,
    subjectTime: g.subjectTime ? new Date(g.subjectTime * 1000).toISOString() : null,
    settings: { ...g.settings },
    myRole: me?.role ?? 'member',
    inviteCode: me && me.role !== 'member' ? inviteCode : null,
    size: participants.length,
    addressingMode: g.addressingMode,
    participants,
  };
}

export const sameParticipants = (a: StoredParticipant[], b: StoredParticipant[]) =>
  a.length === b.length && a.every((p, i) => p.phoneJid === b[i].phoneJid && p.lid === b[i].lid && p.role === b[i].role);

/** Whether two versions of a group agree on every stored field but the participants. */
export function sameFields(a: StoredGroup, b: StoredGroup): boolean {
  const { participants: _a, settings: sa, ...fa } = a;
  const { participants: _b, settings: sb, ...fb } = b;
  const same = (x: Record<string, unknown>, y: Record<string, unknown>) => Object.keys(x).length === Object.keys(y).length && Object.keys(x).every((k) => x[k] === y[k]);
  return same(fa, fb) && same({ ...sa }, { ...sb });
}
