/**
 * Green API's group methods. Group-level refusals (unknown group, not an admin, person not in the
 * group...) are HTTP 200 with the method's flag false, as on Green API; malformed requests are 400.
 */
import { imageKind } from '../../core/groups/group-picture.js';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { DomainError, type ErrorCode } from '../../core/common/errors.js';
import { parseGroupId } from '../../core/groups/group-service.js';
import type { OutcomeStatus } from '../../core/outcomes/outcomes.js';
import { greenChatId, greenPerson } from './wire-format.js';
import type { ApiServices } from '../../http/deps.js';
import { acceptMultipart } from '../../http/multipart.js';
import { instanceOf } from './auth.js';
import { GROUP_REFUSALS, flagged as flaggedBy } from '../kit/refusals.js';
import { greenReply } from './errors.js';
import {
  CreateGroupBody,
  CreateGroupReply,
  errorField,
  errors,
  flagBody,
  GroupDataReply,
  GroupIdBody,
  GroupNameBody,
  GroupSettingsBody,
  Params,
  ParticipantBody,
  reasonField,
  urlAvatarField,
} from './schemas.js';

/** Refusals that Green API answers as `{<flag>: false}` with HTTP 200. */
const FLAG_FALSE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([...GROUP_REFUSALS, 'invalid_participant']);

/** Green API's `reason` words for refusals that carry one. */
const REASONS: Partial<Record<ErrorCode, string>> = {
  not_group_admin: 'NOT_ENOUGH_RIGHTS',
  group_not_found: 'GROUP_NOT_FOUND',
};

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
export const path = (method: string) => `/waInstance:idInstance/${method}/:token`;

/** Runs a group change: true/false from the outcome, false (200) for group-level refusals. */
const flagged = (fn: () => Promise<boolean>) => flaggedBy(FLAG_FALSE, fn);

