/**
 * 2Chat's webhook events and their bodies, made from the event log. Which 2Chat event a
 * subscription wants (and for which group) is its row in `two_chat_webhooks`, named by the core
 * subscription's slot. Bodies follow 2Chat's published message payloads; for the group events,
 * whose bodies 2Chat does not publish, the shape is built from the same fields (README,
 * "Switching from 2Chat").
 */
import { createHash } from 'node:crypto';
import type { EventRecord } from '../../core/events/event-model.js';
import type { Instance } from '../../core/instances/instance-model.js';
import type { WebhookBodyFormat } from '../../core/ports/webhook-format.js';
import { jidToPhone } from '../../core/common/phone.js';
import type { TwoChatGroupRepository } from './group-handle-repository.js';
import type { TwoChatWebhook, TwoChatWebhookRepository } from './webhook-repository.js';

/** The 2Chat events groupgate produces, and the event-log types each is made from. */
export const TWO_CHAT_EVENTS: Record<string, string[]> = {
  'whatsapp.group.join': ['group.participants.added', 'group.joined'],
  'whatsapp.group.leave': ['group.participants.left', 'group.left'],
  'whatsapp.group.remove': ['group.participants.removed', 'group.left'],
  'whatsapp.group.message.received': ['message.received'],
  'whatsapp.message.received': ['message.received'],
  'whatsapp.message.sent': ['message.sent'],
  'whatsapp.message.new': ['message.received', 'message.sent'],
  'whatsapp.number.status': ['instance.status'],
  'whatsapp.message.receipt.sent': ['message.sent'],
  'whatsapp.message.receipt.received': ['message.status'],
  'whatsapp.message.receipt.read': ['message.status'],
};

/** 2Chat events a subscription may narrow to one group with `to_group_uuid`. */
export const GROUP_EVENTS = new Set(['whatsapp.group.join', 'whatsapp.group.leave', 'whatsapp.group.remove', 'whatsapp.group.message.received']);

