import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { parseGroupId } from '../../core/groups/group-service.js';
import { refuseWhenNothingApplied } from '../../core/outcomes/outcomes.js';
import { requireInstance } from '../auth.js';
import { requestKeyOf } from '../idempotency.js';
import type { ApiServices } from '../deps.js';
import { AcceptedBody, sendAccepted } from './operations.js';
import { errorResponses, GroupParams, GroupParticipantSchema, OutcomesBody, ParticipantList, Person } from './schemas.js';

const PeopleBody = Type.Object({ participants: ParticipantList }, { additionalProperties: false });

/** Participants and join requests of a group; every change answers one outcome per person. */
export const participantRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'access' | 'groups' | 'now' | 'paced' | 'participants'>> = async (
  app,
  { access, groups, now, paced, participants },
) => {
  const base = '/instances/:id/groups/:groupId';
  const outcomeResponses = { 200: OutcomesBody, ...errorResponses(400, 401, 403, 404, 409, 422) };

  app.get(
    `${base}/participants`,
    {
      schema: {
        tags: ['participants'],
        summary: 'List participants (from the store)',
        params: GroupParams,
        response: {
          200: Type.Object({ participants: Type.Array(GroupParticipantSchema, { description: 'Every participant with role, phone and LID' }) }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request) => {
      requireInstance(access, request, request.params.id);
      const g = await groups.get(request.params.id, parseGroupId(request.params.groupId));
      return { participants: g.participants };
    },
  );

  app.post(
    `${base}/participants`,
    {
      schema: {
        tags: ['participants'],
        summary: 'Add participants (admins); privacy refusals get a private invite',
        params: GroupParams,
        body: Type.Object(
          {
            participants: ParticipantList,
            inviteOnPrivacyRefusal: Type.Optional(Type.Boolean({ description: 'Send a private invite to whoever privacy settings refuse (default true)', examples: [true] })),
          },
          { additionalProperties: false },
        ),
        response: { ...outcomeResponses, 202: AcceptedBody, ...errorResponses(429) },
      },
    },
    async (request, reply) => {
      requireInstance(access, request, request.params.id);
      // Paced: up to one batch runs now (200); more, or a batch pacing holds back, becomes an operation (202).
      const { id } = request.params;
      const added = await paced.addParticipants(id, parseGroupId(request.params.groupId), request.body.participants, request.body.inviteOnPrivacyRefusal, {
        whenPaced: 'queue',
        requestKey: requestKeyOf(request),
      });
      if (added.status === 'scheduled') return sendAccepted(reply, added.operation, now());
      return refuseWhenNothingApplied('add', added.value);
    },
  );

  app.delete(
    `${base}/participants`,
    { schema: { tags: ['participants'], summary: 'Remove participants (admins)', params: GroupParams, body: PeopleBody, response: outcomeResponses } },
    async (request) => {
      requireInstance(access, request, request.params.id);
      return refuseWhenNothingApplied('remove', await participants.remove(request.params.id, parseGroupId(request.params.groupId), request.body.participants));
    },
  );

  for (const action of ['promote', 'demote'] as const) {
    app.post(
      `${base}/participants/${action}`,
      {
        schema: {
          tags: ['participants'],
          summary: `${action === 'promote' ? 'Promote participants to admin' : 'Demote admins to members'}`,
          params: GroupParams,
          body: PeopleBody,
          response: outcomeResponses,
        },
      },
      async (request) => {
        requireInstance(access, request, request.params.id);
        return participants[action](request.params.id, parseGroupId(request.params.groupId), request.body.participants);
      },
    );
  }

  app.get(
    `${base}/join-requests`,
    {
      schema: {
        tags: ['participants'],
        summary: 'Pending join requests (admins)',
        params: GroupParams,
        response: {
          200: Type.Object({
            requests: Type.Array(
              Type.Object({
                ...Person,
                requestedAt: Type.String({ description: 'When the request was made', examples: ['2026-11-22T10:00:00.000Z'] }),
                method: Type.String({ description: 'invite_link, linked_group_join or non_admin_add', examples: ['invite_link'] }),
              }),
              { description: 'Pending requests' },
            ),
          }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      requireInstance(access, request, request.params.id);
      return { requests: await groups.joinRequests(request.params.id, parseGroupId(request.params.groupId)) };
    },
  );

  for (const action of ['approve', 'reject'] as const) {
    app.post(
      `${base}/join-requests/${action}`,
      {
        schema: {
          tags: ['participants'],
          summary: `${action === 'approve' ? 'Approve' : 'Reject'} join requests (admins)`,
          params: GroupParams,
          body: PeopleBody,
          response: outcomeResponses,
        },
      },
      async (request) => {
        requireInstance(access, request, request.params.id);
        return participants[action](request.params.id, parseGroupId(request.params.groupId), request.body.participants);
      },
    );
  }
};
