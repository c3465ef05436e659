/** 2Chat group routes under `/open/whatsapp`: create, list, read, participants, description. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { GroupView } from '../../core/groups/group-service.js';
import type { OperationView } from '../../core/operations/operation-view.js';
import type { Instance } from '../../core/instances/instance-model.js';
import type { ApiServices } from '../../http/deps.js';
import type { TwoChatGroupRepository } from './group-handle-repository.js';
import { instanceByNumber, strictNumbers } from './auth.js';
import { DialectReplyError } from '../kit/reply-error.js';
import { badRequest } from './errors.js';
import { CreateResponse, AddResponse, FromNumber, GroupResponse, ListResponse, Numbers, RemoveResponse, SplitResponse, twoChatErrors, UuidParams } from './schemas.js';
import { pageOf, PagingQuery } from './paging.js';
import { acceptedSplit, addEntry, groupParticipants, groupSummary, outcomeNumber, plus } from './shapes.js';

/** 2Chat lets one request name at most this many numbers. */
const MAX_NUMBERS = 10;

const tooMany = () => badRequest(`You can send up to ${MAX_NUMBERS} participants per request; add the rest with add-participant`);

/** 2Chat's group routes. */
export const twoChatRoutes: FastifyPluginAsyncTypebox<
  Pick<ApiServices, 'access' | 'groups' | 'instances' | 'paced' | 'participants' | 'media' | 'now'> & { handles: TwoChatGroupRepository }
