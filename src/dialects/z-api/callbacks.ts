/**
 * Z-API's callback bodies, one per webhook kind, made from the event log: `ReceivedCallback`
 * (messages in chats and groups, and group notifications), `DeliveryCallback`,
 * `MessageStatusCallback`, `ConnectedCallback` and `DisconnectedCallback`. Field names, order and
 * fill follow Z-API's documentation (github.com/Z-API/z-api-docs, docs/webhooks/*) and bodies captured
 * from a Z-API-compatible service. Pure functions only.
 */
import type { EventRecord } from '../../core/events/event-model.js';
import type { Instance } from '../../core/instances/instance-model.js';
import type { WebhookBodyFormat } from '../../core/ports/webhook-format.js';
import { toZapiGroupPhone, zapiPhone } from './wire-format.js';

type PersonLike = { jid?: string | null; phone?: string | null; lid?: string | null };
type Body = Record<string, unknown>;

const asPerson = (v: unknown): PersonLike | null => (v && typeof v === 'object' ? (v as PersonLike) : null);
const asPeople = (v: unknown): PersonLike[] => (Array.isArray(v) ? v.map(asPerson).filter((p): p is PersonLike => p !== null) : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const millis = (iso: unknown): number => {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t : 0;
};

/** A LID as Z-API writes it (`<digits>@lid`), or null. */
const lidOf = (p: PersonLike | null | undefined): string | null => (p?.lid && p.lid.endsWith('@lid') ? p.lid : p?.jid?.endsWith('@lid') ? p.jid : null);

/** One person of `notificationParameters`: bare digits, or `<lid>@lid` when only the LID is known. */
const param = (p: PersonLike): string | null => zapiPhone(p) ?? lidOf(p);

const same = (a: PersonLike | null, b: PersonLike | null): boolean => !!a && !!b && ((!!zapiPhone(a) && zapiPhone(a) === zapiPhone(b)) || (!!lidOf(a) && lidOf(a) === lidOf(b)));

/** A chat id as Z-API's `phone`: `<id>-group` for a group, digits for a person (the LID when that is all there is). */
function chatPhone(chatId: string): string {
  if (chatId.endsWith('@g.us')) return toZapiGroupPhone(chatId);
  return zapiPhone({ jid: chatId }) ?? chatId;
}

/** The fields every `ReceivedCallback` starts with, in the order of Z-API's text example. */
function receivedHead(
  instance: Instance,
  event: EventRecord,
  f: { chatId: string; fromMe: boolean; sender: PersonLike | null; senderName: string | null; chatName: string | null; status: string },
) {
  const isGroup = f.chatId.endsWith('@g.us');
  const senderPhone = zapiPhone(f.sender) ?? null;
  return {
    isStatusReply: false,
    senderLid: lidOf(f.sender),
    chatLid: isGroup ? null : lidOf({ jid: f.chatId }),
    connectedPhone: instance.phone ?? null,
    waitingMessage: false,
    isEdit: false,
    isGroup,
    isNewsletter: false,
    instanceId: instance.id,
    messageId: str(event.data.messageId) ?? event.id,
    phone: chatPhone(f.chatId),
    fromMe: f.fromMe,
    momment: millis(event.data.timestamp ?? event.occurredAt),
    status: f.status,
    chatName: f.chatName,
    senderPhoto: null,
    // Z-API writes the number where WhatsApp gave no push name.
    senderName: f.senderName ?? senderPhone ?? '',
    participantPhone: isGroup ? senderPhone : null,
    participantLid: isGroup ? lidOf(f.sender) : null,
    photo: null,
    broadcast: false,
    type: 'ReceivedCallback',
  };
}

/** An incoming text (`message.received`) or, with notifySentByMe, one the instance sent (`message.sent`). */
function messageCallback(instance: Instance, event: EventRecord): Body | null {
  const d = event.data;
  const chatId = str(d.chatId);
  const text = str(d.text);
  if (!chatId || text === null) return null;
  const fromMe = event.type === 'message.sent';
  const me: PersonLike = { phone: instance.phone };
  const sender = fromMe ? me : asPerson(d.from);
  const isGroup = chatId.endsWith('@g.us');
  const senderName = str(d.senderName) || null;
  // For a person's chat, the chat is named after them; for a group, after the group.
  const chatName = str(d.chatName) || (isGroup || fromMe ? null : (senderName ?? zapiPhone(sender) ?? null));
  return {
    ...receivedHead(instance, event, { chatId, fromMe, sender, senderName: fromMe ? null : senderName, chatName, status: fromMe ? 'SENT' : 'RECEIVED' }),
    referenceMessageId: null,
    messageExpirationSeconds: 0,
    forwarded: false,
    fromApi: fromMe,
    text: { message: text },
  };
}

/** Z-API's names for each changed group field (WhatsApp's own notification names), with their parameter. */
const CHANGE_NOTIFICATIONS: [string, string, (v: unknown) => string][] = [
  ['name', 'GROUP_CHANGE_SUBJECT', String],
  ['description', 'GROUP_CHANGE_DESCRIPTION', String],
  ['announcement', 'GROUP_CHANGE_ANNOUNCE', (v) => (v ? 'on' : 'off')],
  ['locked', 'GROUP_CHANGE_RESTRICT', (v) => (v ? 'on' : 'off')],
  ['approvalMode', 'GROUP_MEMBERSHIP_JOIN_APPROVAL_MODE', (v) => (v ? 'on' : 'off')],
  ['memberAddMode', 'GROUP_MEMBER_ADD_MODE', (v) => (v === 'admins' ? 'admin_add' : 'all_member_add')],
  ['ephemeralSeconds', 'CHANGE_EPHEMERAL_SETTING', String],
];

interface Notification {
  notification: string;
  /** Who acted (the sender of WhatsApp's notification). */
  actor: PersonLike | null;
  parameters: string[];
  requestMethod?: string;
}

const people = (ps: PersonLike[]) => ps.map(param).filter((p): p is string => !!p);

/** The notification a group event is in Z-API's terms, or null when Z-API has none for it. */
function groupNotification(instance: Instance, event: EventRecord): Notification | null {
  const d = event.data;
  const me: PersonLike | null = instance.phone ? { phone: instance.phone } : null;
  const actor = asPerson(d.actor);
  const about = asPeople(d.participants);
  switch (event.type) {
    case 'group.created':
      // Z-API's own rendering: "Criou o grupo '<notificationParameters>'": the group's name.
      return { notification: 'GROUP_CREATE', actor: actor ?? me, parameters: [str(d.name) ?? ''] };
    case 'group.joined':
      if (d.reason === 'joined') return { notification: 'GROUP_PARTICIPANT_INVITE', actor: me, parameters: people(me ? [me] : []) };
      if (d.reason === 'added') return { notification: 'GROUP_PARTICIPANT_ADD', actor, parameters: people(me ? [me] : []) };
      return null;
    case 'group.left':
      if (d.reason === 'removed') return { notification: 'GROUP_PARTICIPANT_REMOVE', actor, parameters: people(me ? [me] : []) };
      if (d.reason === 'left') return { notification: 'GROUP_PARTICIPANT_LEAVE', actor: me, parameters: people(me ? [me] : []) };
      return null;
    case 'group.participants.added':
      // Nobody adds themselves: whoever is both actor and newcomer came in through the link.
      if (about.length === 1 && same(actor, about[0]!)) return { notification: 'GROUP_PARTICIPANT_INVITE', actor, parameters: people(about) };
      return { notification: 'GROUP_PARTICIPANT_ADD', actor, parameters: people(about) };
    case 'group.participants.removed':
      return { notification: 'GROUP_PARTICIPANT_REMOVE', actor, parameters: people(about) };
    case 'group.participants.left':
      return { notification: 'GROUP_PARTICIPANT_LEAVE', actor: about[0] ?? actor, parameters: people(about) };
    case 'group.participants.promoted':
      return { notification: 'GROUP_PARTICIPANT_PROMOTE', actor, parameters: people(about) };
    case 'group.participants.demoted':
      return { notification: 'GROUP_PARTICIPANT_DEMOTE', actor, parameters: people(about) };
    case 'group.join_request.created': {
      const requester = asPerson(d.participant);
      const method = d.method === 'non_admin_add' ? 'non_admin_add' : 'invite_link';
      // A member's add of someone else names both: the person asked for, then the member who added them.
      const adder = method === 'non_admin_add' && actor && !same(actor, requester) ? [actor] : [];
      return { notification: 'MEMBERSHIP_APPROVAL_REQUEST', actor: requester, parameters: people([...(requester ? [requester] : []), ...adder]), requestMethod: method };
    }
    case 'group.join_request.revoked': {
      const requester = asPerson(d.participant);
      return { notification: 'REVOKED_MEMBERSHIP_REQUESTS', actor: requester, parameters: people(requester ? [requester] : []) };
    }
    case 'group.updated': {
      const changes = (d.changes && typeof d.changes === 'object' ? d.changes : {}) as Record<string, unknown>;
      const found = CHANGE_NOTIFICATIONS.find(([key]) => key in changes);
      if (!found) return null;
      const [key, notification, render] = found;
      return { notification, actor, parameters: [render(changes[key])] };
    }
    case 'group.invite_code.changed':
      return { notification: 'GROUP_CHANGE_INVITE_LINK', actor, parameters: [] };
    default:
      return null;
  }
}

/** A group notification as Z-API's `ReceivedCallback` (its join-request examples give the order). */
function notificationCallback(instance: Instance, event: EventRecord): Body | null {
  const groupId = str(event.data.groupId);
  if (!groupId) return null;
  const n = groupNotification(instance, event);
  if (!n) return null;
  const fromMe = !!instance.phone && zapiPhone(n.actor) === instance.phone;
  const head = receivedHead(instance, event, { chatId: groupId, fromMe, sender: n.actor, senderName: null, chatName: str(event.data.name), status: 'RECEIVED' });
  return {
    ...head,
    momment: millis(event.occurredAt),
    messageId: event.id,
    expiresAt: null,
    referenceMessageId: null,
    externalAdReply: null,
    forwarded: false,
    notification: n.notification,
    notificationParameters: n.parameters,
    callId: null,
    code: null,
    ...(n.requestMethod ? { requestMethod: n.requestMethod } : {}),
  };
}

/** What the "received" URL gets: messages in and (with notifySentByMe) out, and group notifications. */
export function receivedCallback(instance: Instance, event: EventRecord): Body | null {
  if (event.type === 'message.received' || event.type === 'message.sent') return messageCallback(instance, event);
  if (event.type.startsWith('group.')) return notificationCallback(instance, event);
  return null;
}

/** Z-API's "on send" callback (docs/webhooks/on-message-send.md): the message left for WhatsApp. */
export function deliveryCallback(instance: Instance, event: EventRecord): Body | null {
  const messageId = str(event.data.messageId);
  const chatId = str(event.data.chatId);
  if (event.type !== 'message.sent' || !messageId || !chatId) return null;
  // send-text answers zaapId = messageId, so a client can match the two.
  return { phone: chatPhone(chatId), zaapId: messageId, messageId, type: 'DeliveryCallback', instanceId: instance.id };
}

/** The engine's statuses in Z-API's words; "failed" has none in Z-API's documented set. */
const STATUS_WORDS: Record<string, string> = { sent: 'SENT', delivered: 'RECEIVED', read: 'READ', played: 'PLAYED' };

/** Z-API's message status callback (docs/webhooks/on-whatsapp-message-status-changes.md). */
export function messageStatusCallback(instance: Instance, event: EventRecord): Body | null {
  const d = event.data;
  const messageId = str(d.messageId);
  const chatId = str(d.chatId);
  const status = event.type === 'message.sent' ? 'SENT' : event.type === 'message.status' ? STATUS_WORDS[String(d.status)] : undefined;
  if (!messageId || !chatId || !status) return null;
  return {
    instanceId: instance.id,
    status,
    ids: [messageId],
    momment: millis(d.timestamp ?? event.occurredAt),
    phoneDevice: 0,
    phone: chatPhone(chatId),
    type: 'MessageStatusCallback',
    isGroup: chatId.endsWith('@g.us'),
  };
}

/** Statuses after which the number is no longer connected (a restart's "starting" is not one). */
const DISCONNECTED = new Set(['disconnected', 'logged_out', 'failed']);

/** Z-API's connected callback (docs/webhooks/on-webhook-connected.md, and a captured body for isBusiness). */
export function connectedCallback(instance: Instance, event: EventRecord): Body | null {
  if (event.type !== 'instance.status' || event.data.status !== 'connected') return null;
  const phone = str(event.data.phone)?.replace(/^\+/, '') ?? instance.phone ?? null;
  return { type: 'ConnectedCallback', connected: true, momment: millis(event.occurredAt), instanceId: instance.id, phone, isBusiness: false };
}

/** Z-API's disconnected callback (docs/webhooks/on-whatsapp-disconnected.md). */
export function disconnectedCallback(instance: Instance, event: EventRecord): Body | null {
  if (event.type !== 'instance.status' || !DISCONNECTED.has(String(event.data.status))) return null;
  return { momment: millis(event.occurredAt), error: 'Device has been disconnected', disconnected: true, type: 'DisconnectedCallback', instanceId: instance.id };
}

/**
 * The body of one event for one Z-API webhook kind (the subscription's slot). A z-api subscription
 * made through the native API (no slot) is Z-API's received URL without "notify sent by me".
 */
export function zapiCallbackBody(instance: Instance, event: EventRecord, slot: string | null = null): Body | null {
  switch (slot) {
    case 'received':
      return receivedCallback(instance, event);
    case 'delivery':
      return deliveryCallback(instance, event);
    case 'message-status':
      return messageStatusCallback(instance, event);
    case 'connected':
      return connectedCallback(instance, event);
    case 'disconnected':
      return disconnectedCallback(instance, event);
    case 'chat-presence':
      return null;
    default:
      return event.type === 'message.sent' ? null : receivedCallback(instance, event);
  }
}

/** The `z-api` webhook format (registered by the dialect module). */
export const zapiWebhookFormat: WebhookBodyFormat = { name: 'z-api', body: (instance, event, target) => zapiCallbackBody(instance, event, target.providerSlot) };
