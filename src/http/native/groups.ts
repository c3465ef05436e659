import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../core/common/errors.js';
import { parseGroupId, type GroupView } from '../../core/groups/group-service.js';
import { requireInstance } from '../auth.js';
import { requestKeyOf } from '../idempotency.js';
import { acceptMultipart } from '../multipart.js';
import { imageKind } from '../../core/groups/group-picture.js';
import type { ApiServices } from '../deps.js';
import { AcceptedBody, sendAccepted } from './operations.js';
import { errorResponses, GroupParams, GroupSettingsSchema, InstanceIdParam, ParticipantList } from './schemas.js';

const InviteCodeBody = Type.Object({
  code: Type.String({ description: 'Invite code', examples: ['AbCdEfGhIjKlMnOpQrStUv'] }),
  link: Type.String({ description: 'Invite link', examples: ['https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv'] }),
});

/** Reads a JPEG/PNG from a multipart upload, a raw image body, or JSON `{image: base64}`. */
export async function readImage(request: FastifyRequest): Promise<Buffer> {
  let data: Buffer | undefined;
  if (request.isMultipart()) {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        data = await part.toBuffer();
        break;
      }
    }
  } else if (Buffer.isBuffer(request.body)) {
    data = request.body;
  } else {
    const body = request.body as { image?: unknown } | undefined;
    if (typeof body?.image === 'string') {
      const b64 = body.image.replace(/^data:image\/[a-z]+;base64,/, '');
      if (!/^[A-Za-z0-9+/=\s_-]+$/.test(b64)) throw new DomainError('validation_failed', 'image must be base64');
      data = Buffer.from(b64, 'base64');
    }
  }
  if (!data || data.length === 0) throw new DomainError('validation_failed', 'send a JPEG or PNG image (multipart file, raw image body, or JSON {"image": base64})');
  if (!imageKind(data)) throw new DomainError('unsupported_media_type', 'the image must be a JPEG or a PNG');
  return data;
}

/** The JSON text of shared group views (`groups.view`), made once per view. */
const viewJson = new WeakMap<Readonly<GroupView>, string>();

/** Sends JSON text as it is (Fastify sends a string with a JSON content type unserialised). */
const sendJson = (reply: FastifyReply, text: string) => reply.type('application/json; charset=utf-8').send(text);

/**
 * The `Group` body as JSON text, with exactly the schema's fields in its order. The API's hottest
 * read: the schema serializer would check each nullable field and each role against its union.
 */
export function groupJson(g: GroupView): string {
  return JSON.stringify(groupBody(g, true));
}

/** The `Group` (with participants) or `GroupSummary` fields, in the schema's order. */
function groupBody(g: GroupView, participants: boolean) {
  const s = g.settings;
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    owner: g.owner,
    createdAt: g.createdAt,
    size: g.size,
    settings: { announcement: s.announcement, locked: s.locked, memberAddMode: s.memberAddMode, approvalMode: s.approvalMode, ephemeralSeconds: s.ephemeralSeconds },
    ...(participants ? { participants: g.participants.map((p) => ({ jid: p.jid, phone: p.phone, lid: p.lid, role: p.role })) } : {}),
    myRole: g.myRole,
    subjectOwner: g.subjectOwner,
    subjectTime: g.subjectTime,
    ...(g.inviteLink !== undefined ? { inviteLink: g.inviteLink } : {}),
  };
}

/** Each view's `GroupSummary` JSON, made once per view (views are never changed; the service shares them between pages). */
const summaryJson = new WeakMap<object, string>();

/** A page of `GroupSummary`s as JSON text (the list route's body): exactly `JSON.stringify` of the page. */
export function groupPageJson(page: { groups: readonly Readonly<GroupView>[]; total: number; limit: number; offset: number }): string {
  const parts = page.groups.map((g) => {
    let text = summaryJson.get(g);
    if (text === undefined) summaryJson.set(g, (text = JSON.stringify(groupBody(g, false))));
    return text;
  });
  return `{"groups":[${parts.join(',')}],"total":${JSON.stringify(page.total)},"limit":${JSON.stringify(page.limit)},"offset":${JSON.stringify(page.offset)}}`;
}

