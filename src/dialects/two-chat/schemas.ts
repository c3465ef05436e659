/** TypeBox schemas of the 2Chat dialect: 2Chat's own field names and shapes. */
import { Type } from '@sinclair/typebox';

export const FromNumber = Type.String({ maxLength: 32, description: 'Your connected number, E.164 with its +', examples: ['+595981048477'] });

/** Numbers as written by the client; strict E.164 is checked by the route (422), the count too (400). */
export const Numbers = Type.Array(Type.String({ maxLength: 32, description: 'A number in E.164 with its +', examples: ['+17137157533'] }), {
  maxItems: 1024,
  description: 'Up to 10 numbers',
  examples: [['+17137157533', '+18647351567']],
});

export const UuidParams = Type.Object({
  uuid: Type.String({ minLength: 1, maxLength: 64, description: "The group's 2Chat uuid (WAG...)", examples: ['WAG62598186-d2bd-4946-86c6-30f8a3c849c6'] }),
});

export const Failure = Type.Object(
  {
    success: Type.Boolean({ description: 'Always false here', examples: [false] }),
    message: Type.String({ description: 'What went wrong', examples: ['group not found, or the instance is not a member'] }),
  },
  { description: "2Chat's refusal body" },
);

export const Detail = Type.Object(
  {
    detail: Type.Unknown({ description: 'A message (auth) or FastAPI-style validation entries `[{loc, msg, type}]` (422)', examples: ['Invalid API Key'] }),
  },
  { description: "2Chat's authentication / validation error body" },
);

/** Error responses of the 2Chat dialect. */
export const twoChatErrors = {
  400: Failure,
  401: Detail,
  403: Type.Union([Detail, Failure]),
  404: Failure,
  409: Failure,
  413: Failure,
  415: Failure,
  // FastAPI-style validation detail, or a refusal the core names (a webhook URL it may not call).
  422: Type.Union([Detail, Failure]),
  429: Type.Union([Detail, Failure]),
};

const Success = Type.Boolean({ description: 'The request was carried out', examples: [true] });

export const AddEntry = Type.Object({
  statusCode: Type.Integer({ description: '200 added, 403 refused by privacy, 404 not on WhatsApp, 409 already in', examples: [200] }),
  message: Type.String({ description: 'What happened', examples: ['The participant was added successfully'] }),
  isGroupCreator: Type.Optional(Type.Boolean({ description: 'The number that created the group (create only)', examples: [false] })),
  isInviteV4Sent: Type.Boolean({ description: 'A private invitation to join was sent', examples: [false] }),
});

const NumberList = (description: string) => Type.Array(Type.String({ examples: ['+17137157533'] }), { description });

export const Split = {
  accepted_numbers: NumberList('Numbers the action applied to'),
  unaccepted_numbers: NumberList('Numbers it did not apply to (invited, not on WhatsApp, already so...)'),
};

export const CreateResponse = Type.Object({
  success: Success,
  group: Type.Object({
    name: Type.String({ description: 'Group name', examples: ['My cool WhatsApp group'] }),
    wa_group_id: Type.String({ description: 'WhatsApp group id', examples: ['120363777777777777@g.us'] }),
    participants: Type.Record(Type.String(), AddEntry, { description: 'Per number (+E164), the creator included' }),
    ...Split,
    uuid: Type.String({ description: "The group's 2Chat uuid", examples: ['WAG62598186-d2bd-4946-86c6-30f8a3c849c6'] }),
  }),
});

export const AddResponse = Type.Object({ success: Success, participants: Type.Record(Type.String(), AddEntry, { description: 'Per number (+E164)' }) });

export const SplitResponse = Type.Object({ success: Success, participants: Type.Object(Split) });

export const RemoveResponse = Type.Object({
  success: Success,
  participants: Type.Object({ timestamp: Type.Integer({ description: 'When it was done (Unix seconds)', examples: [1730939901] }), ...Split }),
});

export const GroupSummary = {
  uuid: Type.String({ description: "The group's 2Chat uuid", examples: ['WAG62598186-d2bd-4946-86c6-30f8a3c849c6'] }),
  wa_group_id: Type.String({ description: 'WhatsApp group id', examples: ['120363777777777777@g.us'] }),
  wa_owner_id: Type.Union([Type.String(), Type.Null()], { description: "Creator's WhatsApp id", examples: ['5215530483303@c.us'] }),
  wa_group_name: Type.String({ description: 'Group name', examples: ['My cool WhatsApp group'] }),
  wa_subject: Type.String({ description: 'Group description', examples: ['daily motivational quotes'] }),
  wa_created_at: Type.String({ description: 'Creation time', examples: ['2022-10-23T17:11:41Z'] }),
  size: Type.Integer({ description: 'Participants', examples: [3] }),
  is_muted: Type.Boolean({ description: 'Muted (never, here)', examples: [false] }),
  is_read_only: Type.Boolean({ description: 'Only admins send and the number is not one', examples: [false] }),
  read_only: Type.Boolean({ description: 'Same as is_read_only (the name 2Chat n8n node reads)', examples: [false] }),
  channel_is_owner: Type.Boolean({ description: 'The number created the group', examples: [true] }),
  profile_pic_url: Type.Null({ description: 'Group picture URL (not kept here: null)', examples: [null] }),
  owner_contact: Type.Null({ description: "The creator's address-book contact (none here: null)", examples: [null] }),
};

export const GroupParticipant = Type.Object({
  wa_participant_id: Type.String({ description: 'WhatsApp id', examples: ['447700176576@c.us'] }),
  wa_pushname: Type.Null({ description: 'Push name (not known from the group: null)', examples: [null] }),
  wa_is_admin: Type.Boolean({ description: 'Admin (the creator included)', examples: [false] }),
  wa_is_super_admin: Type.Boolean({ description: 'The creator', examples: [false] }),
  phone_number: Type.String({ description: 'E.164', examples: ['+447700176576'] }),
});

export const ListResponse = Type.Object({
  success: Success,
  data: Type.Array(Type.Object(GroupSummary)),
  count: Type.Integer({ description: 'Groups on this page (2Chat n8n node pages while count equals per_page)', examples: [1] }),
});

export const GroupResponse = Type.Object({ success: Success, data: Type.Object({ ...GroupSummary, participants: Type.Array(GroupParticipant) }) });
