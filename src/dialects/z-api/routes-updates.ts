/**
 * Z-API group changes answering `{value}`: name, description, photo, settings, participants,
 * admins, join requests, leaving. A well-formed request WhatsApp will not carry out for this group
 * (not an admin, not a member, ...) answers 200 `{value: false}`, as on Z-API; a malformed one 400.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { SettingsChange } from '../../core/ports/engine.js';
import { DomainError, isDomainError } from '../../core/common/errors.js';
import type { ParticipantAction } from '../../core/outcomes/outcomes.js';
import type { ApiServices } from '../../http/deps.js';
import { zapiInstanceOf } from './auth.js';
import { VALUE_FALSE_CODES } from './errors.js';
import { AutoInvite, GroupIdField, Phones, PhonesBody, ValueBody, ZapiParams, zapiErrors } from './schemas.js';
import { decodeGroupPhoto, zapiGroupId, zapiValue } from './shapes.js';

const Flag = (description: string) => Type.Optional(Type.Boolean({ description, examples: [true] }));

/** Z-API routes that change a group and answer `{value}`. */
export const zapiUpdateRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'groups' | 'paced' | 'participants' | 'media'>> = async (
  app,
  { groups, paced, participants, media },
) => {
  const tags = ['z-api'];
  const response = { 200: ValueBody, ...zapiErrors(400, 401, 404, 429) };

  /** Runs a change; the refusals of a well-formed request become `{value: false}`. */
  async function value(request: FastifyRequest, fn: () => Promise<boolean>): Promise<{ value: boolean }> {
    try {
      return { value: await fn() };
    } catch (err) {
      if (isDomainError(err) && VALUE_FALSE_CODES.has(err.code)) {
        request.log.info({ code: err.code }, 'z-api change refused');
        return { value: false };
      }
      throw err;
    }
  }

  app.post(
    '/update-group-name',
    {
      schema: {
        tags,
        summary: 'Rename a group',
        params: ZapiParams,
        body: Type.Object({ groupId: GroupIdField, groupName: Type.String({ maxLength: 1000, description: 'New name, 1..100 characters', examples: ['New name'] }) }),
        response,
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      const groupId = zapiGroupId(request.body.groupId);
      return value(request, async () => !!(await groups.update(instance.id, groupId, { name: request.body.groupName })));
    },
  );

  app.post(
    '/update-group-description',
    {
      schema: {
        tags,
        summary: "Change a group's description",
        params: ZapiParams,
        body: Type.Object({
          groupId: GroupIdField,
          groupDescription: Type.String({ maxLength: 10000, description: 'New description, up to 2048 characters ("" removes it)', examples: ['Support group'] }),
        }),
        response,
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      const groupId = zapiGroupId(request.body.groupId);
      return value(request, async () => !!(await groups.update(instance.id, groupId, { description: request.body.groupDescription })));
    },
  );

  app.post(
    '/update-group-photo',
    {
      schema: {
        tags,
        summary: "Change a group's photo: an image URL, base64 or a data URL",
        params: ZapiParams,
        body: Type.Object({
          groupId: GroupIdField,
          groupPhoto: Type.String({
            minLength: 1,
            maxLength: 8 * 1024 * 1024,
            description: 'A JPEG or PNG: its http(s) URL (fetched under the webhook address rules, at most 5 MB), or base64, or data:image/...;base64,...',
            examples: ['https://example.com/logo.png'],
          }),
        }),
        response,
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      const groupId = zapiGroupId(request.body.groupId);
      const photo = request.body.groupPhoto.trim();
      // Fetched before anything changes: a refused or unreadable URL answers 4xx and sets nothing.
      const image = /^https?:\/\//i.test(photo) ? (await media.fetchImage(photo)).data : decodeGroupPhoto(photo);
      return value(request, async () => {
        await groups.setPicture(instance.id, groupId, image);
        return true;
      });
    },
  );

  app.post(
    '/update-group-settings',
    {
      schema: {
        tags,
        summary: "Change a group's settings (admins)",
        params: ZapiParams,
        body: Type.Object({
          phone: GroupIdField,
          adminOnlyMessage: Flag('Only admins send messages'),
          adminOnlySettings: Flag('Only admins edit the group'),
          requireAdminApproval: Flag('Joining needs admin approval'),
          adminOnlyAddMember: Flag('Only admins add members'),
        }),
        response,
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      const groupId = zapiGroupId(request.body.phone, 'phone');
      const b = request.body;
      const change: SettingsChange = {};
      if (b.adminOnlyMessage !== undefined) change.announcement = b.adminOnlyMessage;
      if (b.adminOnlySettings !== undefined) change.locked = b.adminOnlySettings;
      if (b.requireAdminApproval !== undefined) change.approvalMode = b.requireAdminApproval;
      if (b.adminOnlyAddMember !== undefined) change.memberAddMode = b.adminOnlyAddMember ? 'admins' : 'all';
      if (Object.keys(change).length === 0) {
        throw new DomainError('validation_failed', 'send at least one of adminOnlyMessage, adminOnlySettings, requireAdminApproval, adminOnlyAddMember');
      }
      // One change at a time, in the body's order: members hear one notification per setting, as
      // WhatsApp sends them (GROUP_CHANGE_ANNOUNCE, GROUP_CHANGE_RESTRICT, ...).
      return value(request, async () => {
        for (const [key, v] of Object.entries(change)) {
          if (!(await groups.updateSettings(instance.id, groupId, { [key]: v } as SettingsChange))) return false;
        }
        return true;
      });
    },
  );

  app.post(
    '/add-participant',
    {
      schema: {
        tags,
        summary: 'Add participants; autoInvite sends the invitation privately to whoever could not be added',
        params: ZapiParams,
        body: Type.Object({ groupId: GroupIdField, phones: Phones, autoInvite: Type.Optional(AutoInvite) }),
        response,
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      const groupId = zapiGroupId(request.body.groupId);
      return value(request, async () => {
        // Paced like every add: refused with 429 + Retry-After, or queued (then the answer is true).
        const added = await paced.addParticipants(instance.id, groupId, request.body.phones, request.body.autoInvite ?? false, { whenPaced: 'instance' });
        return added.status === 'scheduled' || zapiValue('add', added.value.outcomes);
      });
    },
  );

  const actions: [string, Exclude<ParticipantAction, 'add'>, string][] = [
    ['/remove-participant', 'remove', 'Remove participants'],
    ['/add-admin', 'promote', 'Promote participants to admin'],
    ['/remove-admin', 'demote', 'Demote admins to members'],
    ['/approve-participant', 'approve', 'Approve join requests'],
    ['/reject-participant', 'reject', 'Reject join requests'],
  ];
  for (const [path, action, summary] of actions) {
    app.post(path, { schema: { tags, summary, params: ZapiParams, body: PhonesBody, response } }, async (request) => {
      const instance = zapiInstanceOf(request);
      const groupId = zapiGroupId(request.body.groupId);
      return value(request, async () => zapiValue(action, (await participants[action](instance.id, groupId, request.body.phones)).outcomes));
    });
  }

  app.post('/leave-group', { schema: { tags, summary: 'Leave a group', params: ZapiParams, body: Type.Object({ groupId: GroupIdField }), response } }, async (request) => {
    const instance = zapiInstanceOf(request);
    const groupId = zapiGroupId(request.body.groupId);
    return value(request, async () => {
      await groups.leave(instance.id, groupId);
      return true;
    });
  });
};
