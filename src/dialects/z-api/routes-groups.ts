/** Z-API group reads and group creation: create-group, metadata, invitation links, joining, listing. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError, isDomainError } from '../../core/common/errors.js';
import type { GroupView } from '../../core/groups/group-service.js';
import { toZapiGroupPhone } from './wire-format.js';
import type { ApiServices } from '../../http/deps.js';
import { zapiInstanceOf } from './auth.js';
import { VALUE_FALSE_CODES } from './errors.js';
import { AutoInvite, GroupListItem, GroupMetadataBody, InvitationMetadataBody, Phones, ZapiGroupParams, ZapiParams, zapiErrors } from './schemas.js';
import { zapiGroupId, zapiGroupListItem, zapiGroupMetadata, zapiInvitationMetadata } from './shapes.js';

const InvitationLink = Type.String({ description: 'Invite link', examples: ['https://chat.whatsapp.com/C1adgkdEGki7554BWDdMkd'] });

/** Z-API routes that create and read groups. */
export const zapiGroupRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'groups' | 'paced'>> = async (app, { groups, paced }) => {
  const tags = ['z-api'];

  /** The invite link when the instance is an admin and WhatsApp gives it; otherwise null. */
  async function linkOf(instanceId: string, g: GroupView): Promise<string | null> {
    return g.inviteLink ?? (await groups.adminInviteLink(instanceId, g)) ?? null;
  }

  app.post(
    '/create-group',
    {
      schema: {
        tags,
        summary: 'Create a group (Z-API create-group)',
        params: ZapiParams,
        body: Type.Object({
          groupName: Type.String({ maxLength: 1000, description: 'Group name, 1..100 characters', examples: ['My group'] }),
          phones: Phones,
          autoInvite: Type.Optional(AutoInvite),
        }),
        response: {
          200: Type.Object({
            phone: Type.String({ description: 'Group id', examples: ['120363019502650977-group'] }),
            phonesNotAdded: Type.Array(Type.String({ description: 'A number as sent', examples: ['5511888888888'] }), {
              description: 'Numbers not in the group: refused by privacy (invited privately with autoInvite), not on WhatsApp, or left out',
            }),
            invitationLink: Type.Union([InvitationLink, Type.Null()]),
          }),
          202: Type.Object(
            {
              phone: Type.Null({ description: 'Not known yet', examples: [null] }),
              phonesNotAdded: Type.Array(Type.String(), { description: 'Not known yet', maxItems: 0 }),
              invitationLink: Type.Null({ description: 'Not known yet', examples: [null] }),
            },
            { description: 'Extension (instances whose pacing policy sets queueWhenPaced): the creation runs later as an operation' },
          ),
          ...zapiErrors(400, 401, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const instance = zapiInstanceOf(request);
      const input = { name: request.body.groupName, participants: request.body.phones, inviteOnPrivacyRefusal: request.body.autoInvite ?? false };
      // Paced like every group creation: the request waits its turn, and past the hold answers 429
      // with Retry-After. Only an instance whose pacing policy opts into queueWhenPaced gets the
      // 202 below, an extension Z-API does not have.
      const created = await paced.createGroup(instance.id, input, { whenPaced: 'instance' });
      if (created.status === 'scheduled') return reply.code(202).send({ phone: null, phonesNotAdded: [], invitationLink: null });
      const phonesNotAdded = created.value.outcomes.filter((o) => o.status !== 'added' && o.status !== 'already_member').map((o) => o.participant);
      return { phone: toZapiGroupPhone(created.value.id), phonesNotAdded, invitationLink: await linkOf(instance.id, created.value) };
    },
  );

  for (const light of [false, true]) {
    const path = light ? '/light-group-metadata/:phone' : '/group-metadata/:phone';
    app.route({
      // Z-API's pages show group-metadata both as GET and as POST; both are served.
      method: light ? ['GET'] : ['GET', 'POST'],
      url: path,
      schema: {
        tags,
        summary: light ? 'Group metadata without the invitation link' : 'Group metadata',
        params: ZapiGroupParams,
        response: { 200: GroupMetadataBody, ...zapiErrors(400, 401, 404) },
      },
      handler: async (request) => {
        const instance = zapiInstanceOf(request);
        const { phone } = request.params as { phone: string };
        const g = await groups.get(instance.id, zapiGroupId(phone, 'phone'));
        if (light) return zapiGroupMetadata(g, null, null);
        const link = await linkOf(instance.id, g);
        // Z-API's reason when there is no link: only admins may read it.
        return zapiGroupMetadata(g, link, link ? null : 'not-authorized');
      },
    });
  }

  app.route({
    method: ['GET', 'POST'],
    url: '/group-invitation-link/:phone',
    schema: {
      tags,
      summary: "The group's invitation link (admins)",
      params: ZapiGroupParams,
      response: {
        200: Type.Object({ phone: Type.String({ description: 'Group id', examples: ['120363019502650977-group'] }), invitationLink: InvitationLink }),
        ...zapiErrors(400, 401, 403, 404),
      },
    },
    handler: async (request) => {
      const instance = zapiInstanceOf(request);
      const groupId = zapiGroupId((request.params as { phone: string }).phone, 'phone');
      const { link } = await groups.inviteCode(instance.id, groupId);
      return { phone: toZapiGroupPhone(groupId), invitationLink: link };
    },
  });

  app.post(
    '/redefine-invitation-link/:phone',
    {
      schema: {
        tags,
        summary: 'Revoke the invitation link; answers the new one',
        params: ZapiGroupParams,
        response: { 200: Type.Object({ invitationLink: InvitationLink }), ...zapiErrors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      const { link } = await groups.revokeInvite(instance.id, zapiGroupId(request.params.phone, 'phone'));
      return { invitationLink: link };
    },
  );

  app.get(
    '/accept-invite-group',
    {
      schema: {
        tags,
        summary: 'Join a group by its invitation link',
        params: ZapiParams,
        querystring: Type.Object({
          url: Type.String({ minLength: 1, maxLength: 300, description: 'The invitation link (or its code)', examples: ['https://chat.whatsapp.com/C1adgkdEGki7554BWDdMkd'] }),
        }),
        response: { 200: Type.Object({ success: Type.Boolean({ description: 'Joined (or the join request was sent)', examples: [true] }) }), ...zapiErrors(400, 401, 404) },
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      try {
        await groups.join(instance.id, request.query.url);
        return { success: true };
      } catch (err) {
        if (isDomainError(err) && err.code === 'already_member') return { success: true };
        if (isDomainError(err) && (VALUE_FALSE_CODES.has(err.code) || err.code === 'invite_code_revoked')) return { success: false };
        throw err;
      }
    },
  );

  app.get(
    '/group-invitation-metadata',
    {
      schema: {
        tags,
        summary: 'Preview a group from its invitation link, without joining',
        params: ZapiParams,
        querystring: Type.Object({
          url: Type.String({ minLength: 1, maxLength: 300, description: 'The invitation link (or its code)', examples: ['https://chat.whatsapp.com/C1adgkdEGki7554BWDdMkd'] }),
        }),
        response: { 200: InvitationMetadataBody, ...zapiErrors(400, 401, 404) },
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      const info = await groups.joinInfo(instance.id, request.query.url);
      return zapiInvitationMetadata(info);
    },
  );

  app.get(
    '/groups',
    {
      schema: {
        tags,
        summary: 'The groups the number is in, newest first',
        params: ZapiParams,
        querystring: Type.Object({
          page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1, description: 'Page, from 1', examples: [1] })),
          pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'Groups per page', examples: [10] })),
        }),
        response: { 200: Type.Array(GroupListItem), ...zapiErrors(400, 401, 404) },
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      const page = request.query.page ?? 1;
      const pageSize = request.query.pageSize ?? 100;
      if ((page - 1) * pageSize > Number.MAX_SAFE_INTEGER) throw new DomainError('validation_failed', 'page is too large');
      const list = await groups.list(instance.id, { limit: pageSize, offset: (page - 1) * pageSize });
      return list.groups.map(zapiGroupListItem);
    },
  );
};
