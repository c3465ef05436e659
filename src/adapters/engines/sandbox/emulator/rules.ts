/** Group-server rules shared by several operations: who may do what, limits, joining and leaving. */
import type { Jid, ParticipantResult } from '../../../../core/ports/engine.js';
import { engineError } from '../../../../core/ports/engine.js';
import { phoneJid, randomCode } from './ids.js';
import type { Tx } from './tx.js';
import type { SandboxGroupRecord, SandboxParticipantRecord } from './types.js';
import { participantView, result } from './views.js';

export const SUBJECT_MAX = 100;
export const DESCRIPTION_MAX = 2048;
export const EPHEMERAL_DURATIONS: readonly number[] = [0, 86_400, 604_800, 7_776_000];
/** An invite v4 from a refused add is valid for three days. */
export const ADD_REQUEST_TTL_SECONDS = 3 * 86_400;

/** The member record of `phone`, if a member. */
export function memberOf(group: SandboxGroupRecord, phone: string): SandboxParticipantRecord | undefined {
  return group.participants.find((participant) => participant.phone === phone);
}

/** 403 unless `phone` is a member. */
export function requireMember(group: SandboxGroupRecord, phone: string): SandboxParticipantRecord {
  const member = memberOf(group, phone);
  if (!member) throw engineError(403, `${phone} is not a member of ${group.id}`);
  return member;
}

/** 403 unless a member, then 401 unless an admin. */
export function requireAdmin(group: SandboxGroupRecord, phone: string): SandboxParticipantRecord {
  const member = requireMember(group, phone);
  if (member.role === 'member') throw engineError(401, `${phone} is not an admin of ${group.id}`);
  return member;
}

/** Subject, description and picture: admins only while the group is locked. */
export function requireEditor(group: SandboxGroupRecord, phone: string): void {
  if (group.settings.locked) requireAdmin(group, phone);
  else requireMember(group, phone);
}

/** 406 for an empty subject or one over 100 characters (counted as code points, like emoji-safe UIs). */
export function checkSubject(subject: string): void {
  const length = [...subject.trim()].length;
  if (length === 0) throw engineError(406, 'empty subject');
  if ([...subject].length > SUBJECT_MAX) throw engineError(406, `subject over ${SUBJECT_MAX} characters`);
}

/** 400 for a description over 2048 characters. */
export function checkDescription(description: string): void {
  if ([...description].length > DESCRIPTION_MAX) throw engineError(400, `description over ${DESCRIPTION_MAX} characters`);
}

/** True while `phone` left the group by themselves less than `recentlyLeftSeconds` ago. */
export function leftRecently(tx: Tx, group: SandboxGroupRecord, phone: string): boolean {
  const leftAt = group.leftAtMs[phone];
  return leftAt !== undefined && tx.nowMs() - leftAt < tx.config.recentlyLeftSeconds * 1000;
}

/** Whether the person's privacy lets `actor` add them directly. */
function privacyAllows(tx: Tx, phone: string, actor: string): boolean {
  const settings = tx.view(phone);
  if (settings.groupAddPrivacy === 'everyone') return true;
  if (settings.groupAddPrivacy === 'nobody') return false;
  return settings.contacts.includes(actor);
}

/**
 * Makes `phone` a member and forgets what kept them out: a removal (405), a recent leave (408), a
 * pending join request, outstanding invites v4.
 */
export function admit(tx: Tx, group: SandboxGroupRecord, phone: string, role: SandboxParticipantRecord['role'] = 'member'): void {
  group.participants.push({ phone, role });
  delete group.leftAtMs[phone];
  if (tx.findAccount(phone)?.removedFrom?.includes(group.id)) {
    const account = tx.account(phone);
    account.removedFrom = account.removedFrom!.filter((id) => id !== group.id);
  }
  group.joinRequests = group.joinRequests.filter((request) => request.phone !== phone);
  group.addRequests = group.addRequests.filter((request) => request.phone !== phone);
}

/** 419 when the group already has `maxGroupSize` members. */
export function requireRoom(tx: Tx, group: SandboxGroupRecord): void {
  if (group.participants.length >= tx.config.maxGroupSize) throw engineError(419, `group ${group.id} is full`);
}

/**
 * One person of an add (or of a create): 404 not on WhatsApp, 409 already a member, 408 left
 * recently, 419 full, 403 privacy (issuing an invite v4), else 200 and they are in.
 */
export function tryAdd(tx: Tx, group: SandboxGroupRecord, actor: string, jid: Jid): ParticipantResult {
  const phone = tx.resolvePerson(jid);
  if (phone === undefined || !tx.view(phone).registered) return result(tx, jid, undefined, 404);
  tx.lidOf(phone); // the server now knows this person: give them their LID (a known one keeps its record untouched)
  if (memberOf(group, phone)) return result(tx, jid, phone, 409);
  if (leftRecently(tx, group, phone)) return result(tx, jid, phone, 408);
  if (group.participants.length >= tx.config.maxGroupSize) return result(tx, jid, phone, 419);
  if (!privacyAllows(tx, phone, actor)) {
    const addRequest = { code: randomCode(tx.config.random), expiration: tx.nowSec() + ADD_REQUEST_TTL_SECONDS };
    // Only the newest invite v4 for a person stays valid.
    for (const request of group.addRequests) if (request.phone === phone) request.revoked = true;
    group.addRequests.push({ phone, ...addRequest, inviter: actor, revoked: false });
    return { ...result(tx, jid, phone, 403), addRequest };
  }
  admit(tx, group, phone);
  return result(tx, jid, phone, 200);
}

/**
 * Forgets what no longer matters, so records do not grow forever: leaves older than the 408 window,
 * and invites v4 that expired a full validity period ago (until then they still answer 410).
 */
export function pruneExpired(tx: Tx, group: SandboxGroupRecord): void {
  for (const [phone, leftAt] of Object.entries(group.leftAtMs)) {
    if (tx.nowMs() - leftAt >= tx.config.recentlyLeftSeconds * 1000) delete group.leftAtMs[phone];
  }
  const forgetBefore = tx.nowSec() - ADD_REQUEST_TTL_SECONDS;
  group.addRequests = group.addRequests.filter((request) => request.expiration > forgetBefore);
}

/**
 * After people left or were removed: an empty group is deleted; a group with members but no admin
 * gets its longest-standing member promoted, as WhatsApp does when the last admin leaves.
 */
export function afterDeparture(tx: Tx, group: SandboxGroupRecord): void {
  if (group.participants.length === 0) {
    tx.deleteGroup(group.id);
    return;
  }
  if (group.participants.some((participant) => participant.role !== 'member')) return;
  const heir = group.participants[0]!;
  heir.role = 'admin';
  const promoted = [participantView(tx, heir)];
  for (const member of group.participants) {
    tx.emit(member.phone, { type: 'group.participants', groupId: group.id, action: 'promote', participants: promoted });
  }
}

/** Shorthand for the actor's phone jid in events. */
export const actorJid = phoneJid;