/** A number's 2Chat channel uuid (`WPN` + a uuid derived from the instance id: stable, never stored). */
export function channelUuid(instanceId: string): string {
  const h = createHash('sha256').update(`groupgate:2chat:channel:${instanceId}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `WPN${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** 2Chat's `connection_status`: C connected, D disconnected, F failure. */
export function connectionStatus(status: string): 'C' | 'D' | 'F' {
  if (status === 'connected') return 'C';
  if (status === 'failed') return 'F';
  return 'D';
}

/** 2Chat's number status words (`ready`, `qr-received`, `loading`, `disconnected`, `failure`). */
function statusWord(status: string): string {
  switch (status) {
    case 'connected':
      return 'ready';
    case 'qr':
    case 'pairing':
      return 'qr-received';
    case 'starting':
      return 'loading';
    case 'failed':
      return 'failure';
    default:
      return 'disconnected';
  }
}

/** ISO time without milliseconds, as 2Chat writes it. */
const seconds = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');

type Person = { jid?: string | null; phone?: string | null; lid?: string | null };
const asPerson = (v: unknown): Person | null => (v && typeof v === 'object' ? (v as Person) : null);
const asPeople = (v: unknown): Person[] => (Array.isArray(v) ? v.map(asPerson).filter((p): p is Person => p !== null) : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** `+E164` of a person, or null when only their LID is known. */
function phoneOf(p: Person | null): string | null {
  if (!p) return null;
  if (p.phone) return p.phone.startsWith('+') ? p.phone : `+${p.phone}`;
  const digits = jidToPhone(p.jid ?? undefined);
  return digits ? `+${digits}` : null;
}

/** 2Chat's WhatsApp id of a person: `<digits>@c.us`, or the LID jid when no number is known. */
function waId(p: Person): string | null {
  const phone = phoneOf(p);
  return phone ? `${phone.slice(1)}@c.us` : (p.jid ?? (p.lid ? (p.lid.includes('@') ? p.lid : `${p.lid}@lid`) : null));
}

const isGroupChat = (chatId: unknown) => typeof chatId === 'string' && chatId.endsWith('@g.us');

/** Whether a subscription to `hook` wants this event, before any lookup. */
export function wants(hook: Pick<TwoChatWebhook, 'eventName' | 'groupId'>, event: EventRecord): boolean {
  const types = TWO_CHAT_EVENTS[hook.eventName];
  if (!types?.includes(event.type)) return false;
  const d = event.data;
  switch (hook.eventName) {
    case 'whatsapp.group.leave':
      if (event.type === 'group.left' && d.reason !== 'left') return false;
      break;
    case 'whatsapp.group.remove':
      if (event.type === 'group.left' && d.reason !== 'removed') return false;
      break;
    case 'whatsapp.group.message.received':
      if (!isGroupChat(d.chatId)) return false;
      break;
    case 'whatsapp.message.received':
    case 'whatsapp.message.sent':
    case 'whatsapp.message.new':
      if (isGroupChat(d.chatId)) return false;
      break;
    case 'whatsapp.message.receipt.received':
      if (d.status !== 'delivered') return false;
      break;
    case 'whatsapp.message.receipt.read':
      if (d.status !== 'read') return false;
      break;
  }
  if (hook.groupId) {
    const groupId = str(d.groupId) ?? str(d.chatId);
    if (groupId !== hook.groupId) return false;
  }
  return true;
}

/** The group an event is about, if any. */
export function eventGroupId(event: EventRecord): string | null {
  const d = event.data;
  return str(d.groupId) ?? (isGroupChat(d.chatId) ? (d.chatId as string) : null);
}

/**
 * 2Chat's body for one event wanted by a subscription to `eventName`; `groupUuid` is the 2Chat
 * handle of the event's group (group events). Pure.
 */
export function twoChatBody(instance: Instance, event: EventRecord, eventName: string, groupUuid: string | null): Record<string, unknown> {
  const d = event.data;
  const channel = channelUuid(instance.id);
  const me = instance.phone ? `+${instance.phone}` : null;
  const createdAt = seconds(event.occurredAt);

  if (event.type === 'instance.status') {
    const status = str(d.status) ?? 'disconnected';
    return {
      id: event.id,
      uuid: event.id,
      event: eventName,
      created_at: createdAt,
      channel_uuid: channel,
      channel_phone_number: me ?? (typeof d.phone === 'string' ? d.phone : null),
      connection_status: connectionStatus(status),
      status: statusWord(status),
    };
  }

  if (event.type === 'message.received' || event.type === 'message.sent' || event.type === 'message.status') {
    const received = event.type === 'message.received';
    // A receipt is about a message the number sent: its body is that message's, without the text it does not carry.
    const chatId = str(d.chatId) ?? '';
    const group = isGroupChat(chatId);
    const from = asPerson(d.from);
    const remote = received ? phoneOf(from) : group ? null : phoneOf({ jid: chatId });
    const remoteKey = group ? chatId : remote ? `${remote.slice(1)}@c.us` : chatId;
    const text = str(d.text);
    const at = str(d.timestamp) ?? event.occurredAt;
    return {
      id: str(d.messageId) ?? event.id,
      uuid: str(d.messageId) ?? event.id,
      event: eventName,
      created_at: seconds(at),
      session_key: `WW-${channel}-${remoteKey}`,
      message: text === null ? {} : { text },
      remote_phone_number: group ? phoneOf(from) : remote,
      channel_phone_number: me,
      sent_by: received ? 'user' : 'api',
      ...(group ? { group: { uuid: groupUuid, wa_group_id: chatId, wa_group_name: str(d.chatName) || null } } : {}),
      ...(group && received ? { participant: { phone_number: phoneOf(from), wa_participant_id: from ? waId(from) : null, wa_pushname: str(d.senderName) || null } } : {}),
    };
  }

  // Group membership: join, leave, remove. The instance's own joining or leaving is about itself.
  let people = asPeople(d.participants);
  if (event.type === 'group.joined' || event.type === 'group.left') people = me ? [{ phone: me }] : [];
  const actor = asPerson(d.actor);
  const participants = people.map((p) => ({ phone_number: phoneOf(p), wa_participant_id: waId(p) }));
  return {
    id: event.id,
    uuid: event.id,
    event: eventName,
    created_at: createdAt,
    channel_uuid: channel,
    channel_phone_number: me,
    group: { uuid: groupUuid, wa_group_id: eventGroupId(event), wa_group_name: str(d.name) },
    remote_phone_number: participants[0]?.phone_number ?? null,
    participants,
    action_by: phoneOf(actor),
  };
}

/** The `2chat` webhook format over the dialect's tables. */
export function createTwoChatWebhookFormat(deps: { hooks: TwoChatWebhookRepository; groups: TwoChatGroupRepository }): WebhookBodyFormat {
  // Rows never change once written; a deleted one takes its core subscription with it.
  const cache = new Map<string, TwoChatWebhook | null>();
  async function hookOf(slot: string): Promise<TwoChatWebhook | null> {
    if (!cache.has(slot)) {
      const hook = (await deps.hooks.get(slot)) ?? null;
      if (!hook) return null;
      if (cache.size > 10_000) cache.clear();
      cache.set(slot, hook);
    }
    return cache.get(slot)!;
  }
  return {
    name: '2chat',
    async body(instance, event, target) {
      if (!target.providerSlot) return null;
      const hook = await hookOf(target.providerSlot);
      if (!hook || !wants(hook, event)) return null;
      const groupId = eventGroupId(event);
      const groupUuid = groupId ? (hook.groupId === groupId && hook.groupUuid ? hook.groupUuid : ((await deps.groups.ensure(instance.id, [groupId])).get(groupId) ?? null)) : null;
      return twoChatBody(instance, event, hook.eventName, groupUuid);
    },
  };
}
