/** TypeBox schemas of the Wappfy dialect: Wappfy's envelope, field names and shapes. */
import { Type, type TSchema } from '@sinclair/typebox';

const Meta = Type.Object(
  {
    requestId: Type.String({ description: 'Unique request identifier for debugging', examples: ['req-01jd5xq1w2e3r4t5y6u7i8o9p0'] }),
    timestamp: Type.String({ description: 'ISO 8601 timestamp', examples: ['2026-02-10T12:00:00.000Z'] }),
  },
  { description: 'Request metadata' },
);

/** Wappfy's success envelope around `data`. */
export const Ok = <T extends TSchema>(data: T) =>
  Type.Object({ success: Type.Literal(true, { description: 'Always true for successful responses', examples: [true] }), data, meta: Meta });

export const Failure = Type.Object(
  {
    success: Type.Literal(false, { description: 'Always false for errors', examples: [false] }),
    error: Type.Object({
      code: Type.String({ description: 'VALIDATION_ERROR, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, INSTANCE_NOT_FOUND, RATE_LIMIT_EXCEEDED, ...', examples: ['NOT_FOUND'] }),
      message: Type.String({ description: 'What went wrong', examples: ['group 120363043968066561@g.us not found, or the instance is not a member'] }),
      details: Type.Unknown({ description: 'Structured details ({} when none)', examples: [{}] }),
    }),
    meta: Meta,
  },
  { description: "Wappfy's error envelope" },
);

/** Error responses of the Wappfy dialect. */
export const wappfyErrors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, Failure])) as Record<number, typeof Failure>;

const Jid = (description: string, example: string) => Type.String({ description, examples: [example] });

export const InstanceParams = Type.Object({
  instanceId: Type.String({ minLength: 1, maxLength: 64, description: "The instance id (groupgate's)", examples: ['k3j9x0a2mq'] }),
});

export const GroupParams = Type.Object({
  instanceId: InstanceParams.properties.instanceId,
  groupId: Type.String({ minLength: 1, maxLength: 100, description: 'Group JID', examples: ['120363043968066561@g.us'] }),
});

/** Participants as Wappfy writes them; the form is checked by the route (422). */
export const Participants = Type.Array(Type.String({ maxLength: 64, description: '{phone}@s.whatsapp.net', examples: ['5511999998888@s.whatsapp.net'] }), {
  minItems: 1,
  maxItems: 1024,
  description: 'Participants, each written {phone}@s.whatsapp.net',
  examples: [['5511999998888@s.whatsapp.net']],
});

export const ParticipantSchema = Type.Object({
  id: Jid('Participant JID', '5511999998888@s.whatsapp.net'),
  is_admin: Type.Boolean({ description: 'Admin (the creator included); groups guide', examples: [false] }),
  is_super_admin: Type.Boolean({ description: 'The creator; groups guide', examples: [false] }),
  admin: Type.Union([Type.Literal('admin'), Type.Literal('superadmin'), Type.Null()], { description: 'admin, superadmin or null; API reference', examples: ['admin'] }),
});

const groupFields = {
  group_id: Jid('Group JID (groups guide)', '120363043968066561@g.us'),
  id: Jid('Group JID (API reference)', '120363043968066561@g.us'),
  name: Type.String({ description: 'Group name (groups guide)', examples: ['Project Alpha'] }),
  subject: Type.String({ description: 'Group subject/title (API reference)', examples: ['Project Alpha'] }),
  description: Type.String({ description: 'Group description text', examples: ['Team workspace for Project Alpha'] }),
  owner: Type.Union([Type.String(), Type.Null()], { description: "Creator's JID", examples: ['5511999998888@s.whatsapp.net'] }),
  created_at: Type.String({ description: 'Creation time, ISO 8601 (groups guide)', examples: ['2026-01-15T10:00:00Z'] }),
  creation: Type.Integer({ description: 'Creation timestamp, unix seconds (API reference)', examples: [1707350400] }),
  participant_count: Type.Integer({ description: 'Number of participants', examples: [5] }),
  pictureUrl: Type.Union([Type.String(), Type.Null()], { description: 'Group picture URL (null: groupgate keeps none)', examples: [null] }),
  participants: Type.Array(ParticipantSchema, { description: 'Group members' }),
};

export const GroupSchema = Type.Object(groupFields, { description: "A group in both of Wappfy's documented shapes" });

const Outcomes = Type.Array(Type.Ref('Outcome'), { description: 'groupgate extension: one outcome per requested participant (added, invited, already_member ...)' });

/** A group with the per-participant outcomes of the change that produced it. */
export const GroupWithOutcomes = Type.Object({ ...groupFields, outcomes: Outcomes }, { description: 'The group after the change, with per-participant outcomes' });

export const Scheduled = Type.Object(
  {
    status: Type.Literal('scheduled', { description: 'Pacing holds the request back; it runs as an operation', examples: ['scheduled'] }),
    operation_id: Type.String({ description: 'The operation (native API: /api/instances/{id}/operations/{operation_id})', examples: ['op_01jd3m4x9k2v7w8y0z1a2b3c4d'] }),
    run_at: Type.String({ description: 'When it runs', examples: ['2026-11-22T10:05:00.000Z'] }),
  },
  { description: 'groupgate extension: 202 when pacing holds the request back' },
);
