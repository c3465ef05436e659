/**
 * Green API's shapes, as pure functions: its chat ids, its instance states, its settings object and
 * the bodies of its webhooks / notification queue items. Used by the Green API dialect (the
 * receiveNotification queue) and by webhook delivery (subscriptions in Green API format), so both
 * send the same body for the same event. The mapping is documented in docs/green-api.md.
 */
import type { EventRecord } from '../../core/events/event-model.js';
import type { Instance, InstanceStatus } from '../../core/instances/instance-model.js';
import { jidToPhone } from '../../core/common/phone.js';
import type { WebhookBodyFormat } from '../../core/ports/webhook-format.js';

/** The instance setting holding the Green API settings (setSettings). */
export const GREEN_SETTINGS_KEY = 'greenApi';

export type GreenState = 'authorized' | 'notAuthorized' | 'starting' | 'blocked' | 'yellowCard';

/** Our connection status as Green API's `stateInstance`. */
export function greenState(status: InstanceStatus): GreenState {
  switch (status) {
    case 'connected':
      return 'authorized';
    case 'starting':
    case 'disconnected':
      return 'starting';
    case 'qr':
    case 'pairing':
    case 'logged_out':
    case 'failed':
      return 'notAuthorized';
  }
}

/** `<digits>@c.us` for a phone jid or `+E164`; group ids and unresolvable LIDs are kept as they are. */
export function greenChatId(jid: string | null | undefined): string {
  if (!jid) return '';
  const phone = jidToPhone(jid) ?? /^\+(\d{6,15})$/.exec(jid)?.[1];
  return phone ? `${phone}@c.us` : jid;
}

interface PersonLike {
  jid?: string | null;
  phone?: string | null;
  lid?: string | null;
}

/** A person from the event log (`{jid, phone, lid}`) in Green API's form: the phone when known. */
export function greenPerson(p: PersonLike | null | undefined): string {
  if (!p) return '';
  if (p.phone) return greenChatId(p.phone);
  return greenChatId(p.jid ?? p.lid ?? '');
}

/** Green API's yes/no switches that groupgate honours, and the other settings it keeps. */
export const GREEN_SWITCHES = [
  'outgoingWebhook',
  'outgoingMessageWebhook',
  'outgoingAPIMessageWebhook',
  'incomingWebhook',
  'stateWebhook',
  'deviceWebhook',
  'statusInstanceWebhook',
  'pollMessageWebhook',
  'incomingBlockWebhook',
  'incomingCallWebhook',
  'editedMessageWebhook',
  'deletedMessageWebhook',
  'markIncomingMessagesReaded',
  'markIncomingMessagesReadedOnReply',
  'keepOnlineStatus',
  'enableMessagesHistory',
] as const;
export type GreenSwitch = (typeof GREEN_SWITCHES)[number];

/**
 * groupgate's own opt-in switch (not a Green API setting): group changes as `notificationMessage`s.
 * Green API sends no notification for group changes, so this is off unless setSettings turns it on.
 */
export const GROUP_NOTIFICATIONS_SWITCH = 'groupgateGroupNotifications';

export type GreenSettings = { webhookUrl: string; webhookUrlToken: string; delaySendMessagesMilliseconds: number } & Record<GreenSwitch, 'yes' | 'no'> & {
    [GROUP_NOTIFICATIONS_SWITCH]: 'yes' | 'no';
  };

/** Defaults, as Green API documents for a new instance: every switch off. */
export const GREEN_DEFAULT_SETTINGS: GreenSettings = {
  webhookUrl: '',
  webhookUrlToken: '',
  delaySendMessagesMilliseconds: 5000,
  outgoingWebhook: 'no',
  outgoingMessageWebhook: 'no',
  outgoingAPIMessageWebhook: 'no',
  incomingWebhook: 'no',
  stateWebhook: 'no',
  deviceWebhook: 'no',
  statusInstanceWebhook: 'no',
  pollMessageWebhook: 'no',
  incomingBlockWebhook: 'no',
  incomingCallWebhook: 'no',
  editedMessageWebhook: 'no',
  deletedMessageWebhook: 'no',
  markIncomingMessagesReaded: 'no',
  markIncomingMessagesReadedOnReply: 'no',
  keepOnlineStatus: 'no',
  enableMessagesHistory: 'no',
  [GROUP_NOTIFICATIONS_SWITCH]: 'no',
};

/** The instance's Green API settings: what setSettings stored over the defaults. */
export function greenSettings(instance: Instance): GreenSettings {
  const stored = (instance.settings[GREEN_SETTINGS_KEY] ?? {}) as Partial<GreenSettings>;
  return { ...GREEN_DEFAULT_SETTINGS, ...stored };
}

