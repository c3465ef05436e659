/** Shapes Z-API answers with, made from the core's views; and the small parsers its fields need. */
import { imageKind } from '../../core/groups/group-picture.js';
import { DomainError } from '../../core/common/errors.js';
import type { GroupView } from '../../core/groups/group-service.js';
import type { Outcome, OutcomeStatus, ParticipantAction } from '../../core/outcomes/outcomes.js';
import { parseZapiGroupId, toZapiGroupPhone, zapiPhone } from './wire-format.js';

/** Reads a Z-API group id field, or `invalid_group_id` (400). */
export function zapiGroupId(input: unknown, field = 'groupId'): string {
  const id = parseZapiGroupId(input);
  if (!id) throw new DomainError('invalid_group_id', `${field} must be a group id such as 120363019502650977-group`);
  return id;
}

const ms = (iso: string | null) => (iso ? Date.parse(iso) : null);

/** Z-API's group metadata; participants known only by LID are left out (Z-API shows numbers). */
export function zapiGroupMetadata(g: GroupView, invitationLink: string | null, invitationLinkError: string | null) {
  return {
    phone: toZapiGroupPhone(g.id),
    description: g.description,
    owner: zapiPhone({ jid: g.owner }) ?? null,
    subject: g.name,
    creation: Date.parse(g.createdAt),
    invitationLink,
    invitationLinkError,
    communityId: null,
    adminOnlyMessage: g.settings.announcement,
    adminOnlySettings: g.settings.locked,
    requireAdminApproval: g.settings.approvalMode,
    isGroupAnnouncement: false,
    participants: g.participants.flatMap((p) => {
      const phone = zapiPhone(p);
      return phone ? [{ phone, isAdmin: p.role === 'admin', isSuperAdmin: p.role === 'superadmin' }] : [];
    }),
    subjectTime: ms(g.subjectTime),
    subjectOwner: zapiPhone({ jid: g.subjectOwner }) ?? null,
  };
}

/** Z-API's group-invitation-metadata: what WhatsApp shows of a group before joining it. */
export function zapiInvitationMetadata(info: { id: string; name: string; description: string; owner: string | null; createdAt: string; size: number; approvalMode: boolean }) {
  return {
    phone: toZapiGroupPhone(info.id),
    owner: zapiPhone({ jid: info.owner }) ?? null,
    subject: info.name,
    description: info.description,
    creation: Date.parse(info.createdAt),
    participantsCount: info.size,
    requireAdminApproval: info.approvalMode,
    participants: [],
    subjectTime: null,
    subjectOwner: null,
  };
}

/** One entry of Z-API's `groups` list (chat fields groupgate does not track are neutral). */
export function zapiGroupListItem(g: GroupView) {
  return {
    isGroup: true,
    name: g.name,
    phone: toZapiGroupPhone(g.id),
    unread: '0',
    lastMessageTime: String(Date.parse(g.createdAt)),
    isMuted: '0',
    isMarkedSpam: 'false',
    archived: 'false',
    pinned: 'false',
    muteEndTime: null,
    messagesUnread: '0',
  };
}

/** Per action, the outcomes that leave a number in the state asked for. */
const DONE: Record<ParticipantAction, OutcomeStatus[]> = {
  add: ['added', 'invited', 'already_member'],
  remove: ['removed', 'not_member'],
  promote: ['promoted'],
  demote: ['demoted'],
  approve: ['approved'],
  reject: ['rejected'],
};

/** Z-API's `value`: true when every number ended in the state asked for. */
export function zapiValue(action: ParticipantAction, outcomes: Outcome[]): boolean {
  return outcomes.length > 0 && outcomes.every((o) => DONE[action].includes(o.status));
}

/** Decodes a `groupPhoto` given inline: base64 or a `data:image/...;base64,` URL of a JPEG or PNG. */
export function decodeGroupPhoto(input: string): Buffer {
  const trimmed = input.trim();
  const b64 = trimmed.replace(/^data:image\/[a-z+.-]+;base64,/i, '');
  if (b64.length === 0 || !/^[A-Za-z0-9+/=\s_-]+$/.test(b64)) throw new DomainError('validation_failed', 'groupPhoto must be base64 or a data URL');
  const data = Buffer.from(b64, 'base64');
  if (!imageKind(data)) throw new DomainError('validation_failed', 'groupPhoto must be a JPEG or a PNG image');
  return data;
}
