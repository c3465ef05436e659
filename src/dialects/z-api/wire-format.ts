/**
 * Z-API's wire forms, shared by the Z-API dialect and the webhook sender: group ids written
 * `<digits>-group`, people as bare digits, and the `ReceivedCallback` body of group events.
 * Pure functions only.
 */
import type { EventRecord } from '../../core/events/event-model.js';
import type { Instance } from '../../core/instances/instance-model.js';
import { normalizeGroupId } from '../../core/common/phone.js';
import type { WebhookBodyFormat } from '../../core/ports/webhook-format.js';

/**
 * A group id as Z-API writes it: `120363019502650977@g.us` -> `120363019502650977-group`; an old
 * `5511999999999-1623281429@g.us` loses only its suffix, as on Z-API.
 */
export function toZapiGroupPhone(groupId: string): string {
  const bare = groupId.replace(/@g\.us$/, '');
  return bare.includes('-') ? bare : `${bare}-group`;
}

/** Reads a Z-API group id (`<digits>-group`, old `<digits>-<digits>`, or `...@g.us`) into `...@g.us`. */
export function parseZapiGroupId(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const trimmed = input.trim();
  const m = /^(\d{5,30})-group$/i.exec(trimmed);
  return normalizeGroupId(m ? m[1] : trimmed);
}

/** Whether a Z-API `phone` names a group rather than a person. */
export function isZapiGroupPhone(input: string): boolean {
  return /-group$/i.test(input.trim()) || /@g\.us$/.test(input.trim()) || /^\d{5,20}-\d{5,15}$/.test(input.trim());
}

/** A person as Z-API writes them: bare digits, from `+E164`, a phone jid or digits; undefined for a LID. */
export function zapiPhone(person: { phone?: string | null; jid?: string | null } | null | undefined): string | undefined {
  if (!person) return undefined;
  if (person.phone) return person.phone.replace(/^\+/, '');
  const m = /^(\d+)(?::\d+)?@(s\.whatsapp\.net|c\.us)$/.exec(person.jid ?? '');
  return m?.[1];
}

/** Z-API's group notification types, from the event log's types. */
const NOTIFICATIONS: Record<string, string> = {
  'group.created': 'GROUP_CREATE',
  'group.participants.added': 'GROUP_PARTICIPANT_ADD',
  'group.participants.removed': 'GROUP_PARTICIPANT_REMOVE',
  'group.participants.left': 'GROUP_PARTICIPANT_LEAVE',
  'group.join_request.created': 'MEMBERSHIP_APPROVAL_REQUEST',
};

type PersonLike = { jid?: string | null; phone?: string | null; lid?: string | null };

const asPerson = (v: unknown): PersonLike | null => (v && typeof v === 'object' ? (v as PersonLike) : null);
const asPeople = (v: unknown): PersonLike[] => (Array.isArray(v) ? v.map(asPerson).filter((p): p is PersonLike => p !== null) : []);

/**
 * The Z-API `ReceivedCallback` body of a group event, or null when Z-API has no callback for it.
 * `participantPhone` is who acted (the leaver, the requester); `notificationParameters` lists the
 * people the notification is about, as bare digits (people known only by LID are left out).
 * The instance's own leaving or removal is reported as its own GROUP_PARTICIPANT_LEAVE/REMOVE.
 */
export function zapiCallbackBody(instance: Instance, event: EventRecord): Record<string, unknown> | null {
  const data = event.data;
  const groupId = typeof data.groupId === 'string' ? data.groupId : undefined;
  if (!groupId) return null;
  const me: PersonLike | null = instance.phone ? { phone: `+${instance.phone}` } : null;
  let notification = NOTIFICATIONS[event.type];
  let about: PersonLike[] = asPeople(data.participants);
  let actor = asPerson(data.actor);
  if (event.type === 'group.left') {
    notification = data.reason === 'removed' ? 'GROUP_PARTICIPANT_REMOVE' : 'GROUP_PARTICIPANT_LEAVE';
    about = me ? [me] : [];
    if (data.reason !== 'removed') actor = me;
  } else if (event.type === 'group.participants.left') {
    actor = about[0] ?? actor;
  } else if (event.type === 'group.join_request.created') {
    const requester = asPerson(data.participant);
    about = requester ? [requester] : [];
    actor = requester;
  }
  if (!notification) return null;
  const participantPhone = zapiPhone(actor) ?? null;
  const moment = Date.parse(event.occurredAt);
  return {
    isStatusReply: false,
    connectedPhone: instance.phone ?? null,
    waitingMessage: false,
    isEdit: false,
    isGroup: true,
    isNewsletter: false,
    instanceId: instance.id,
    messageId: event.id,
    phone: toZapiGroupPhone(groupId),
    fromMe: !!participantPhone && participantPhone === instance.phone,
    momment: Number.isFinite(moment) ? moment : 0,
    status: 'RECEIVED',
    chatName: typeof data.name === 'string' ? data.name : null,
    senderPhoto: null,
    senderName: '',
    participantPhone,
    participantLid: actor?.lid ?? null,
    photo: null,
    broadcast: false,
    type: 'ReceivedCallback',
    notification,
    notificationParameters: about.map((p) => zapiPhone(p)).filter((p): p is string => !!p),
    callId: null,
    code: null,
  };
}

/** The `z-api` webhook format: Z-API's `ReceivedCallback` bodies (registered at wiring). */
export const zapiWebhookFormat: WebhookBodyFormat = { name: 'z-api', body: zapiCallbackBody };