/** `wid`: the instance's own chat id, or "" before its number is known. */
export function greenWid(instance: Instance): string {
  return instance.phone ? `${instance.phone}@c.us` : '';
}

function instanceData(instance: Instance) {
  return { idInstance: Number(instance.idInstance), wid: greenWid(instance), typeInstance: 'whatsapp' };
}

const seconds = (iso: unknown, fallback: string): number => {
  const t = Date.parse(typeof iso === 'string' ? iso : fallback);
  return Math.floor((Number.isNaN(t) ? Date.parse(fallback) : t) / 1000);
};

/**
 * How WhatsApp labels each group change in the chat (its message stub types); Green API has no
 * webhook type for them, so they travel as `notificationMessage`s in the group chat.
 */
const GROUP_NOTIFICATION: Record<string, string> = {
  'group.created': 'GROUP_CREATE',
  'group.participants.added': 'GROUP_PARTICIPANT_ADD',
  'group.participants.removed': 'GROUP_PARTICIPANT_REMOVE',
  'group.participants.promoted': 'GROUP_PARTICIPANT_PROMOTE',
  'group.participants.demoted': 'GROUP_PARTICIPANT_DEMOTE',
  'group.participants.left': 'GROUP_PARTICIPANT_LEAVE',
  'group.invite_code.changed': 'GROUP_CHANGE_INVITE_LINK',
  'group.join_request.created': 'GROUP_MEMBERSHIP_JOIN_APPROVAL_REQUEST',
  'group.join_request.approved': 'GROUP_MEMBERSHIP_JOIN_APPROVAL_REQUEST_APPROVED',
  'group.join_request.rejected': 'GROUP_MEMBERSHIP_JOIN_APPROVAL_REQUEST_REJECTED',
  'group.join_request.revoked': 'GROUP_MEMBERSHIP_JOIN_APPROVAL_REQUEST_REVOKED',
};

/** `group.updated` changes -> [stub type, Green-style field name]. */
const CHANGE_NOTIFICATION: Record<string, [string, string]> = {
  name: ['GROUP_CHANGE_SUBJECT', 'subject'],
  description: ['GROUP_CHANGE_DESCRIPTION', 'description'],
  announcement: ['GROUP_CHANGE_ANNOUNCE', 'announce'],
  locked: ['GROUP_CHANGE_RESTRICT', 'restrict'],
  memberAddMode: ['GROUP_MEMBER_ADD_MODE', 'memberAddMode'],
  approvalMode: ['GROUP_MEMBERSHIP_JOIN_APPROVAL_MODE', 'joinApprovalMode'],
  ephemeralSeconds: ['CHANGE_EPHEMERAL_SETTING', 'ephemeralExpiration'],
};

/** The notification's type and data for a group event, or undefined when the chat shows nothing. */
function groupNotification(instance: Instance, event: EventRecord): { type: string; data: Record<string, unknown> } | undefined {
  const d = event.data;
  const people = (list: unknown) => (Array.isArray(list) ? list.map((p) => greenPerson(p as PersonLike)) : []);
  const me = greenWid(instance);
  switch (event.type) {
    case 'group.joined': {
      const reason = d.reason;
      if (reason === 'added') return { type: 'GROUP_PARTICIPANT_ADD', data: { participants: [me] } };
      if (reason === 'joined') return { type: 'GROUP_PARTICIPANT_INVITE', data: { participants: [me] } };
      return undefined; // a resync found it: nothing happened in the chat
    }
    case 'group.left': {
      if (d.reason === 'left') return { type: 'GROUP_PARTICIPANT_LEAVE', data: { participants: [me] } };
      if (d.reason === 'removed') return { type: 'GROUP_PARTICIPANT_REMOVE', data: { participants: [me] } };
      return undefined;
    }
    case 'group.created':
      return { type: 'GROUP_CREATE', data: { subject: d.name ?? '', participants: people(d.participants) } };
    case 'group.updated': {
      const changes = (d.changes ?? {}) as Record<string, unknown>;
      const known = Object.keys(changes).filter((k) => CHANGE_NOTIFICATION[k]);
      if (known.length === 0) return undefined;
      const data: Record<string, unknown> = {};
      for (const k of known) {
        const v = changes[k];
        data[CHANGE_NOTIFICATION[k]![1]] = k === 'memberAddMode' ? (v === 'all' ? 'all_member_add' : 'admin_add') : v;
      }
      return { type: CHANGE_NOTIFICATION[known[0]!]![0], data };
    }
    case 'group.join_request.created':
    case 'group.join_request.approved':
    case 'group.join_request.rejected':
    case 'group.join_request.revoked':
      return { type: GROUP_NOTIFICATION[event.type]!, data: { participants: [greenPerson(d.participant as PersonLike)] } };
    default: {
      const type = GROUP_NOTIFICATION[event.type];
      return type ? { type, data: Array.isArray(d.participants) ? { participants: people(d.participants) } : {} } : undefined;
    }
  }
}

