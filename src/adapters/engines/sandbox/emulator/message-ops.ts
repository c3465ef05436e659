/** Messages and contact lookups: just enough of chat for group work (texts, invites v4). */
import type { GroupInviteV4, Jid, OnWhatsAppResult } from '../../../../core/ports/engine.js';
import { engineError } from '../../../../core/ports/engine.js';
import { isGroupJid, phoneJid, randomMessageId } from './ids.js';
import { memberOf, requireMember } from './rules.js';
import type { Tx } from './tx.js';
import { emitEach, memberPhones } from './views.js';

type Sent = { id: string; timestamp: number };

/** The sender's push name, as WhatsApp attaches it to each message. */
const pushName = (tx: Tx, phone: string) => {
  const name = tx.view(phone).name;
  return name ? { pushName: name } : {};
};

/** The phone of a person chat: 400 for a malformed or unknown jid, 404 for a number not on WhatsApp. */
function recipientOf(tx: Tx, jid: Jid): string {
  const phone = tx.resolvePerson(jid);
  if (phone === undefined) throw engineError(400, `not a person jid: ${jid}`);
  if (!tx.view(phone).registered) throw engineError(404, `${phone} is not on WhatsApp`);
  return phone;
}

/**
 * Text to a group (every other member receives it; 404, 403 not a member, 401 announcement group
 * and not an admin) or to a person (they receive it in the chat with the sender). No echo to the
 * sender; the sender gets a `delivered` receipt once someone received it (a group with no other
 * member delivers to nobody).
 */
export function sendText(tx: Tx, actor: string, chatId: Jid, text: string): Sent {
  if (text.length === 0) throw engineError(400, 'empty text');
  const sent = { id: randomMessageId(tx.config.random), timestamp: tx.nowSec() };
  const from = phoneJid(actor);
  if (isGroupJid(chatId)) {
    const group = tx.readGroup(chatId);
    const member = requireMember(group, actor);
    if (group.settings.announcement && member.role === 'member') throw engineError(401, 'only admins may send to this group');
    const recipients = memberPhones(group, [actor]);
    emitEach(tx, recipients, () => ({ type: 'message', ...sent, chatId, from, fromMe: false, ...pushName(tx, actor), text }));
    if (recipients.length > 0) tx.emit(actor, { type: 'message.status', id: sent.id, chatId, status: 'delivered', timestamp: sent.timestamp });
    return sent;
  }
  const to = recipientOf(tx, chatId);
  if (to !== actor) {
    tx.emit(to, { type: 'message', ...sent, chatId: from, from, fromMe: false, ...pushName(tx, actor), text });
    tx.emit(actor, { type: 'message.status', id: sent.id, chatId, status: 'delivered', timestamp: sent.timestamp });
  }
  return sent;
}

/** An invite-v4 message to one person (what an admin sends after a 403 add). */
export function sendGroupInvite(tx: Tx, actor: string, to: Jid, invite: GroupInviteV4): Sent {
  const recipient = recipientOf(tx, to);
  const group = tx.findGroup(invite.groupId);
  if (group && !memberOf(group, actor)) throw engineError(403, `${actor} is not a member of ${invite.groupId}`);
  const sent = { id: randomMessageId(tx.config.random), timestamp: tx.nowSec() };
  const from = phoneJid(actor);
  if (recipient !== actor) {
    tx.emit(recipient, { type: 'message', ...sent, chatId: from, from, fromMe: false, ...pushName(tx, actor), groupInvite: { ...invite } });
  }
  return sent;
}

/** Registration of each number; registered ones get their canonical jid and LID. */
export function onWhatsApp(tx: Tx, phones: string[]): OnWhatsAppResult[] {
  return phones.map((input) => {
    const phone = input.replace(/\D/g, '');
    if (phone.length === 0 || !tx.view(phone).registered) return { phone: phone || input, registered: false };
    return { phone, registered: true, jid: phoneJid(phone), lid: tx.lidOf(phone) };
  });
}
