/**
 * Wappfy's webhook events and the bodies groupgate sends for them, made from the event log. Wappfy
 * documents its event names and its subscription API but publishes no delivery body, so the body is
 * ours, built from the dialect's own shapes (README, "Switching from Wappfy"):
 * `{event, instance_id, timestamp, data}`. Which Wappfy events a subscription wants is its row in
 * `wappfy_webhooks`, named by the core subscription's slot. A body is made from the event alone, so a
 * retry or a replay sends the same body.
 */
import type { EventRecord } from '../../core/events/event-model.js';
import type { Instance } from '../../core/instances/instance-model.js';
import type { WebhookBodyFormat } from '../../core/ports/webhook-format.js';
import { phoneToJid } from '../../core/common/phone.js';
import { wappfyJid } from './shapes.js';
import type { WappfyWebhook, WappfyWebhookRepository } from './webhook-repository.js';

/** The Wappfy events groupgate produces, and the event-log types each is made from. */
export const WAPPFY_EVENTS: Record<string, string[]> = {
  'message.received': ['message.received'],
  'message.sent': ['message.sent'],
  'message.delivered': ['message.status'],
  'message.read': ['message.status'],
  'message.failed': ['message.status'],
  'instance.connected': ['instance.status'],
  'instance.disconnected': ['instance.status'],
  'instance.qr': ['instance.status'],
  'group.joined': ['group.participants.added', 'group.joined'],
  'group.left': ['group.participants.removed', 'group.participants.left', 'group.left'],
};

/** Events Wappfy documents that groupgate cannot observe: refused by name at subscribe time. */
export const WAPPFY_NOT_PRODUCED = ['message.reaction', 'contact.created'];

/** The event-log types a subscription to these Wappfy events needs. */
export const coreTypesOf = (events: string[]): string[] => [...new Set(events.flatMap((e) => WAPPFY_EVENTS[e] ?? []))];

type Person = { jid?: string | null; phone?: string | null; lid?: string | null };
const asPerson = (v: unknown): Person | null => (v && typeof v === 'object' ? (v as Person) : null);
const asPeople = (v: unknown): Person[] => (Array.isArray(v) ? v.map(asPerson).filter((p): p is Person => p !== null) : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** A person as Wappfy writes them: `{phone}@s.whatsapp.net`, or the LID jid when no number is known. */
function jidOf(p: Person | null): string | null {
  if (!p) return null;
  if (p.phone) return phoneToJid(p.phone.replace(/^\+/, ''));
  return wappfyJid(p.jid ?? (p.lid ? (p.lid.includes('@') ? p.lid : `${p.lid}@lid`) : null));
}

/** A chat id in Wappfy's form: a group's `...@g.us` as it is, a person's `{phone}@s.whatsapp.net`. */
const chatIdOf = (chatId: string): string => (chatId.endsWith('@g.us') ? chatId : (wappfyJid(chatId) ?? chatId));

/** The one Wappfy event an event of the log is, for a subscriber to `wanted`; null when none. */
export function wappfyEventOf(event: EventRecord, wanted: readonly string[]): string | null {
  const d = event.data;
  let name: string | null = null;
  switch (event.type) {
    case 'message.received':
    case 'message.sent':
      name = event.type;
      break;
    case 'message.status':
      name = d.status === 'delivered' ? 'message.delivered' : d.status === 'read' ? 'message.read' : d.status === 'failed' ? 'message.failed' : null;
      break;
    case 'instance.status':
      name =
        d.status === 'connected'
          ? 'instance.connected'
          : d.status === 'qr'
            ? 'instance.qr'
            : d.status === 'disconnected' || d.status === 'logged_out' || d.status === 'failed'
              ? 'instance.disconnected'
              : null;
      break;
    case 'group.participants.added':
    case 'group.joined':
      name = 'group.joined';
      break;
    case 'group.participants.removed':
    case 'group.participants.left':
    case 'group.left':
      name = 'group.left';
      break;
  }
  return name !== null && wanted.includes(name) ? name : null;
}

/** How someone came into or went out of a group. */
function membershipAction(event: EventRecord, who: Person[], actor: string | null): 'add' | 'join' | 'leave' | 'remove' {
  const self = who.length === 1 && actor !== null && jidOf(who[0]!) === actor;
  switch (event.type) {
    case 'group.participants.left':
      return 'leave';
    case 'group.participants.removed':
      return 'remove';
    case 'group.left':
      return event.data.reason === 'left' ? 'leave' : 'remove';
    default:
      return self ? 'join' : 'add';
  }
}

/** The `data` of one Wappfy event. Pure. */
export function wappfyEventData(instance: Instance, event: EventRecord): Record<string, unknown> {
  const d = event.data;
  const me = instance.phone ? phoneToJid(instance.phone.replace(/^\+/, '')) : null;

  if (event.type === 'instance.status') {
    return { status: str(d.status), reason: str(d.reason) ?? '', phone: me };
  }

  if (event.type === 'message.received' || event.type === 'message.sent') {
    const chatId = chatIdOf(str(d.chatId) ?? '');
    const received = event.type === 'message.received';
    const text = str(d.text);
    return {
      id: str(d.messageId),
      chat_id: chatId,
      from: received ? jidOf(asPerson(d.from)) : me,
      from_me: !received,
      is_group: chatId.endsWith('@g.us'),
      type: text === null ? 'unknown' : 'text',
      text,
      timestamp: str(d.timestamp) ?? event.occurredAt,
      ...(received ? { sender_name: str(d.senderName) || null, chat_name: str(d.chatName) || null } : {}),
    };
  }

  if (event.type === 'message.status') {
    return { id: str(d.messageId), chat_id: chatIdOf(str(d.chatId) ?? ''), status: str(d.status), timestamp: str(d.timestamp) ?? event.occurredAt };
  }

  // Group membership. The instance's own joining or leaving is about itself.
  const groupId = str(d.groupId);
  const groupName = str(d.name);
  const who = event.type === 'group.joined' || event.type === 'group.left' ? (me ? [{ jid: me }] : []) : asPeople(d.participants);
  const actor = jidOf(asPerson(d.actor));
  return {
    group: { group_id: groupId, id: groupId, name: groupName, subject: groupName },
    participants: who.map(jidOf).filter((j): j is string => j !== null),
    action: membershipAction(event, who, actor),
    actor,
  };
}

/** The body of one event for a subscription to `hook`, or null when it does not want it. Pure. */
export function wappfyBody(instance: Instance, event: EventRecord, hook: Pick<WappfyWebhook, 'events'>): Record<string, unknown> | null {
  const name = wappfyEventOf(event, hook.events);
  if (!name) return null;
  return { event: name, instance_id: instance.id, timestamp: event.occurredAt, data: wappfyEventData(instance, event) };
}

/** The `wappfy` webhook format over the dialect's table (read per event: a PATCH changes what a subscription wants). */
export function createWappfyWebhookFormat(deps: { hooks: WappfyWebhookRepository }): WebhookBodyFormat {
  return {
    name: 'wappfy',
    async body(instance, event, target) {
      if (!target.providerSlot) return null;
      const hook = await deps.hooks.get(target.providerSlot);
      return hook ? wappfyBody(instance, event, hook) : null;
    },
  };
}