/** Groups: create, list, read, update, leave, invite codes, settings, picture, join, refresh. */
export const groupRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'access' | 'groups' | 'now' | 'paced'>> = async (app, { access, groups, now, paced }) => {
  const auth = (request: FastifyRequest, id: string) => requireInstance(access, request, id);

  app.post(
    '/instances/:id/groups',
    {
      schema: {
        tags: ['groups'],
        summary: 'Create a group',
        params: InstanceIdParam,
        body: Type.Object(
          {
            name: Type.String({ maxLength: 1000, description: 'Group name, 1..100 characters', examples: ['Customers Q3'] }),
            participants: ParticipantList,
            description: Type.Optional(Type.String({ maxLength: 10000, description: 'Description, up to 2048 characters', examples: ['Support group'] })),
            inviteOnPrivacyRefusal: Type.Optional(Type.Boolean({ description: 'Send a private invite to whoever privacy settings refuse (default true)', examples: [true] })),
            locked: Type.Optional(Type.Boolean({ description: 'Only admins edit name/description/picture (default true)', examples: [true] })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Intersect([Type.Ref('Group'), Type.Object({ outcomes: Type.Array(Type.Ref('Outcome'), { description: 'One outcome per requested participant' }) })]),
          202: AcceptedBody,
          ...errorResponses(400, 401, 404, 409, 422, 429),
        },
      },
    },
    async (request, reply) => {
      auth(request, request.params.id);
      // Paced: runs now (201), or becomes an operation that runs when pacing allows (202).
      const created = await paced.createGroup(request.params.id, request.body, { whenPaced: 'queue', requestKey: requestKeyOf(request) });
      if (created.status === 'scheduled') return sendAccepted(reply, created.operation, now());
      return reply.code(201).send(created.value);
    },
  );

  app.get(
    '/instances/:id/groups',
    {
      schema: {
        tags: ['groups'],
        summary: 'List groups from the local store, newest first',
        params: InstanceIdParam,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Page size', examples: [50] })),
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0, description: 'Items to skip', examples: [0] })),
          search: Type.Optional(Type.String({ maxLength: 200, description: 'Substring of the name or id', examples: ['customers'] })),
        }),
        response: {
          200: Type.Object({
            groups: Type.Array(Type.Ref('GroupSummary'), {
              description: 'This page of groups, newest first; `size` counts the participants, `GET .../groups/{groupId}` lists them',
            }),
            total: Type.Integer({ description: 'Groups matching, all pages', examples: [120] }),
            limit: Type.Integer({ description: 'Page size', examples: [50] }),
            offset: Type.Integer({ description: 'Items skipped', examples: [0] }),
          }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      auth(request, request.params.id);
      return sendJson(reply, groupPageJson(await groups.page(request.params.id, request.query)));
    },
  );

  app.get(
    '/instances/:id/groups/:groupId',
    { schema: { tags: ['groups'], summary: 'Group details from the local store', params: GroupParams, response: { 200: Type.Ref('Group'), ...errorResponses(400, 401, 404) } } },
    // Callback-style (answers through `reply`): no promise of its own on the API's hottest read.
    (request, reply) => {
      auth(request, request.params.id);
      groups.view(request.params.id, parseGroupId(request.params.groupId)).then(
        (group) => {
          try {
            let text = viewJson.get(group);
            if (text === undefined) viewJson.set(group, (text = groupJson(group)));
            sendJson(reply, text);
          } catch (err) {
            reply.send(err);
          }
        },
        (err: unknown) => reply.send(err),
      );
    },
  );

  app.patch(
    '/instances/:id/groups/:groupId',
    {
      schema: {
        tags: ['groups'],
        summary: 'Rename and/or change the description (admins)',
        params: GroupParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ maxLength: 1000, description: 'New name, 1..100 characters', examples: ['Customers Q4'] })),
            description: Type.Optional(Type.String({ maxLength: 10000, description: 'New description ("" removes it)', examples: ['Support group'] })),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Type.Ref('Group'), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      auth(request, request.params.id);
      return groups.update(request.params.id, parseGroupId(request.params.groupId), request.body);
    },
  );

  app.post(
    '/instances/:id/groups/:groupId/leave',
    {
      schema: {
        tags: ['groups'],
        summary: 'Leave the group',
        params: GroupParams,
        response: {
          200: Type.Object({
            left: Type.Boolean({ description: 'The instance left', examples: [true] }),
            groupId: Type.String({ description: 'The group left', examples: ['120363043968066561@g.us'] }),
          }),
          ...errorResponses(400, 401, 404, 409),
        },
      },
    },
    async (request) => {
      auth(request, request.params.id);
      const groupId = parseGroupId(request.params.groupId);
      await groups.leave(request.params.id, groupId);
      return { left: true, groupId };
    },
  );

  app.get(
    '/instances/:id/groups/:groupId/invite-code',
    { schema: { tags: ['groups'], summary: 'Invite code and link (admins)', params: GroupParams, response: { 200: InviteCodeBody, ...errorResponses(400, 401, 403, 404, 409) } } },
    async (request) => {
      auth(request, request.params.id);
      return groups.inviteCode(request.params.id, parseGroupId(request.params.groupId));
    },
  );

  app.post(
    '/instances/:id/groups/:groupId/invite-code/revoke',
    {
      schema: {
        tags: ['groups'],
        summary: 'Revoke the invite code; answers the new one',
        params: GroupParams,
        response: { 200: InviteCodeBody, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      auth(request, request.params.id);
      return groups.revokeInvite(request.params.id, parseGroupId(request.params.groupId));
    },
  );

  app.patch(
    '/instances/:id/groups/:groupId/settings',
    {
      schema: {
        tags: ['groups'],
        summary: 'Change group settings (admins)',
        params: GroupParams,
        body: Type.Partial(GroupSettingsSchema, { additionalProperties: false, minProperties: 1 }),
        response: { 200: Type.Ref('Group'), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      auth(request, request.params.id);
      return groups.updateSettings(request.params.id, parseGroupId(request.params.groupId), request.body);
    },
  );

  // The one native route that reads multipart bodies, in a context of its own (http/multipart.ts).
  await app.register(async (scope) => {
    await acceptMultipart(scope);
    scope.withTypeProvider<TypeBoxTypeProvider>().put(
      '/instances/:id/groups/:groupId/picture',
      {
        schema: {
          tags: ['groups'],
          summary: 'Set the group picture: multipart file, raw image/jpeg|png body, or JSON {image: base64}',
          params: GroupParams,
          response: {
            200: Type.Object({ pictureSet: Type.Boolean({ description: 'Whether the group now has a picture', examples: [true] }) }),
            ...errorResponses(400, 401, 403, 404, 409, 415),
          },
        },
      },
      async (request) => {
        auth(request, request.params.id);
        const groupId = parseGroupId(request.params.groupId);
        const image = await readImage(request);
        await groups.setPicture(request.params.id, groupId, image);
        return { pictureSet: true };
      },
    );
  });

  app.delete(
    '/instances/:id/groups/:groupId/picture',
    {
      schema: {
        tags: ['groups'],
        summary: 'Remove the group picture',
        params: GroupParams,
        response: {
          200: Type.Object({ pictureSet: Type.Boolean({ description: 'Whether the group now has a picture', examples: [false] }) }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      auth(request, request.params.id);
      await groups.setPicture(request.params.id, parseGroupId(request.params.groupId), null);
      return { pictureSet: false };
    },
  );

  const JoinResult = Type.Object({
    status: Type.Union([Type.Literal('joined'), Type.Literal('pending_approval')], { description: 'Joined, or a join request awaits approval', examples: ['joined'] }),
    groupId: Type.String({ description: 'Group id', examples: ['120363043968066561@g.us'] }),
  });

  app.post(
    '/instances/:id/groups/join',
    {
      schema: {
        tags: ['groups'],
        summary: 'Join by invite code or link',
        params: InstanceIdParam,
        body: Type.Object(
          { code: Type.String({ minLength: 1, maxLength: 200, description: 'The code, or https://chat.whatsapp.com/<code>', examples: ['AbCdEfGhIjKlMnOpQrStUv'] }) },
          { additionalProperties: false },
        ),
        response: { 200: JoinResult, 202: JoinResult, ...errorResponses(400, 401, 403, 404, 409, 410) },
      },
    },
    async (request, reply) => {
      auth(request, request.params.id);
      const result = await groups.join(request.params.id, request.body.code);
      return reply.code(result.status === 'joined' ? 200 : 202).send(result);
    },
  );

  app.get(
    '/instances/:id/groups/join-info',
    {
      schema: {
        tags: ['groups'],
        summary: 'Preview a group from its invite code without joining',
        params: InstanceIdParam,
        querystring: Type.Object({ code: Type.String({ minLength: 1, maxLength: 200, description: 'The code or link', examples: ['AbCdEfGhIjKlMnOpQrStUv'] }) }),
        response: {
          200: Type.Object({
            id: Type.String({ description: 'Group id', examples: ['120363043968066561@g.us'] }),
            name: Type.String({ description: 'Group name', examples: ['Customers Q3'] }),
            description: Type.String({ description: 'Group description', examples: [''] }),
            owner: Type.Union([Type.String(), Type.Null()], { description: "Creator's jid", examples: ['15550001111@s.whatsapp.net'] }),
            createdAt: Type.String({ description: 'Creation time', examples: ['2026-11-22T10:00:00.000Z'] }),
            size: Type.Integer({ description: 'Number of participants', examples: [3] }),
            approvalMode: Type.Boolean({ description: 'Joining needs admin approval', examples: [false] }),
          }),
          ...errorResponses(400, 401, 404, 409, 410),
        },
      },
    },
    async (request) => {
      auth(request, request.params.id);
      return groups.joinInfo(request.params.id, request.query.code);
    },
  );

  app.post(
    '/instances/:id/groups/refresh',
    {
      schema: {
        tags: ['groups'],
        summary: 'Resync the local store from WhatsApp',
        params: InstanceIdParam,
        response: {
          200: Type.Object({
            groups: Type.Integer({ description: 'Groups the number is in', examples: [12] }),
            removed: Type.Integer({ description: 'Stale groups dropped', examples: [0] }),
          }),
          ...errorResponses(401, 404, 409),
        },
      },
    },
    async (request) => {
      auth(request, request.params.id);
      return groups.refresh(request.params.id);
    },
  );
};
