/** Shapes 2Chat answers with, made from the core's views and outcomes. */
import type { GroupView } from '../../core/groups/group-service.js';
import type { Instance } from '../../core/instances/instance-model.js';
import type { Outcome } from '../../core/outcomes/outcomes.js';
import { jidToPhone } from '../../core/common/phone.js';

/** A number as 2Chat writes it: `+E164`. */
export const plus = (digits: string) => `+${digits}`;

/** The number an outcome is about, as `+E164`. */
export const outcomeNumber = (o: Outcome) => plus(jidToPhone(o.jid) ?? o.participant.replace(/^\+/, ''));

/** 2Chat's per-number statusCode: WhatsApp's add codes (200, 403 privacy, 404 not on WhatsApp, 409 already in). */
export function statusCode(o: Outcome): number {
  switch (o.status) {
    case 'added':
    case 'removed':
    case 'promoted':
    case 'demoted':
    case 'approved':
    case 'rejected':
      return 200;
    case 'invited':
    case 'privacy_refused':
      return 403;
    case 'not_on_whatsapp':
      return 404;
    case 'already_member':
      return 409;
    default:
      return o.code;
  }
}

const MESSAGES: Record<number, string> = {
  200: 'The participant was added successfully',
  403: "The participant can't be added to the group because of their privacy settings",
  404: 'The number is not registered on WhatsApp',
  408: 'The participant left the group recently and cannot be added yet',
  409: 'The participant is already in the group',
};

/** One entry of 2Chat's participants map for an add. */
export function addEntry(o: Outcome, isGroupCreator?: boolean) {
  const code = statusCode(o);
  let message = MESSAGES[code] ?? 'The participant could not be added';
  if (code === 403) message += o.inviteSent ? '; an invitation to join was sent privately' : '';
  return {
    statusCode: code,
    message,
    ...(isGroupCreator === undefined ? {} : { isGroupCreator }),
    isInviteV4Sent: o.inviteSent,
  };
}

/** 2Chat's `{accepted_numbers, unaccepted_numbers}`: only numbers the action applied to are accepted. */
export function acceptedSplit(outcomes: Outcome[]) {
  return {
    accepted_numbers: outcomes.filter((o) => statusCode(o) === 200).map(outcomeNumber),
    unaccepted_numbers: outcomes.filter((o) => statusCode(o) !== 200).map(outcomeNumber),
  };
}

/** ISO time without milliseconds, as 2Chat writes it. */
const seconds = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');

const waId = (digits: string) => `${digits}@c.us`;

/** The group fields 2Chat lists and shows (participants apart). */
export function groupSummary(instance: Instance, g: GroupView, uuid: string) {
  const owner = jidToPhone(g.owner);
  const readOnly = g.settings.announcement && g.myRole === 'member';
  return {
    uuid,
    wa_group_id: g.id,
    wa_owner_id: owner ? waId(owner) : null,
    wa_group_name: g.name,
    wa_subject: g.description,
    wa_created_at: seconds(g.createdAt),
    size: g.size,
    is_muted: false,
    // 2Chat's API answers `is_read_only`, its n8n node reads `read_only`: both are sent.
    is_read_only: readOnly,
    read_only: readOnly,
    channel_is_owner: !!owner && owner === instance.phone,
    // No picture URL or address-book contact is kept here: present, null.
    profile_pic_url: null,
    owner_contact: null,
  };
}

/** 2Chat's participants of a group; people known only by LID are left out (2Chat shows numbers). */
export function groupParticipants(g: GroupView) {
  return g.participants.flatMap((p) => {
    const digits = jidToPhone(p.jid) ?? p.phone?.replace(/^\+/, '');
    if (!digits) return [];
    return [
      {
        wa_participant_id: waId(digits),
        // WhatsApp's push name reaches groupgate only with a message; the group list does not carry it.
        wa_pushname: null,
        wa_is_admin: p.role !== 'member',
        wa_is_super_admin: p.role === 'superadmin',
        phone_number: plus(digits),
      },
    ];
  });
}
