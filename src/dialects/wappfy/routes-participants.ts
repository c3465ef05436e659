/**
 * Wappfy's participant routes: list, add (paced, as every add), and remove, both as seed 002's
 * `DELETE .../participants` and the API reference's `POST .../participants/remove`. A change
 * answers the group after it, with groupgate's per-participant outcomes as the extra `outcomes`
 * field; 409 when no participant could be changed (all already in on add, none in on remove).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { parseGroupId } from '../../core/groups/group-service.js';
import { refuseWhenNothingApplied } from '../../core/outcomes/outcomes.js';
import { wappfyInstance } from './auth.js';
import { ok } from './errors.js';
import { requireWappfyParticipants, sendScheduled, type WappfyDeps } from './routes-groups.js';
import { GroupParams, GroupWithOutcomes, Ok, ParticipantSchema, Participants, Scheduled, wappfyErrors } from './schemas.js';
import { wappfyGroup, wappfyParticipant } from './shapes.js';

const Body = Type.Object({ participants: Participants });

/** The participant routes. */
export const wappfyParticipantRoutes: FastifyPluginAsyncTypebox<WappfyDeps> = async (app, deps) => {
  const { groups, now, paced, participants } = deps;
  const tags = ['wappfy'];
  const changed = { 200: Ok(GroupWithOutcomes), ...wappfyErrors(400, 401, 403, 404, 409, 422) };

  app.get(
    '/groups/:groupId/participants',
    {
      schema: {
        tags,
        summary: 'List participants',
        params: GroupParams,
        response: { 200: Ok(Type.Array(ParticipantSchema, { description: 'Every participant' })), ...wappfyErrors(400, 401, 404) },
      },
    },
    async (request) => {
      const instance = await wappfyInstance(deps, request, request.params.instanceId);
      const g = await groups.get(instance.id, parseGroupId(request.params.groupId));
      return ok(request, now(), g.participants.map(wappfyParticipant));
    },
  );

  app.post(
    '/groups/:groupId/participants',
    {
      schema: {
        tags,
        summary: 'Add participants (admins); privacy refusals get a private invite',
        params: GroupParams,
        body: Body,
        response: { ...changed, 202: Ok(Scheduled), ...wappfyErrors(429) },
      },
    },
    async (request, reply) => {
      const instance = await wappfyInstance(deps, request, request.params.instanceId);
      const groupId = parseGroupId(request.params.groupId);
      requireWappfyParticipants(request.body.participants);
      const added = await paced.addParticipants(instance.id, groupId, request.body.participants, true, { whenPaced: 'instance' });
      if (added.status === 'scheduled') return sendScheduled(request, reply, now(), added.operation);
      refuseWhenNothingApplied('add', added.value);
      return ok(request, now(), { ...wappfyGroup(await groups.get(instance.id, groupId)), outcomes: added.value.outcomes });
    },
  );

  async function remove(request: FastifyRequest<{ Params: { instanceId: string; groupId: string }; Body: { participants: string[] } }>) {
    const instance = await wappfyInstance(deps, request, request.params.instanceId);
    const groupId = parseGroupId(request.params.groupId);
    requireWappfyParticipants(request.body.participants);
    const { outcomes } = await participants.remove(instance.id, groupId, request.body.participants);
    refuseWhenNothingApplied('remove', { outcomes });
    return ok(request, now(), { ...wappfyGroup(await groups.get(instance.id, groupId)), outcomes });
  }

  app.delete(
    '/groups/:groupId/participants',
    { schema: { tags, summary: 'Remove participants (admins), as the groups guide writes it', params: GroupParams, body: Body, response: changed } },
    remove,
  );

  app.post(
    '/groups/:groupId/participants/remove',
    { schema: { tags, summary: 'Remove participants (admins), as the API reference writes it', params: GroupParams, body: Body, response: changed } },
    remove,
  );
};