> = async (app, deps) => {
  const { access, groups, instances, participants, handles: twoChatGroups, paced, media, now } = deps;
  const tags = ['2chat'];
  /**
   * 2Chat never answers 202: a request pacing would only run later is withdrawn (nothing is done)
   * and answered 429 with `Retry-After` and when and why; one already under way is 409, never retried.
   */
  async function paced429(instanceId: string, operation: OperationView): Promise<never> {
    const at = Date.parse(operation.runAt);
    const retryAfter = Math.max(1, Math.ceil((at - now()) / 1000));
    try {
      await paced.cancel(instanceId, operation.id);
    } catch {
      throw new DialectReplyError(409, {
        success: false,
        message: `already started: it finishes in the background as operation ${operation.id} (GET /api/instances/${instanceId}/operations/${operation.id}); do not send it again`,
      });
    }
    throw new DialectReplyError(
      429,
      {
        success: false,
        message: `pacing holds this number's group changes back to protect it from WhatsApp bans; nothing was done; send it again after ${new Date(at).toISOString()} (in ${retryAfter} s)`,
      },
      { 'retry-after': String(retryAfter) },
    );
  }

  /** The group a uuid names, acted on by the `from_number` instance. */
  async function target(request: FastifyRequest, uuid: string, fromNumber: unknown): Promise<{ instance: Instance; groupId: string }> {
    const ref = await twoChatGroups.get(uuid);
    if (!ref) throw new DialectReplyError(404, { success: false, message: `no group with uuid ${uuid}` });
    const instance = await instanceByNumber(deps, request, fromNumber, ['body', 'from_number']);
    return { instance, groupId: ref.groupId };
  }

  /** Every group of an instance from the store (all pages). */
  async function allGroups(instanceId: string): Promise<GroupView[]> {
    const out: GroupView[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await groups.list(instanceId, { limit: 500, offset });
      out.push(...page.groups);
      if (out.length >= page.total || page.groups.length === 0) return out;
    }
  }

  app.post(
    '/group/create',
    {
      schema: {
        tags,
        summary: 'Create a group (2Chat)',
        body: Type.Object({
          from_number: FromNumber,
          group: Type.Object({
            name: Type.String({ maxLength: 1000, description: 'Group name, 1..100 characters', examples: ['My cool WhatsApp group'] }),
            description: Type.Optional(Type.String({ maxLength: 10000, description: 'Description, up to 2048 characters', examples: ['Support group'] })),
            participants: Numbers,
          }),
        }),
        response: { 200: CreateResponse, ...twoChatErrors },
      },
    },
    async (request) => {
      const { from_number, group } = request.body;
      const instance = await instanceByNumber(deps, request, from_number, ['body', 'from_number']);
      strictNumbers(group.participants, ['body', 'group', 'participants']);
      if (group.participants.length > MAX_NUMBERS) throw tooMany();
      if (group.participants.length === 0) throw badRequest('group.participants must list at least one number');
      const result = await paced.createGroup(instance.id, { name: group.name, description: group.description, participants: group.participants }, { whenPaced: 'instance' });
      if (result.status === 'scheduled') return paced429(instance.id, result.operation);
      const created = result.value;
      const uuid = (await twoChatGroups.ensure(instance.id, [created.id])).get(created.id)!;
      const map: Record<string, ReturnType<typeof addEntry>> = {};
      if (instance.phone) map[plus(instance.phone)] = { statusCode: 200, message: 'The participant was added successfully', isGroupCreator: true, isInviteV4Sent: false };
      for (const o of created.outcomes) map[outcomeNumber(o)] = addEntry(o, false);
      return { success: true, group: { name: created.name, wa_group_id: created.id, participants: map, ...acceptedSplit(created.outcomes), uuid } };
    },
  );

  app.get(
    '/groups/:from_number',
    {
      schema: {
        tags,
        summary: 'The groups of one of your numbers (a new group is listed at once)',
        params: Type.Object({ from_number: FromNumber }),
        querystring: Type.Object(PagingQuery),
        response: { 200: ListResponse, ...twoChatErrors },
      },
    },
    async (request) => {
      const instance = await instanceByNumber(deps, request, request.params.from_number, ['path', 'from_number']);
      const list = pageOf(await allGroups(instance.id), request.query);
      const uuids = await twoChatGroups.ensure(
        instance.id,
        list.map((g) => g.id),
      );
      return { success: true, data: list.map((g) => groupSummary(instance, g, uuids.get(g.id)!)), count: list.length };
    },
  );

  app.get(
    '/group/:uuid',
    { schema: { tags, summary: 'A group and its participants', params: UuidParams, response: { 200: GroupResponse, ...twoChatErrors } } },
    async (request) => {
      const ref = await twoChatGroups.get(request.params.uuid);
      if (!ref || !access.canAccess(request.twoChatPrincipal!, ref.instanceId)) {
        throw new DialectReplyError(404, { success: false, message: `no group with uuid ${request.params.uuid}` });
      }
      const instance = await instances.get(ref.instanceId);
      const g = await groups.get(instance.id, ref.groupId);
      return { success: true, data: { ...groupSummary(instance, g, ref.uuid), participants: groupParticipants(g) } };
    },
  );

  const NumbersBody = Type.Object({ from_number: FromNumber, participants: Numbers });

  app.post(
    '/group/:uuid/add-participant',
    {
      schema: {
        tags,
        summary: 'Add participants; privacy refusals get a private invitation',
        params: UuidParams,
        body: NumbersBody,
        response: { 200: AddResponse, ...twoChatErrors },
      },
    },
    async (request) => {
      const { instance, groupId } = await target(request, request.params.uuid, request.body.from_number);
      strictNumbers(request.body.participants, ['body', 'participants']);
      if (request.body.participants.length > MAX_NUMBERS) throw tooMany();
      if (request.body.participants.length === 0) throw badRequest('participants must list at least one number');
      // Paced like every add: more numbers than one batch, or a batch pacing holds back, is queued.
      const added = await paced.addParticipants(instance.id, groupId, request.body.participants, true, { whenPaced: 'instance' });
      if (added.status === 'scheduled') return paced429(instance.id, added.operation);
      return { success: true, participants: Object.fromEntries(added.value.outcomes.map((o) => [outcomeNumber(o), addEntry(o)])) };
    },
  );

  const actions = [
    ['remove-participant', 'remove', 'Remove participants'],
    ['promote-participant', 'promote', 'Promote participants to admin'],
    ['demote-participant', 'demote', 'Demote admins to members'],
  ] as const;
  for (const [path, action, summary] of actions) {
    const response = action === 'remove' ? RemoveResponse : SplitResponse;
    app.post(`/group/:uuid/${path}`, { schema: { tags, summary, params: UuidParams, body: NumbersBody, response: { 200: response, ...twoChatErrors } } }, async (request) => {
      const { instance, groupId } = await target(request, request.params.uuid, request.body.from_number);
      strictNumbers(request.body.participants, ['body', 'participants']);
      if (request.body.participants.length > MAX_NUMBERS) throw tooMany();
      if (request.body.participants.length === 0) throw badRequest('participants must list at least one number');
      const { outcomes } = await participants[action](instance.id, groupId, request.body.participants);
      const split = acceptedSplit(outcomes);
      return { success: true, participants: action === 'remove' ? { timestamp: Math.floor(now() / 1000), ...split } : split };
    });
  }

  app.post(
    '/group/:uuid/set-description',
    {
      schema: {
        tags,
        summary: "Change a group's description",
        params: UuidParams,
        body: Type.Object({
          from_number: FromNumber,
          description: Type.String({ maxLength: 10000, description: 'New description, up to 2048 characters', examples: ['Support group'] }),
        }),
        response: { 200: Type.Object({ success: Type.Boolean({ description: 'Changed', examples: [true] }) }), ...twoChatErrors },
      },
    },
    async (request) => {
      const { instance, groupId } = await target(request, request.params.uuid, request.body.from_number);
      await groups.update(instance.id, groupId, { description: request.body.description });
      return { success: true };
    },
  );

  app.post(
    '/group/:uuid/set-picture',
    {
      schema: {
        tags,
        summary: "Set a group's picture from an image URL (JPEG or PNG, fetched under the webhook address rules)",
        params: UuidParams,
        body: Type.Object({
          from_number: FromNumber,
          url: Type.String({ minLength: 1, maxLength: 2000, description: 'A publicly reachable JPEG or PNG', examples: ['https://example.com/group-photo.jpg'] }),
        }),
        response: { 200: Type.Object({ success: Type.Boolean({ description: 'Changed', examples: [true] }) }), ...twoChatErrors },
      },
    },
    async (request) => {
      const { instance, groupId } = await target(request, request.params.uuid, request.body.from_number);
      const image = await media.fetchImage(request.body.url.trim());
      await groups.setPicture(instance.id, groupId, image.data);
      return { success: true };
    },
  );
};
