/** Invite links and invites v4: read, reset, preview, join. */
import type { InviteInfo, Jid } from '../../../../core/ports/engine.js';
import { engineError } from '../../../../core/ports/engine.js';
import { INVITE_CODE_PATTERN, phoneJid, randomCode } from './ids.js';
import { admit, memberOf, pruneExpired, requireAdmin, requireRoom } from './rules.js';
import type { Tx } from './tx.js';
import type { SandboxGroupRecord } from './types.js';
import { adminPhones, emitEach, inviteInfoView, memberPhones, metadataView, participantView } from './views.js';

/** The group's current invite-link code (admins only). */
export function inviteCode(tx: Tx, actor: string, groupId: Jid): string {
  const group = tx.group(groupId);
  requireAdmin(group, actor);
  return group.inviteCode;
}

/** Resets the invite link (admins only): the old code answers 410 forever, outstanding invites v4 die too. */
export function revokeInvite(tx: Tx, actor: string, groupId: Jid): string {
  const group = tx.group(groupId);
  requireAdmin(group, actor);
  group.revokedInviteCodes.push(group.inviteCode);
  let code = randomCode(tx.config.random);
  while (tx.lookupCode(code)) code = randomCode(tx.config.random);
  group.inviteCode = code;
  for (const request of group.addRequests) request.revoked = true;
  emitEach(tx, memberPhones(group), () => ({ type: 'group.invite_code', groupId, code, actor: phoneJid(actor) }));
  return code;
}

/** The group behind a code: 410 for a revoked code, 406 for one that never existed. */
function groupOfCode(tx: Tx, code: string): SandboxGroupRecord {
  const entry = INVITE_CODE_PATTERN.test(code) ? tx.lookupCode(code) : undefined;
  if (!entry) throw engineError(406, 'invalid invite code');
  if (entry.revoked) throw engineError(410, 'invite code revoked');
  return tx.group(entry.groupId);
}

/** Preview without joining; anyone may look. */
export function inviteInfo(tx: Tx, code: string): InviteInfo {
  return inviteInfoView(groupOfCode(tx, code));
}

/** The newcomer gets the whole group; the members already there hear who came in. */
export function announceJoin(tx: Tx, group: SandboxGroupRecord, joiners: string[], actor: string): void {
  const by = phoneJid(actor);
  const metadata = metadataView(tx, group);
  emitEach(tx, joiners, () => ({ type: 'group.upsert', group: metadata, reason: 'joined', actor: by }));
  const participants = joiners.map((phone) => participantView(tx, memberOf(group, phone)!));
  emitEach(tx, memberPhones(group, joiners), () => ({ type: 'group.participants', groupId: group.id, action: 'add', participants, actor: by }));
}

/**
 * Joins by link: 406/410 bad code, 304 already a member, 405 removed by an admin, 419 full. In
 * approval mode it files a join request instead (asking twice files nothing new).
 */
export function joinByCode(tx: Tx, actor: string, code: string): { groupId: Jid; pendingApproval: boolean } {
  const group = groupOfCode(tx, code);
  const groupId = group.id;
  if (memberOf(group, actor)) throw engineError(304, 'already a member');
  if (tx.findAccount(actor)?.removedFrom?.includes(groupId)) throw engineError(405, 'removed from this group by an admin');
  tx.account(actor);
  if (group.settings.approvalMode) {
    if (!group.joinRequests.some((request) => request.phone === actor)) {
      group.joinRequests.push({ phone: actor, requestTime: tx.nowSec(), method: 'invite_link' });
      const participant = { phoneJid: phoneJid(actor), lid: tx.lidOf(actor) };
      emitEach(tx, adminPhones(group), () => ({ type: 'group.join_request', groupId, action: 'created', participant, actor: phoneJid(actor), method: 'invite_link' }));
    }
    return { groupId, pendingApproval: true };
  }
  requireRoom(tx, group);
  pruneExpired(tx, group);
  admit(tx, group, actor);
  announceJoin(tx, group, [actor], actor);
  return { groupId, pendingApproval: false };
}

/**
 * Accepts an invite v4 issued to `actor` by a refused add: 404 no group, 304 already a member,
 * 406 a code never issued to this person, 410 expired or revoked, 419 full.
 */
export function acceptInviteV4(tx: Tx, actor: string, invite: { groupId: Jid; code: string }): { groupId: Jid } {
  const group = tx.group(invite.groupId);
  if (memberOf(group, actor)) throw engineError(304, 'already a member');
  const request = group.addRequests.find((candidate) => candidate.code === invite.code && candidate.phone === actor);
  if (!request) throw engineError(406, 'invalid invite v4 code');
  if (request.revoked || request.expiration <= tx.nowSec()) throw engineError(410, 'invite v4 expired or revoked');
  requireRoom(tx, group);
  pruneExpired(tx, group);
  admit(tx, group, actor);
  announceJoin(tx, group, [actor], actor);
  return { groupId: group.id };
}
