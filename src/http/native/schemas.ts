/** TypeBox schemas shared by the native API's routes: the OpenAPI contract is generated from them. */
import { Type, type TSchema } from '@sinclair/typebox';
import { OUTCOME_STATUSES } from '../../core/outcomes/outcomes.js';

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ErrorBody = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'Stable machine-readable error code', examples: ['validation_failed'] }),
        message: Type.String({ description: 'Human-readable explanation', examples: ['body/name must NOT have fewer than 1 characters'] }),
        details: Type.Optional(Type.Unknown({ description: 'Structured details (offending entries, outcomes...)', examples: [{ invalid: ['not-a-number'] }] })),
      },
      { description: 'What went wrong' },
    ),
    requestId: Type.String({ description: 'Id of this request, also in the x-request-id header', examples: ['req-1x2y3z'] }),
  },
  { $id: 'ErrorBody', description: 'Every error answers this body' },
);

/** What each error status means, with a typical code, message and details, for the OpenAPI document. */
const ERROR_EXAMPLES: Record<number, { description: string; code: string; message: string; details?: unknown }> = {
  400: {
    description: 'The request is malformed',
    code: 'validation_failed',
    message: 'body/name must NOT have fewer than 1 characters',
    details: [{ path: 'body/name', message: 'must NOT have fewer than 1 characters' }],
  },
  401: { description: 'No API key, or not a valid one', code: 'unauthorized', message: 'Invalid API key' },
  403: { description: 'The key or the instance may not do this', code: 'forbidden', message: 'this needs the admin key' },
  404: { description: 'No such resource, or the key may not see it', code: 'instance_not_found', message: 'instance not found' },
  409: { description: 'The current state does not allow it', code: 'instance_not_connected', message: 'the instance is not connected (status: qr)' },
  410: { description: 'Gone', code: 'invite_code_revoked', message: 'the invite code was revoked' },
  413: { description: 'The body is too large', code: 'payload_too_large', message: 'the body is larger than 5242880 bytes' },
  415: { description: 'The body is not of a supported type', code: 'unsupported_media_type', message: 'send JSON, multipart/form-data or a JPEG/PNG body' },
  422: {
    description: 'The request is well formed but cannot be done',
    code: 'invalid_participant',
    message: 'invalid participant: "not-a-number"; write each number with its country code, e.g. +55 11 98888-1234',
    details: { invalid: ['not-a-number'] },
  },
  429: { description: 'Paced or rate limited: retry after the Retry-After header', code: 'rate_limited', message: 'pacing: the next add batch of this instance may start in 42 s' },
};

/** The error envelope of one status, with an example that fits it. */
function errorBodyFor(status: number) {
  const e = ERROR_EXAMPLES[status] ?? { description: 'Error', code: 'internal_error', message: 'something went wrong' };
  return Type.Object(
    {
      error: Type.Object(
        {
          code: Type.String({ description: 'Stable machine-readable error code', examples: [e.code] }),
          message: Type.String({ description: 'Human-readable explanation', examples: [e.message] }),
          details: Type.Optional(Type.Unknown({ description: 'Structured details (offending entries, outcomes...)', examples: e.details === undefined ? [null] : [e.details] })),
        },
        { description: 'What went wrong' },
      ),
      requestId: Type.String({ description: 'Id of this request, also in the x-request-id header', examples: ['req-01jbz3k4m5n6p7q8r9s0t1v2w3'] }),
    },
    { description: e.description },
  );
}

/** Error responses of a route, each with the envelope and an example that fits its status. */
export const errorResponses = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, errorBodyFor(c)])) as Record<number, ReturnType<typeof errorBodyFor>>;

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
    node: Type.Optional(
      Nullable(
        Type.String({
          description: "Cluster mode only: the node running this instance's session (null while none does, between a node's death and the takeover)",
          examples: ['node-a1b2c3d4'],
        }),
      ),
    ),
  },
  { $id: 'Instance' },
);

export const sharedSchemas = [ErrorBody, GroupSchema, GroupSummarySchema, OutcomeSchema, InstanceSchema];
