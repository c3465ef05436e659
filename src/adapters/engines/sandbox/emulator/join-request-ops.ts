/** Join requests of groups in approval mode: list, approve, reject (admins only). */
import type { JoinRequest, Jid, ParticipantResult } from '../../../../core/ports/engine.js';
import { phoneJid } from './ids.js';
import { announceJoin } from './invite-ops.js';
import { admit, pruneExpired, requireAdmin } from './rules.js';
import type { Tx } from './tx.js';
import type { SandboxGroupRecord } from './types.js';
import { adminPhones, emitEach, result } from './views.js';

/** Pending requests, oldest first. */
export function joinRequests(tx: Tx, actor: string, groupId: Jid): JoinRequest[] {
  const group = tx.readGroup(groupId);
  requireAdmin(group, actor);
  return group.joinRequests.map((request) => ({
    jid: phoneJid(request.phone),
    phoneJid: phoneJid(request.phone),
    lid: tx.lidOf(request.phone),
    requestTime: request.requestTime,
    method: request.method,
  }));
}

/** Splits `jids` into pending requesters (per-person 200) and the rest (404 no such request). */
function decide(tx: Tx, group: SandboxGroupRecord, jids: Jid[], accept: (phone: string) => ParticipantResult['code']): { results: ParticipantResult[]; done: string[] } {
  const done: string[] = [];
  const results = jids.map((jid) => {
    const phone = tx.resolvePerson(jid);
    const pending = phone !== undefined && group.joinRequests.some((request) => request.phone === phone);
    if (!pending) return result(tx, jid, phone, 404);
    const code = accept(phone);
    if (code === 200) done.push(phone);
    return result(tx, jid, phone, code);
  });
  return { results, done };
}

/** Lets the requesters in (419 per person once the group is full); admins hear 'approved'. */
export function approveJoinRequests(tx: Tx, actor: string, groupId: Jid, jids: Jid[]): ParticipantResult[] {
  const group = tx.group(groupId);
  requireAdmin(group, actor);
  pruneExpired(tx, group);
  const { results, done } = decide(tx, group, jids, (phone) => {
    if (group.participants.length >= tx.config.maxGroupSize) return 419;
    admit(tx, group, phone);
    return 200;
  });
  if (done.length === 0) return results;
  announceJoin(tx, group, done, actor);
  announceDecision(tx, group, done, actor, 'approved');
  return results;
}

/** Drops the requests; admins hear 'rejected'. The requester is told nothing. */
export function rejectJoinRequests(tx: Tx, actor: string, groupId: Jid, jids: Jid[]): ParticipantResult[] {
  const group = tx.group(groupId);
  requireAdmin(group, actor);
  const { results, done } = decide(tx, group, jids, (phone) => {
    group.joinRequests = group.joinRequests.filter((request) => request.phone !== phone);
    return 200;
  });
  announceDecision(tx, group, done, actor, 'rejected');
  return results;
}

function announceDecision(tx: Tx, group: SandboxGroupRecord, phones: string[], actor: string, action: 'approved' | 'rejected'): void {
  const admins = adminPhones(group);
  for (const phone of phones) {
    const participant = { phoneJid: phoneJid(phone), lid: tx.lidOf(phone) };
    emitEach(tx, admins, () => ({ type: 'group.join_request', groupId: group.id, action, participant, actor: phoneJid(actor) }));
  }
}
