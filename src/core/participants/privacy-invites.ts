/**
 * Private invites for people whose privacy settings refused an add (at group creation or a later
 * add): the invite v4 message WhatsApp offers with the refusal, or, when that fails, a text with the
 * group's invite link. Each sent message is logged as `message.sent`.
 */
import type { EngineSession, ParticipantResult } from '../ports/engine.js';
import type { EventLog } from '../events/event-log.js';
import type { Instance } from '../instances/instance-model.js';
import type { Outcome } from '../outcomes/outcomes.js';
import { inviteLink } from '../common/phone.js';

const INVITE_CAPTION = 'You are invited to join this WhatsApp group.';

/** The group the invites are for, reached through a connected session. */
export interface InviteTarget {
  instance: Instance;
  session: EngineSession;
  groupId: string;
  groupName: string;
}

/**
 * For each `privacy_refused` outcome, sends the invite v4 (or a text with the link when that fails)
 * and marks the outcome `invited` with `inviteSent`; one that cannot be sent stays `privacy_refused`.
 */
export async function sendPrivacyInvites(events: EventLog, target: InviteTarget, outcomes: Outcome[], results: ParticipantResult[]): Promise<void> {
  const { instance, session, groupId, groupName } = target;
  const logSent = (chatId: string, sent: { id: string; timestamp: number }, body: Record<string, unknown>) =>
    events.transact((_tx, emit) => emit(instance.id, 'message.sent', { messageId: sent.id, chatId, timestamp: new Date(sent.timestamp * 1000).toISOString(), ...body }));
  let link: string | undefined;
  for (const o of outcomes) {
    if (o.status !== 'privacy_refused') continue;
    const req = results.find((r) => (r.phoneJid ?? r.jid) === o.jid || r.jid === o.jid)?.addRequest;
    try {
      if (!req) throw new Error('no invite code in the refusal');
      const sent = await session.sendGroupInvite(o.jid, { groupId, code: req.code, expiration: req.expiration, groupName, caption: INVITE_CAPTION });
      await logSent(o.jid, sent, { groupInvite: { groupId, code: req.code, expiration: new Date(req.expiration * 1000).toISOString() } });
    } catch {
      try {
        link ??= inviteLink(await session.inviteCode(groupId));
        const sent = await session.sendText(o.jid, `${INVITE_CAPTION} ${link}`);
        await logSent(o.jid, sent, { text: `${INVITE_CAPTION} ${link}` });
      } catch {
        continue; // stays privacy_refused, inviteSent false
      }
    }
    o.status = 'invited';
    o.inviteSent = true;
  }
}
