/** TypeBox schemas shared by the native API's routes: the OpenAPI contract is generated from them. */
import { Type, type TSchema } from '@sinclair/typebox';
import { OUTCOME_STATUSES } from '../../core/outcomes/outcomes.js';

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ErrorBody = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'Stable machine-readable error code', examples: ['group_not_found'] }),
        message: Type.String({ description: 'Human-readable explanation', examples: ['group not found, or the instance is not a member'] }),
        details: Type.Optional(Type.Unknown({ description: 'Structured details (offending entries, outcomes...)', examples: [{ invalid: ['john@example.com'] }] })),
      },
      { description: 'What went wrong' },
    ),
    requestId: Type.String({ description: 'Id of this request, also in the x-request-id header', examples: ['req-1x2y3z'] }),
  },
  { $id: 'ErrorBody', description: 'Every error answers this body' },
);

export const errorResponses = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, Type.Ref('ErrorBody')])) as Record<number, ReturnType<typeof Type.Ref>>;

export const InstanceIdParam = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, description: 'Instance id', examples: ['k3j9x0a2mq'] }),
});

export const GroupParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, description: 'Instance id', examples: ['k3j9x0a2mq'] }),
  groupId: Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'Group id: `<digits>@g.us` (URL-encode the @) or the bare digits',
    examples: ['120363043968066561@g.us'],
  }),
});

export const ParticipantList = Type.Array(
  Type.String({ maxLength: 64, description: 'A person: {phone}@s.whatsapp.net, {phone}@c.us, +E164, digits, or {lid}@lid', examples: ['5511999999999@s.whatsapp.net'] }),
  { minItems: 1, maxItems: 1024, description: 'People to act on', examples: [['5511999999999@s.whatsapp.net', '+14155550123']] },
);

export const Person = {
  jid: Type.String({ description: 'Phone jid when known, else the LID', examples: ['5511999999999@s.whatsapp.net'] }),
  phone: Nullable(Type.String({ description: 'The number in E.164 form', examples: ['+5511999999999'] })),
  lid: Nullable(Type.String({ description: "WhatsApp's stable per-person id", examples: ['207829930107042@lid'] })),
};

export const Role = Type.Union([Type.Literal('member'), Type.Literal('admin'), Type.Literal('superadmin')], {
  description: 'Role in the group',
  examples: ['admin'],
});

export const GroupParticipantSchema = Type.Object({ ...Person, role: Role });

export const GroupSettingsSchema = Type.Object({
  announcement: Type.Boolean({ description: 'Only admins send messages', examples: [false] }),
  locked: Type.Boolean({ description: 'Only admins edit name, description and picture', examples: [true] }),
  memberAddMode: Type.Union([Type.Literal('admins'), Type.Literal('all')], { description: 'Who may add members', examples: ['admins'] }),
  approvalMode: Type.Boolean({ description: 'Joining by link needs admin approval', examples: [false] }),
  ephemeralSeconds: Type.Integer({ description: 'Disappearing messages: 0, 86400, 604800 or 7776000', examples: [0] }),
});

export const GroupSchema = Type.Object(
  {
    id: Type.String({ description: 'Group id', examples: ['120363043968066561@g.us'] }),
    name: Type.String({ description: 'Group name (subject)', examples: ['Customers Q3'] }),
    description: Type.String({ description: 'Group description', examples: ['Support group'] }),
    owner: Nullable(Type.String({ description: "Creator's jid", examples: ['15550001111@s.whatsapp.net'] })),
    createdAt: Type.String({ format: 'date-time', description: 'Creation time', examples: ['2026-11-22T10:00:00.000Z'] }),
    size: Type.Integer({ description: 'Number of participants', examples: [3] }),
    settings: Type.Composite([GroupSettingsSchema], { description: 'Group settings' }),
    participants: Type.Array(GroupParticipantSchema, { description: 'Every participant with their role' }),
    myRole: Role,
    subjectOwner: Nullable(Type.String({ description: 'Who last set the name', examples: ['15550001111@s.whatsapp.net'] })),
    subjectTime: Nullable(Type.String({ description: 'When the name was last set', examples: ['2026-11-22T10:00:00.000Z'] })),
    inviteLink: Type.Optional(Type.String({ description: 'Invite link, when known (admins)', examples: ['https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv'] })),
  },
  { $id: 'Group' },
);

/** A group as lists show it: everything but the participants (`size` counts them; read one group for them). */
export const GroupSummarySchema = Type.Omit(GroupSchema, ['participants'], { $id: 'GroupSummary' });

export const OutcomeSchema = Type.Object(
  {
    participant: Type.String({ description: 'The participant as sent', examples: ['+5511999999999'] }),
    jid: Type.String({ description: 'Canonical jid', examples: ['5511999999999@s.whatsapp.net'] }),
    lid: Type.Optional(Type.String({ description: 'LID when known', examples: ['207829930107042@lid'] })),
    status: Type.Union(
      OUTCOME_STATUSES.map((s) => Type.Literal(s)),
      { description: 'What happened to this participant', examples: ['added'] },
    ),
    inviteSent: Type.Boolean({ description: 'A private invite went out (privacy refused the add)', examples: [false] }),
    code: Type.Integer({ description: "WhatsApp's per-participant code", examples: [200] }),
  },
  { $id: 'Outcome' },
);

export const OutcomesBody = Type.Object({ outcomes: Type.Array(Type.Ref('Outcome'), { description: 'One entry per participant' }) });

export const InstanceSchema = Type.Object(
  {
    id: Type.String({ description: 'Instance id (URL-safe)', examples: ['k3j9x0a2mq'] }),
    idInstance: Type.String({ description: 'Unique 10-digit number (Green API addressing)', examples: ['1101000001'] }),
    name: Type.String({ description: 'Display name', examples: ['Sales number'] }),
    engine: Type.Union([Type.Literal('sandbox'), Type.Literal('baileys')], { description: 'Engine', examples: ['sandbox'] }),
    status: Type.String({ description: 'starting | qr | pairing | connected | disconnected | logged_out | failed', examples: ['connected'] }),
    statusReason: Type.String({ description: 'Human-readable reason for the status', examples: ['connected'] }),
    phone: Nullable(Type.String({ description: 'The number (E.164 digits) once known', examples: ['15550001111'] })),
    createdAt: Type.String({ description: 'Creation time', examples: ['2026-11-22T10:00:00.000Z'] }),
  },
  { $id: 'Instance' },
);

export const sharedSchemas = [ErrorBody, GroupSchema, GroupSummarySchema, OutcomeSchema, InstanceSchema];
