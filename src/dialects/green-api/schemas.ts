/** TypeBox schemas of the Green API dialect: Green API's own field names and shapes. */
import { Type, type TSchema } from '@sinclair/typebox';

export const Params = Type.Object({
  idInstance: Type.String({ maxLength: 32, description: 'The instance id (10 digits)', examples: ['1101000001'] }),
  token: Type.String({ maxLength: 200, description: 'apiTokenInstance: the instance token', examples: ['ggi_...'] }),
});

export const DeleteParams = Type.Object({
  ...Params.properties,
  receiptId: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'The receipt to delete', examples: [1] }),
});

export const GreenError = Type.Object(
  {
    statusCode: Type.Integer({ description: 'The HTTP status again', examples: [400] }),
    message: Type.String({ description: 'What went wrong', examples: ['Validation failed. Details: "groupId" is required'] }),
  },
  { description: 'Green API error body' },
);

/** Response map with Green API's error body for each status. */
export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, GreenError])) as Record<number, typeof GreenError>;

const groupId = Type.String({ maxLength: 100, description: 'Group chat id', examples: ['120363043968066561@g.us'] });
const groupName = Type.String({ maxLength: 100, description: 'Group name, at most 100 characters', examples: ['Group created by groupgate'] });
const participantChatId = Type.String({ maxLength: 100, description: 'The participant', examples: ['79001234567@c.us'] });

export const CreateGroupBody = Type.Object({
  groupName,
  chatIds: Type.Array(Type.String({ maxLength: 100, description: 'A participant', examples: ['79001234567@c.us'] }), {
    maxItems: 1024,
    description: 'Participants',
    examples: [['79001234567@c.us', '79001234568@c.us']],
  }),
});
export const GroupIdBody = Type.Object({ groupId });
export const GroupNameBody = Type.Object({ groupId, groupName });
export const ParticipantBody = Type.Object({ groupId, participantChatId });
export const GroupSettingsBody = Type.Object({
  groupId,
  allowParticipantsEditGroupSettings: Type.Optional(Type.Boolean({ description: 'Members may edit name, description and picture', examples: [false] })),
  allowParticipantsSendMessages: Type.Optional(Type.Boolean({ description: 'Members may send messages', examples: [true] })),
});

/** `{<flag>: boolean}`, plus optional extra fields. */
export const flagBody = (flag: string, extra: Record<string, TSchema> = {}) =>
  Type.Object({
    [flag]: Type.Boolean({ description: 'Whether it was done', examples: [true] }),
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, Type.Optional(v)])),
  });

export const reasonField = Type.String({ description: 'Why not (NOT_ENOUGH_RIGHTS, GROUP_NOT_FOUND)', examples: ['NOT_ENOUGH_RIGHTS'] });
export const errorField = Type.String({ description: 'Why not', examples: ['participant not found'] });
export const urlAvatarField = Type.Union([Type.String(), Type.Null()], { description: 'Picture URL ("": groupgate does not host pictures; null on failure)', examples: [''] });

export const CreateGroupReply = Type.Object({
  created: Type.Boolean({ description: 'The group was created', examples: [true] }),
  chatId: Type.String({ description: 'The new group chat id', examples: ['120363043968066561@g.us'] }),
  groupInviteLink: Type.String({ description: 'Invite link', examples: ['https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv'] }),
});

export const GroupDataReply = Type.Union([
  Type.Object({
    groupId: Type.String({ description: 'Group chat id', examples: ['120363043968066561@g.us'] }),
    owner: Type.String({ description: 'Creator', examples: ['79001234567@c.us'] }),
    subject: Type.String({ description: 'Group name', examples: ['Customers'] }),
    creation: Type.Integer({ description: 'Creation time, Unix seconds', examples: [1587570015] }),
    participants: Type.Array(
      Type.Object({
        id: Type.String({ description: 'Participant chat id', examples: ['79001234568@c.us'] }),
        lid: Type.Optional(Type.String({ description: "The participant's LID, when known", examples: ['123456789012345@lid'] })),
        isAdmin: Type.Boolean({ description: 'Admin (or creator)', examples: [false] }),
        isSuperAdmin: Type.Boolean({ description: 'Creator', examples: [false] }),
      }),
      { description: 'Participants' },
    ),
    subjectTime: Type.Integer({ description: 'When the name was set, Unix seconds', examples: [1587737715] }),
    subjectOwner: Type.String({ description: 'Who set the name', examples: ['79001234567@c.us'] }),
    groupInviteLink: Type.String({ description: 'Invite link; "" when the instance is not an admin', examples: ['https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv'] }),
    ephemeralExpiration: Type.Integer({ description: 'Disappearing messages, seconds (0 off)', examples: [0] }),
    allowParticipantsEditGroupSettings: Type.Boolean({ description: 'Members may edit name, description and picture', examples: [false] }),
    allowParticipantsSendMessages: Type.Boolean({ description: 'Members may send messages', examples: [true] }),
    allowParticipantsAddMembers: Type.Boolean({ description: 'Members may add members', examples: [false] }),
    isCommunity: Type.Boolean({ description: 'A community (never, here)', examples: [false] }),
    isCommunityAnnounce: Type.Boolean({ description: "A community's announcement group (never, here)", examples: [false] }),
    size: Type.Integer({ description: 'Number of participants', examples: [2] }),
  }),
  Type.String({ description: 'Error: item-not-found when the instance is not in the group', examples: ['Error: item-not-found'] }),
]);

