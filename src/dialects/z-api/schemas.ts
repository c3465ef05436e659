/** TypeBox schemas of the Z-API dialect: Z-API's own field names and shapes. */
import { Type } from '@sinclair/typebox';

const Nullable = <T extends ReturnType<typeof Type.String>>(s: T) => Type.Union([s, Type.Null()]);

export const ZapiParams = Type.Object({
  instanceId: Type.String({ minLength: 1, maxLength: 64, description: "The instance's id (its idInstance is accepted too)", examples: ['k3j9x0a2mq'] }),
  token: Type.String({ minLength: 1, maxLength: 512, description: "The instance's token", examples: ['ggi_...'] }),
});

export const ZapiGroupParams = Type.Object({
  ...ZapiParams.properties,
  phone: Type.String({ minLength: 1, maxLength: 64, description: 'Group id: `<digits>-group` (or `...@g.us`)', examples: ['120363019502650977-group'] }),
});

export const ZapiErrorBody = Type.Object(
  {
    error: Type.String({ description: "What went wrong (a stable code, or Z-API's own wording)", examples: ['group_not_found'] }),
    message: Type.Optional(Type.String({ description: 'Human-readable explanation', examples: ['group not found, or the instance is not a member'] })),
  },
  { description: "Z-API's error body" },
);

/** Error responses of the Z-API dialect for the given statuses. */
export const zapiErrors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ZapiErrorBody])) as Record<number, typeof ZapiErrorBody>;

export const ValueBody = Type.Object({ value: Type.Boolean({ description: 'true if it worked, false if it failed', examples: [true] }) });

export const GroupIdField = Type.String({ minLength: 1, maxLength: 64, description: 'Group id: `<digits>-group` (or `...@g.us`)', examples: ['120363019502650977-group'] });

export const Phones = Type.Array(Type.String({ minLength: 1, maxLength: 64, description: 'A number, bare digits with country code', examples: ['5511999999999'] }), {
  minItems: 1,
  maxItems: 1024,
  description: 'Numbers to act on',
  examples: [['5511999999999', '5511888888888']],
});

export const AutoInvite = Type.Boolean({ description: 'Send the group invitation privately to every number that could not be added', examples: [true] });

export const PhonesBody = Type.Object({ groupId: GroupIdField, phones: Phones });

export const ZapiParticipant = Type.Object({
  phone: Type.String({ description: "Participant's number (digits)", examples: ['5511999999999'] }),
  isAdmin: Type.Boolean({ description: 'Group admin', examples: [false] }),
  isSuperAdmin: Type.Boolean({ description: 'Group creator', examples: [false] }),
});

export const GroupMetadataBody = Type.Object({
  phone: Type.String({ description: 'Group id', examples: ['120363019502650977-group'] }),
  description: Type.String({ description: 'Group description', examples: ['Z-API group'] }),
  owner: Nullable(Type.String({ description: "Creator's number", examples: ['5511999999999'] })),
  subject: Type.String({ description: 'Group name', examples: ['My group'] }),
  creation: Type.Integer({ description: 'Creation time, ms', examples: [1588721491000] }),
  invitationLink: Nullable(Type.String({ description: 'Invite link (admins; null in light metadata)', examples: ['https://chat.whatsapp.com/KNmcL17DqVA0sqkQ5LLA5'] })),
  invitationLinkError: Nullable(Type.String({ description: 'Why invitationLink is null ("not-authorized": the number is not an admin)', examples: [null] })),
  communityId: Nullable(Type.String({ description: 'Community id (always null here)', examples: [null] })),
  adminOnlyMessage: Type.Boolean({ description: 'Only admins send messages', examples: [false] }),
  adminOnlySettings: Type.Boolean({ description: 'Only admins edit the group', examples: [true] }),
  requireAdminApproval: Type.Boolean({ description: 'Joining needs admin approval', examples: [false] }),
  isGroupAnnouncement: Type.Boolean({ description: 'Community announcement group', examples: [false] }),
  participants: Type.Array(ZapiParticipant, { description: 'Participants known by number' }),
  subjectTime: Type.Union([Type.Integer(), Type.Null()], { description: 'When the name was set, ms', examples: [1617805323000] }),
  subjectOwner: Nullable(Type.String({ description: 'Who set the name', examples: ['5511999999999'] })),
});

export const GroupListItem = Type.Object({
  isGroup: Type.Boolean({ description: 'Always true here', examples: [true] }),
  name: Type.String({ description: 'Group name', examples: ['My group'] }),
  phone: Type.String({ description: 'Group id', examples: ['120363019502650977-group'] }),
  unread: Type.String({ description: 'Unread messages (not tracked: "0")', examples: ['0'] }),
  lastMessageTime: Type.String({ description: 'Last activity, ms (the creation time here)', examples: ['1730918668000'] }),
  isMuted: Type.String({ description: '"0" or "1"', examples: ['0'] }),
  isMarkedSpam: Type.String({ description: '"true" or "false"', examples: ['false'] }),
  archived: Type.String({ description: '"true" or "false"', examples: ['false'] }),
  pinned: Type.String({ description: '"true" or "false"', examples: ['false'] }),
  muteEndTime: Type.Null({ description: 'Not muted', examples: [null] }),
  messagesUnread: Type.String({ description: 'Deprecated, "0"', examples: ['0'] }),
});

export const InvitationMetadataBody = Type.Object({
  phone: Type.String({ description: 'Group id', examples: ['120363019502650977-group'] }),
  owner: Nullable(Type.String({ description: "Creator's number", examples: ['5511999999999'] })),
  subject: Type.String({ description: 'Group name', examples: ['My group'] }),
  description: Type.String({ description: 'Group description', examples: ['Z-API group'] }),
  creation: Type.Integer({ description: 'Creation time, ms', examples: [1588721491000] }),
  participantsCount: Type.Integer({ description: 'How many members the group has', examples: [12] }),
  requireAdminApproval: Type.Boolean({ description: 'Joining needs admin approval', examples: [false] }),
  participants: Type.Array(ZapiParticipant, { description: 'Not visible before joining: always empty here' }),
  subjectTime: Type.Null({ description: 'Not visible before joining', examples: [null] }),
  subjectOwner: Type.Null({ description: 'Not visible before joining', examples: [null] }),
});