const on = (settings: GreenSettings, key: GreenSwitch | typeof GROUP_NOTIFICATIONS_SWITCH) => settings[key] === 'yes';
const text = (v: unknown) => (typeof v === 'string' ? v : '');

/** Our message statuses in Green API's words (outgoingMessageStatus). */
const OUTGOING_STATUS: Record<string, string> = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' };

/** The messageData of a text or invite message; undefined for kinds Green API would not show. */
function messageData(d: Record<string, unknown>): Record<string, unknown> | undefined {
  const invite = d.groupInvite as { groupId?: string; code?: string; expiration?: string; groupName?: string } | undefined;
  if (invite) {
    return {
      typeMessage: 'groupInviteMessage',
      groupInviteMessageData: {
        groupJid: invite.groupId ?? '',
        inviteCode: invite.code ?? '',
        // A string of Unix seconds, as the official v2 client types it.
        inviteExpiration: String(invite.expiration ? seconds(invite.expiration, invite.expiration) : 0),
        groupName: invite.groupName ?? '',
        caption: typeof d.text === 'string' ? d.text : '',
        jpegThumbnail: '',
      },
    };
  }
  if (typeof d.text === 'string') return { typeMessage: 'textMessage', textMessageData: { textMessage: d.text } };
  return undefined;
}

/**
 * The Green API webhook body for one event of the instance's log, or null when Green API would send
 * nothing for it (operations, resyncs) or the instance's Green API settings switch that kind off.
 */
export function greenApiWebhookBody(instance: Instance, event: EventRecord): Record<string, unknown> | null {
  const settings = greenSettings(instance);
  const d = event.data;
  const base = { instanceData: instanceData(instance), timestamp: seconds(d.timestamp, event.occurredAt) };
  switch (event.type) {
    case 'instance.status': {
      if (!on(settings, 'stateWebhook')) return null;
      return { typeWebhook: 'stateInstanceChanged', ...base, stateInstance: greenState(d.status as InstanceStatus) };
    }
    case 'message.received': {
      if (!on(settings, 'incomingWebhook')) return null;
      const data = messageData(d);
      if (!data) return null;
      const chatId = greenChatId(d.chatId as string);
      const sender = greenPerson(d.from as PersonLike) || chatId;
      const senderName = text(d.senderName);
      // chatName: the group's subject, or for a person the contact's name (their push name when that is all there is).
      const chatName = text(d.chatName) || (chatId.endsWith('@g.us') ? '' : senderName);
      return {
        typeWebhook: 'incomingMessageReceived',
        ...base,
        idMessage: d.messageId,
        senderData: { chatId, chatName, sender, senderName, senderContactName: '' },
        messageData: data,
      };
    }
    case 'message.sent': {
      if (!on(settings, 'outgoingAPIMessageWebhook')) return null;
      const data = messageData(d);
      if (!data) return null;
      return {
        typeWebhook: 'outgoingAPIMessageReceived',
        ...base,
        idMessage: d.messageId,
        senderData: { chatId: greenChatId(d.chatId as string), chatName: text(d.chatName), sender: greenWid(instance), senderName: '', senderContactName: '' },
        messageData: data,
      };
    }
    case 'message.status': {
      const status = OUTGOING_STATUS[String(d.status)];
      if (!status) return null;
      // Green API: `failed` (and `noAccount`) cannot be switched off; the others follow outgoingWebhook.
      if (status !== 'failed' && !on(settings, 'outgoingWebhook')) return null;
      return {
        typeWebhook: 'outgoingMessageStatus',
        chatId: greenChatId(d.chatId as string),
        ...base,
        idMessage: d.messageId,
        status,
        sendByApi: true,
      };
    }
    default: {
      if (!event.type.startsWith('group.') || !on(settings, GROUP_NOTIFICATIONS_SWITCH)) return null;
      const n = groupNotification(instance, event);
      if (!n) return null;
      const chatId = String(d.groupId ?? '');
      return {
        typeWebhook: 'incomingMessageReceived',
        ...base,
        idMessage: event.id,
        senderData: {
          chatId,
          chatName: typeof d.name === 'string' ? d.name : '',
          sender: greenPerson(d.actor as PersonLike),
          senderName: '',
          senderContactName: '',
        },
        messageData: { typeMessage: 'notificationMessage', notificationMessageData: { type: n.type, ...n.data } },
      };
    }
  }
}

/** The `green-api` webhook format: Green API's webhook bodies (registered at wiring). */
export const greenApiWebhookFormat: WebhookBodyFormat = { name: 'green-api', body: greenApiWebhookBody };
