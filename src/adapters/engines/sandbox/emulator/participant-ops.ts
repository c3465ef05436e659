/** Membership changes made by admins: add, remove, promote, demote. */
import type { GroupParticipant, Jid, ParticipantResult } from '../../../../core/ports/engine.js';
import { phoneJid } from './ids.js';
import { afterDeparture, memberOf, pruneExpired, requireAdmin, requireMember, tryAdd } from './rules.js';
import type { Tx } from './tx.js';
import { emitEach, memberPhones, metadataView, participantView, result } from './views.js';

/**
 * Adds people. 401 unless admin (or memberAddMode 'all'); per person 200/403/404/408/409/419.
 * Added people get the whole group; the members who were already there hear who came in.
 */
export function addParticipants(tx: Tx, actor: string, groupId: Jid, jids: Jid[]): ParticipantResult[] {
  const group = tx.group(groupId);
  if (group.settings.memberAddMode === 'all') requireMember(group, actor);
  else requireAdmin(group, actor);
  pruneExpired(tx, group);
  const before = memberPhones(group);
  const results = jids.map((jid) => tryAdd(tx, group, actor, jid));
  const added = memberPhones(group, before);
  if (added.length === 0) return results;
  const by = phoneJid(actor);
  const metadata = metadataView(tx, group);
  emitEach(tx, added, () => ({ type: 'group.upsert', group: metadata, reason: 'added', actor: by }));
  const participants = added.map((phone) => participantView(tx, memberOf(group, phone)!));
  emitEach(tx, before, () => ({ type: 'group.participants', groupId, action: 'add', participants, actor: by }));
  return results;
}

/** Removes people (admins only). Per person 200, 404 not a member, 406 the creator. A removed person cannot rejoin by link (405). */
export function removeParticipants(tx: Tx, actor: string, groupId: Jid, jids: Jid[]): ParticipantResult[] {
  const group = tx.group(groupId);
  requireAdmin(group, actor);
  const removed: GroupParticipant[] = [];
  const removedPhones: string[] = [];
  const results = jids.map((jid) => {
    const phone = tx.resolvePerson(jid);
    const member = phone === undefined ? undefined : memberOf(group, phone);
    if (phone === undefined || !member) return result(tx, jid, phone, 404);
    if (member.role === 'superadmin') return result(tx, jid, phone, 406);
    removed.push(participantView(tx, member));
    removedPhones.push(phone);
    group.participants = group.participants.filter((participant) => participant.phone !== phone);
    // Being removed is not leaving: re-adding stays possible at once, joining by link does not.
    delete group.leftAtMs[phone];
    const account = tx.account(phone);
    if (!account.removedFrom?.includes(groupId)) account.removedFrom = [...(account.removedFrom ?? []), groupId];
    return result(tx, jid, phone, 200);
  });
  if (removed.length === 0) return results;
  const by = phoneJid(actor);
  emitEach(tx, removedPhones, () => ({ type: 'group.gone', groupId, reason: 'removed', actor: by }));
  emitEach(tx, memberPhones(group), () => ({ type: 'group.participants', groupId, action: 'remove', participants: removed, actor: by }));
  afterDeparture(tx, group);
  return results;
}

/** Promote or demote (admins only). Per person 200, 404 not a member, 406 demoting the creator. */
function changeRole(tx: Tx, actor: string, groupId: Jid, jids: Jid[], action: 'promote' | 'demote'): ParticipantResult[] {
  const group = tx.group(groupId);
  requireAdmin(group, actor);
  const changed: GroupParticipant[] = [];
  const results = jids.map((jid) => {
    const phone = tx.resolvePerson(jid);
    const member = phone === undefined ? undefined : memberOf(group, phone);
    if (phone === undefined || !member) return result(tx, jid, phone, 404);
    if (member.role === 'superadmin') {
      // The creator stays superadmin: promoting is already so, demoting is not allowed.
      return result(tx, jid, phone, action === 'demote' ? 406 : 200);
    }
    const role = action === 'promote' ? 'admin' : 'member';
    if (member.role !== role) {
      member.role = role;
      changed.push(participantView(tx, member));
    }
    return result(tx, jid, phone, 200);
  });
  if (changed.length > 0) {
    const by = phoneJid(actor);
    emitEach(tx, memberPhones(group), () => ({ type: 'group.participants', groupId, action, participants: changed, actor: by }));
  }
  return results;
}

/** Makes members admins. */
export function promoteParticipants(tx: Tx, actor: string, groupId: Jid, jids: Jid[]): ParticipantResult[] {
  return changeRole(tx, actor, groupId, jids, 'promote');
}

/** Makes admins members again; the creator answers 406. */
export function demoteParticipants(tx: Tx, actor: string, groupId: Jid, jids: Jid[]): ParticipantResult[] {
  return changeRole(tx, actor, groupId, jids, 'demote');
}