const yesNo = (description: string) => Type.Optional(Type.Union([Type.Literal('yes'), Type.Literal('no')], { description, examples: ['yes'] }));

const settingsFields = {
  webhookUrl: Type.Optional(
    Type.String({ maxLength: 2000, description: 'Webhook URL; "" = notifications go to the receiveNotification queue', examples: ['https://example.com/hook'] }),
  ),
  webhookUrlToken: Type.Optional(Type.String({ maxLength: 500, description: 'Sent as the Authorization header of webhooks', examples: ['Bearer s3cr3t'] })),
  delaySendMessagesMilliseconds: Type.Optional(Type.Integer({ minimum: 500, maximum: 86_400_000, description: 'Kept for compatibility (500..86400000)', examples: [5000] })),
  outgoingWebhook: yesNo('outgoingMessageStatus notifications (failed ones are always sent)'),
  outgoingMessageWebhook: yesNo('Kept for compatibility'),
  outgoingAPIMessageWebhook: yesNo('outgoingAPIMessageReceived notifications'),
  incomingWebhook: yesNo('incomingMessageReceived notifications'),
  stateWebhook: yesNo('stateInstanceChanged notifications'),
  deviceWebhook: yesNo('Kept for compatibility'),
  statusInstanceWebhook: yesNo('Kept for compatibility'),
  pollMessageWebhook: yesNo('Kept for compatibility'),
  incomingBlockWebhook: yesNo('Kept for compatibility'),
  incomingCallWebhook: yesNo('Kept for compatibility'),
  editedMessageWebhook: yesNo('Kept for compatibility'),
  deletedMessageWebhook: yesNo('Kept for compatibility'),
  markIncomingMessagesReaded: yesNo('Kept for compatibility'),
  markIncomingMessagesReadedOnReply: yesNo('Kept for compatibility'),
  keepOnlineStatus: yesNo('Kept for compatibility'),
  enableMessagesHistory: yesNo('Kept for compatibility'),
};

const deprecated = (example: string) => Type.Optional(Type.String({ description: 'Deprecated by Green API; accepted and ignored', examples: [example] }));

export const SettingsBody = Type.Object(
  {
    ...settingsFields,
    countryInstance: deprecated(''),
    sharedSession: deprecated('no'),
    groupgateGroupNotifications: yesNo('groupgate extension, off by default: group changes as incomingMessageReceived notificationMessages (see docs/green-api.md)'),
  },
  { minProperties: 1 },
);
export const SettingsReply = Type.Object({
  wid: Type.String({ description: "The instance's own chat id", examples: ['79001234567@c.us'] }),
  countryInstance: Type.String({ description: 'Deprecated by Green API; ""', examples: [''] }),
  typeAccount: Type.String({ description: 'Deprecated by Green API; ""', examples: [''] }),
  ...settingsFields,
  sharedSession: Type.String({ description: 'Deprecated by Green API; "no"', examples: ['no'] }),
  groupgateGroupNotifications: yesNo('groupgate extension; shown only when on'),
});

export const StateReply = Type.Object({
  stateInstance: Type.String({ description: 'authorized, notAuthorized or starting', examples: ['authorized'] }),
});
export const QrReply = Type.Object({
  type: Type.String({ description: 'qrCode, alreadyLogged or error', examples: ['alreadyLogged'] }),
  message: Type.String({ description: 'Base64 PNG of the QR code, or an explanation', examples: ['instance account already authorized'] }),
});

export const SendMessageBody = Type.Object({
  chatId: Type.String({ maxLength: 100, description: 'Person or group chat id', examples: ['79001234567@c.us'] }),
  message: Type.String({ minLength: 1, maxLength: 20000, description: 'Text, at most 20000 characters', examples: ['Hello'] }),
  quotedMessageId: Type.Optional(Type.String({ maxLength: 200, description: 'Accepted; quoting is not supported yet', examples: ['BAE5F4886F6F2D05'] })),
  linkPreview: Type.Optional(Type.Boolean({ description: 'Accepted for compatibility', examples: [true] })),
});
export const SendMessageReply = Type.Object({
  idMessage: Type.String({ description: 'Id of the sent message', examples: ['3EB0C767D097B7C7C030'] }),
});

export const ReceiveQuery = Type.Object({
  receiveTimeout: Type.Integer({ minimum: 5, maximum: 60, default: 5, description: 'Seconds to wait for a notification (5..60)', examples: [5] }),
});
export const NotificationReply = Type.Union([
  Type.Object({
    receiptId: Type.Integer({ description: 'Receipt to pass to deleteNotification', examples: [1] }),
    body: Type.Object({}, { additionalProperties: true, description: 'The webhook body (see docs/green-api.md)' }),
  }),
  Type.Null({ description: 'Nothing arrived in time' }),
]);
