/**
 * Wappfy's group routes under `/wappfy/api/instances/{instanceId}/groups`: create, list, read,
 * update, leave, invite code and join (seed 002's table). Each calls the core service the native
 * API calls and answers in Wappfy's envelope.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseGroupId } from '../../core/groups/group-service.js';
import type { OperationView } from '../../core/operations/operation-view.js';
import type { ApiServices } from '../../http/deps.js';
import { wappfyInstance } from './auth.js';
import { ok, wappfyError } from './errors.js';
import { GroupParams, GroupSchema, GroupWithOutcomes, InstanceParams, Ok, Participants, Scheduled, wappfyErrors } from './schemas.js';
import { badParticipants, wappfyGroup } from './shapes.js';

export type WappfyDeps = Pick<ApiServices, 'access' | 'groups' | 'instances' | 'messages' | 'now' | 'paced' | 'participants'>;

/** 422 naming every participant not written `{phone}@s.whatsapp.net` (seed 002). */
export function requireWappfyParticipants(inputs: string[]): void {
  const invalid = badParticipants(inputs);
  if (invalid.length) {
    throw wappfyError(422, 'INVALID_PARTICIPANT', `invalid participant format: ${invalid.map((p) => JSON.stringify(p)).join(', ')}; use {phone}@s.whatsapp.net`, { invalid });
  }
}

/** 202 with the operation a paced request became. */
export function sendScheduled(request: FastifyRequest, reply: FastifyReply, now: number, operation: OperationView) {
  const seconds = Math.max(1, Math.ceil((Date.parse(operation.runAt) - now) / 1000));
  return reply
    .code(202)
    .header('retry-after', String(seconds))
    .send(ok(request, now, { status: 'scheduled' as const, operation_id: operation.id, run_at: operation.runAt }));
}