export const greenGroupRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'groups' | 'instances' | 'paced' | 'participants'>> = async (
  app,
  { groups, instances, paced, participants },
) => {
  const idOf = (request: FastifyRequest) => instanceOf(request).id;
  const tags = ['green-api'];

  app.post(
    path('createGroup'),
    { schema: { tags, summary: 'Create a group', params: Params, body: CreateGroupBody, response: { 200: CreateGroupReply, ...errors(400, 401, 403, 429, 500) } } },
    async (request) => {
      const id = idOf(request);
      let created;
      try {
        // Paced: refused with 429 + Retry-After, or queued when the instance's queueWhenPaced is on
        // (then not created yet: the group arrives later as a group.created notification).
        const result = await paced.createGroup(id, { name: request.body.groupName, participants: request.body.chatIds }, { whenPaced: 'instance' });
        if (result.status === 'scheduled') return { created: false, chatId: '', groupInviteLink: '' };
        created = result.value;
      } catch (err) {
        // WhatsApp's own refusal of a creation (rate-overlimit and the like) is Green API's documented 500;
        // a pacing refusal carries no WhatsApp code and stays 429.
        const whatsappCode = err instanceof DomainError ? (err.details as { whatsappCode?: number } | undefined)?.whatsappCode : undefined;
        if (err instanceof DomainError && whatsappCode !== undefined && (err.code === 'rate_limited' || err.code === 'engine_refused')) {
          throw greenReply(500, 'WhatsApp refused to create the group: too many groups were created too quickly; try again later');
        }
        throw err;
      }
      const groupInviteLink = (await groups.adminInviteLink(id, created)) ?? '';
      return { created: true, chatId: created.id, groupInviteLink };
    },
  );

  app.post(
    path('updateGroupName'),
    { schema: { tags, summary: 'Rename a group', params: Params, body: GroupNameBody, response: { 200: flagBody('updateGroupName'), ...errors(400, 401, 403, 429) } } },
    async (request) => {
      const groupId = parseGroupId(request.body.groupId);
      const { ok } = await flagged(async () => !!(await groups.update(idOf(request), groupId, { name: request.body.groupName })));
      return { updateGroupName: ok };
    },
  );

  app.post(
    path('getGroupData'),
    { schema: { tags, summary: 'Group data', params: Params, body: GroupIdBody, response: { 200: GroupDataReply, ...errors(400, 401, 403, 429) } } },
    async (request, reply) => {
      const id = idOf(request);
      const groupId = parseGroupId(request.body.groupId);
      await instances.session(id); // not authorized -> 400, as every Green API method
      let g;
      try {
        g = await groups.get(id, groupId);
      } catch (err) {
        if (err instanceof DomainError && err.code === 'group_not_found') {
          return reply.type('application/json; charset=utf-8').send(JSON.stringify('Error: item-not-found'));
        }
        throw err;
      }
      const groupInviteLink = (await groups.adminInviteLink(id, g)) ?? '';
      const owner = greenChatId(g.owner);
      // Green API's documented order; the settings are the ones its UpdateGroupSettings page says to confirm here.
      return {
        groupId: g.id,
        owner,
        subject: g.name,
        creation: seconds(g.createdAt),
        participants: g.participants.map((p) => ({
          id: greenPerson(p),
          ...(p.lid ? { lid: p.lid } : {}),
          isAdmin: p.role !== 'member',
          isSuperAdmin: p.role === 'superadmin',
        })),
        subjectTime: g.subjectTime ? seconds(g.subjectTime) : seconds(g.createdAt),
        subjectOwner: g.subjectOwner ? greenChatId(g.subjectOwner) : owner,
        groupInviteLink,
        ephemeralExpiration: g.settings.ephemeralSeconds ?? 0,
        allowParticipantsEditGroupSettings: !g.settings.locked,
        allowParticipantsSendMessages: !g.settings.announcement,
        allowParticipantsAddMembers: g.settings.memberAddMode === 'all',
        isCommunity: false,
        isCommunityAnnounce: false,
        size: g.participants.length,
      };
    },
  );

  app.post(
    path('updateGroupSettings'),
    {
      schema: {
        tags,
        summary: 'Who may edit the group and send messages',
        params: Params,
        body: GroupSettingsBody,
        response: { 200: flagBody('updateGroupSettings', { reason: reasonField }), ...errors(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const { allowParticipantsEditGroupSettings: edit, allowParticipantsSendMessages: send } = request.body;
      const groupId = parseGroupId(request.body.groupId);
      if (edit === undefined && send === undefined) {
        throw new DomainError('validation_failed', '"allowParticipantsEditGroupSettings" or "allowParticipantsSendMessages" is required');
      }
      const change = { ...(edit !== undefined ? { locked: !edit } : {}), ...(send !== undefined ? { announcement: !send } : {}) };
      const { ok, code } = await flagged(async () => !!(await groups.updateSettings(idOf(request), groupId, change)));
      return ok ? { updateGroupSettings: true } : { updateGroupSettings: false, reason: (code && REASONS[code]) ?? 'NOT_ENOUGH_RIGHTS' };
    },
  );

  const participantMethods: { method: string; flag: string; action: 'add' | 'remove' | 'promote' | 'demote'; done: OutcomeStatus; summary: string }[] = [
    {
      method: 'addGroupParticipant',
      flag: 'addParticipant',
      action: 'add',
      done: 'added',
      summary: 'Add a participant (false when not added: refused, invited instead, already in)',
    },
    { method: 'removeGroupParticipant', flag: 'removeParticipant', action: 'remove', done: 'removed', summary: 'Remove a participant' },
    { method: 'setGroupAdmin', flag: 'setGroupAdmin', action: 'promote', done: 'promoted', summary: 'Make a participant admin' },
    { method: 'removeAdmin', flag: 'removeAdmin', action: 'demote', done: 'demoted', summary: 'Take admin rights away' },
  ];
  // Adds are paced: refused with 429 + Retry-After, or queued (answering false: not added yet) when queueWhenPaced is on.
  const pacedAdd = async (id: string, groupId: string, people: string[]) => {
    const added = await paced.addParticipants(id, groupId, people, undefined, { whenPaced: 'instance' });
    return added.status === 'done' ? added.value : { outcomes: [] };
  };
  for (const m of participantMethods) {
    app.post(
      path(m.method),
      {
        schema: {
          tags,
          summary: m.summary,
          params: Params,
          body: ParticipantBody,
          response: {
            200: flagBody(m.flag, m.action === 'promote' ? { error: errorField } : {}),
            ...errors(400, 401, 403, 429),
          },
        },
      },
      async (request) => {
        const groupId = parseGroupId(request.body.groupId);
        let status: OutcomeStatus | undefined;
        const { ok, code } = await flagged(async () => {
          const { outcomes } =
            m.action === 'add'
              ? await pacedAdd(idOf(request), groupId, [request.body.participantChatId])
              : await participants[m.action](idOf(request), groupId, [request.body.participantChatId]);
          status = outcomes[0]?.status;
          return status === m.done;
        });
        const notFound = code === 'invalid_participant' || status === 'not_member';
        return !ok && m.action === 'promote' && notFound ? { [m.flag]: false, error: 'participant not found' } : { [m.flag]: ok };
      },
    );
  }

  app.post(
    path('leaveGroup'),
    {
      schema: {
        tags,
        summary: 'Leave a group (an admin is answered {removeAdmin: true}, as Green API does)',
        params: Params,
        body: GroupIdBody,
        response: {
          200: Type.Union([flagBody('leaveGroup'), flagBody('removeAdmin')]),
          ...errors(400, 401, 403, 429),
        },
      },
    },
    async (request) => {
      const id = idOf(request);
      const groupId = parseGroupId(request.body.groupId);
      // Green API answers an admin leaving with `removeAdmin` instead of `leaveGroup`.
      const wasAdmin = await groups.get(id, groupId).then(
        (g) => g.myRole !== 'member',
        () => false,
      );
      const { ok } = await flagged(async () => (await groups.leave(id, groupId), true));
      return ok && wasAdmin ? { removeAdmin: true } : { leaveGroup: ok };
    },
  );

  // The one Green API route that reads multipart bodies, in a context of its own (http/multipart.ts).
  await app.register(async (scope) => {
    await acceptMultipart(scope);
    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      path('setGroupPicture'),
      {
        schema: {
          tags,
          summary: 'Set the group picture (multipart: groupId, file as JPEG or PNG)',
          consumes: ['multipart/form-data'],
          params: Params,
          response: {
            200: flagBody('setGroupPicture', { urlAvatar: urlAvatarField, reason: reasonField }),
            ...errors(400, 401, 403, 413, 429),
          },
        },
      },
      async (request) => {
        if (!request.isMultipart()) throw new DomainError('validation_failed', 'send multipart/form-data with "groupId" and "file"');
        let file: Buffer | undefined;
        let rawGroupId: unknown;
        for await (const part of request.parts()) {
          if (part.type === 'file') {
            const data = await part.toBuffer();
            if (part.fieldname === 'file') file = data;
          } else if (part.fieldname === 'groupId') rawGroupId = part.value;
        }
        if (rawGroupId === undefined) throw new DomainError('validation_failed', '"groupId" is required');
        const groupId = parseGroupId(rawGroupId);
        if (!file) throw new DomainError('validation_failed', '"file" is required');
        // Green API's documented 400 answers for these two.
        if (file.length === 0) throw greenReply(400, 'File is empty');
        // Recognised by its bytes: the official v1 client labels every file image/jpeg, PNGs included.
        if (!imageKind(file)) throw greenReply(400, 'Unsupported media type');
        const image = file;
        const { ok, code } = await flagged(async () => (await groups.setPicture(idOf(request), groupId, image), true));
        // groupgate hosts no pictures, so there is no URL to give: urlAvatar is "" on success.
        return ok
          ? { setGroupPicture: true, urlAvatar: '', reason: '' }
          : // "Timed Out" is what Green API documents for a wrong groupId; not being an admin has no documented words.
            { setGroupPicture: false, urlAvatar: null, reason: code === 'not_group_admin' ? 'NOT_ENOUGH_RIGHTS' : 'Timed Out' };
      },
    );
  });
};
