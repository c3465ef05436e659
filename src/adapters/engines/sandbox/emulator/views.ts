/** How the group server shows its records to clients: metadata, participants, results, events. */
import type { EngineEvent, GroupMetadata, GroupParticipant, InviteInfo, Jid, ParticipantCode, ParticipantResult } from '../../../../core/ports/engine.js';
import { phoneJid } from './ids.js';
import type { Tx } from './tx.js';
import type { SandboxGroupRecord, SandboxParticipantRecord } from './types.js';

/** A participant as LID groups list them: both the phone jid and the LID. */
export function participantView(tx: Tx, participant: SandboxParticipantRecord): GroupParticipant {
  return { phoneJid: phoneJid(participant.phone), lid: tx.lidOf(participant.phone), role: participant.role };
}

/** Full metadata of a group, as any member sees it. */
export function metadataView(tx: Tx, group: SandboxGroupRecord): GroupMetadata {
  return {
    id: group.id,
    subject: group.subject,
    subjectOwner: phoneJid(group.subjectOwner),
    subjectTime: group.subjectTime,
    description: group.description,
    owner: phoneJid(group.creator),
    creation: group.creation,
    settings: { ...group.settings },
    participants: group.participants.map((participant) => participantView(tx, participant)),
    addressingMode: group.addressingMode,
  };
}

/** Invite-link preview: what a non-member may see. */
export function inviteInfoView(group: SandboxGroupRecord): InviteInfo {
  return {
    id: group.id,
    subject: group.subject,
    description: group.description,
    owner: phoneJid(group.creator),
    creation: group.creation,
    size: group.participants.length,
    approvalMode: group.settings.approvalMode,
  };
}

/** A per-participant result; names the person canonically when the server knows them. */
export function result(tx: Tx, jid: Jid, phone: string | undefined, code: ParticipantCode): ParticipantResult {
  if (phone === undefined || !tx.view(phone).registered) return { jid, code };
  return { jid, phoneJid: phoneJid(phone), lid: tx.lidOf(phone), code };
}

/** Queues the same event (built per recipient) for each of `phones`. */
export function emitEach(tx: Tx, phones: Iterable<string>, build: (phone: string) => EngineEvent): void {
  for (const phone of phones) tx.emit(phone, build(phone));
}

/** Phones of the members, except `except`. */
export function memberPhones(group: SandboxGroupRecord, except: Iterable<string> = []): string[] {
  const skip = new Set(except);
  return group.participants.map((participant) => participant.phone).filter((phone) => !skip.has(phone));
}

/** Phones of the admins and the superadmin. */
export function adminPhones(group: SandboxGroupRecord): string[] {
  return group.participants.filter((participant) => participant.role !== 'member').map((participant) => participant.phone);
}