/** The group routes. */
export const wappfyGroupRoutes: FastifyPluginAsyncTypebox<WappfyDeps> = async (app, deps) => {
  const { groups, now, paced } = deps;
  const tags = ['wappfy'];
  const instanceOf = (request: FastifyRequest, id: string) => wappfyInstance(deps, request, id);

  app.post(
    '/groups',
    {
      schema: {
        tags,
        summary: 'Create a group (Wappfy)',
        params: InstanceParams,
        body: Type.Object({
          name: Type.String({ maxLength: 1000, description: 'Group name, 1..100 characters', examples: ['Project Alpha'] }),
          participants: Participants,
          description: Type.Optional(Type.String({ maxLength: 10000, description: 'Description, up to 2048 characters', examples: ['Team workspace for Project Alpha'] })),
        }),
        response: { 201: Ok(GroupWithOutcomes), 202: Ok(Scheduled), ...wappfyErrors(400, 401, 404, 409, 422, 429) },
      },
    },
    async (request, reply) => {
      const instance = await instanceOf(request, request.params.instanceId);
      requireWappfyParticipants(request.body.participants);
      const { name, participants, description } = request.body;
      const created = await paced.createGroup(instance.id, { name, participants, description }, { whenPaced: 'instance' });
      if (created.status === 'scheduled') return sendScheduled(request, reply, now(), created.operation);
      return reply.code(201).send(ok(request, now(), { ...wappfyGroup(created.value), outcomes: created.value.outcomes }));
    },
  );

  app.get(
    '/groups',
    {
      schema: {
        tags,
        summary: 'List the groups the instance is a member of',
        params: InstanceParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Maximum number of items to return', examples: [50] })),
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0, description: 'Number of items to skip', examples: [0] })),
        }),
        response: { 200: Ok(Type.Array(GroupSchema, { description: 'This page of groups, newest first' })), ...wappfyErrors(400, 401, 404) },
      },
    },
    async (request) => {
      const instance = await instanceOf(request, request.params.instanceId);
      const page = await groups.list(instance.id, { limit: request.query.limit, offset: request.query.offset });
      // The store's list leaves participants out; both documented shapes of a list item carry them or their count.
      const full = await Promise.all(page.groups.map((g) => groups.get(instance.id, g.id).catch(() => g)));
      return ok(request, now(), full.map(wappfyGroup));
    },
  );

  app.get(
    '/groups/:groupId',
    { schema: { tags, summary: 'Group details', params: GroupParams, response: { 200: Ok(GroupSchema), ...wappfyErrors(400, 401, 404) } } },
    async (request) => {
      const instance = await instanceOf(request, request.params.instanceId);
      return ok(request, now(), wappfyGroup(await groups.get(instance.id, parseGroupId(request.params.groupId))));
    },
  );

  app.patch(
    '/groups/:groupId',
    {
      schema: {
        tags,
        summary: 'Update the name and/or description (admins)',
        params: GroupParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ maxLength: 1000, description: 'New name, 1..100 characters', examples: ['Project Alpha v2'] })),
            subject: Type.Optional(Type.String({ maxLength: 1000, description: "New name (the API reference's field name)", examples: ['Project Alpha v2'] })),
            description: Type.Optional(Type.String({ maxLength: 10000, description: 'New description ("" removes it)', examples: ['Updated workspace for Project Alpha'] })),
          },
          { minProperties: 1 },
        ),
        response: { 200: Ok(GroupSchema), ...wappfyErrors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const instance = await instanceOf(request, request.params.instanceId);
      const { name, subject, description } = request.body;
      if (name !== undefined && subject !== undefined && name !== subject) {
        throw wappfyError(400, 'VALIDATION_ERROR', 'name and subject name the same field; send one of them', { fields: ['name', 'subject'] });
      }
      const newName = name ?? subject;
      if (newName === undefined && description === undefined) throw wappfyError(400, 'VALIDATION_ERROR', 'send name and/or description');
      const g = await groups.update(instance.id, parseGroupId(request.params.groupId), { name: newName, description });
      return ok(request, now(), wappfyGroup(g));
    },
  );

  app.post(
    '/groups/:groupId/leave',
    {
      schema: {
        tags,
        summary: 'Leave the group',
        params: GroupParams,
        response: {
          200: Ok(
            Type.Object({
              group_id: Type.String({ description: 'The group left', examples: ['120363043968066561@g.us'] }),
              left: Type.Boolean({ description: 'The instance left', examples: [true] }),
            }),
          ),
          ...wappfyErrors(400, 401, 404, 409),
        },
      },
    },
    async (request) => {
      const instance = await instanceOf(request, request.params.instanceId);
      const groupId = parseGroupId(request.params.groupId);
      await groups.leave(instance.id, groupId);
      return ok(request, now(), { group_id: groupId, left: true });
    },
  );

  app.get(
    '/groups/:groupId/invite-code',
    {
      schema: {
        tags,
        summary: 'Get (create) the invite code (admins)',
        params: GroupParams,
        response: {
          200: Ok(
            Type.Object({
              code: Type.String({ description: 'The invite code', examples: ['AbCdEfGhIjKlMn'] }),
              link: Type.String({ description: 'The invite link', examples: ['https://chat.whatsapp.com/AbCdEfGhIjKlMn'] }),
            }),
          ),
          ...wappfyErrors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      const instance = await instanceOf(request, request.params.instanceId);
      return ok(request, now(), await groups.inviteCode(instance.id, parseGroupId(request.params.groupId)));
    },
  );

  app.post(
    '/groups/join',
    {
      schema: {
        tags,
        summary: 'Join by invite code (the full link is accepted too); answers the group',
        params: InstanceParams,
        body: Type.Object({
          code: Type.String({ minLength: 1, maxLength: 200, description: 'Group invite code, or the full https://chat.whatsapp.com/<code> link', examples: ['AbCdEfGhIjKlMn'] }),
        }),
        response: {
          200: Ok(GroupSchema),
          202: Ok(
            Type.Object(
              {
                status: Type.Literal('pending_approval', { description: 'An admin must approve the join request', examples: ['pending_approval'] }),
                group_id: Type.String({ description: 'The group asked to join', examples: ['120363043968066561@g.us'] }),
              },
              { description: 'groupgate extension: the group needs admin approval' },
            ),
          ),
          ...wappfyErrors(400, 401, 403, 404, 409, 410),
        },
      },
    },
    async (request, reply) => {
      const instance = await instanceOf(request, request.params.instanceId);
      const joined = await groups.join(instance.id, request.body.code);
      if (joined.status === 'pending_approval') return reply.code(202).send(ok(request, now(), { status: 'pending_approval' as const, group_id: joined.groupId }));
      return ok(request, now(), wappfyGroup(await groups.get(instance.id, joined.groupId)));
    },
  );
};
