/**
 * 2Chat's webhooks API under `/open/webhooks`: subscribe to one event for one number (optionally
 * one group), list, delete. Each subscription is a core provider subscription (durable, signed
 * deliveries from the event log) whose slot is the 2Chat uuid.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { ApiServices } from '../../http/deps.js';
import { DialectReplyError } from '../kit/reply-error.js';
import { instanceByNumber } from './auth.js';
import { badRequest } from './errors.js';
import type { TwoChatGroupRepository } from './group-handle-repository.js';
import { FromNumber, twoChatErrors } from './schemas.js';
import { channelUuid, GROUP_EVENTS, TWO_CHAT_EVENTS } from './wire-format.js';
import { newTwoChatWebhookUuid, type TwoChatWebhook, type TwoChatWebhookRepository } from './webhook-repository.js';

/** Events 2Chat documents that groupgate cannot observe: refused by name, so a client learns it at once. */
const NOT_PRODUCED = [
  'whatsapp.call.received',
  'whatsapp.call.made',
  'whatsapp.order.received',
  'whatsapp.conversation.new',
  'whatsapp.audio.transcribed',
  'whatsapp.message.reaction',
  'whatsapp.message.edited',
  'whatsapp.group.message.reaction',
];

const ANY_GROUP = new Set(['', 'any', 'all']);

const seconds = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');

const Webhook = Type.Object({
  uuid: Type.String({ description: 'The subscription: what DELETE /open/webhooks/{uuid} takes', examples: ['WHKdc78c87e-5b18-47c7-9183-5bf527fd6c69'] }),
  event_name: Type.String({ description: 'The event subscribed to', examples: ['whatsapp.group.join'] }),
  channel_uuid: Type.String({ description: "The number's 2Chat uuid", examples: ['WPN95841312-b54d-46e3-b0bc-6414f4a5296b'] }),
  hook_url: Type.String({ description: 'Where the events are posted', examples: ['https://example.com/hooks/2chat'] }),
  hook_params: Type.Object(
    {
      waweb_uuid: Type.String({ description: "The number's 2Chat uuid", examples: ['WPN95841312-b54d-46e3-b0bc-6414f4a5296b'] }),
      to_group_uuid: Type.Optional(Type.String({ description: 'The one group this subscription is about', examples: ['WAG62598186-d2bd-4946-86c6-30f8a3c849c6'] })),
    },
    { description: 'Parameters of the subscription' },
  ),
  created_at: Type.String({ description: 'When it was created (UTC)', examples: ['2023-04-17T18:50:50Z'] }),
});

const view = (h: TwoChatWebhook) => ({
  uuid: h.uuid,
  event_name: h.eventName,
  channel_uuid: channelUuid(h.instanceId),
  hook_url: h.hookUrl,
  hook_params: { waweb_uuid: channelUuid(h.instanceId), ...(h.groupUuid ? { to_group_uuid: h.groupUuid } : {}) },
  created_at: seconds(h.createdAt),
});

/** 2Chat's webhooks routes. */
export const twoChatWebhookRoutes: FastifyPluginAsyncTypebox<
  Pick<ApiServices, 'access' | 'instances' | 'webhooks' | 'now'> & { hooks: TwoChatWebhookRepository; handles: TwoChatGroupRepository }
> = async (app, deps) => {
  const { access, webhooks, hooks, handles, now } = deps;
  const tags = ['2chat'];

  /** The subscriptions the key may see. */
  async function visible(request: FastifyRequest): Promise<TwoChatWebhook[]> {
    const principal = request.twoChatPrincipal!;
    const ids = access.visibleInstances(principal);
    return hooks.list(ids === null ? null : [...ids]);
  }

  app.post(
    '/subscribe/:event',
    {
      schema: {
        tags,
        summary: 'Subscribe a URL to one event of one number (optionally one group)',
        params: Type.Object({ event: Type.String({ maxLength: 100, description: 'The event name', examples: ['whatsapp.group.join'] }) }),
        body: Type.Object({
          hook_url: Type.String({ maxLength: 2000, description: 'Where to post the events', examples: ['https://example.com/hooks/2chat'] }),
          on_number: FromNumber,
          to_group_uuid: Type.Optional(
            Type.String({ maxLength: 64, description: 'Only this group (group events); "any" or absent = every group', examples: ['WAG62598186-d2bd-4946-86c6-30f8a3c849c6'] }),
          ),
          time_period: Type.Optional(
            Type.String({ maxLength: 20, description: 'Accepted for whatsapp.conversation.new, which groupgate does not produce', examples: ['all-time'] }),
          ),
          channel_uuid: Type.Optional(
            Type.String({ maxLength: 64, description: 'Phone-call events only (not produced here)', examples: ['DID01234567-89ab-cdef-0123-456789abcdef'] }),
          ),
        }),
        response: { 200: Type.Object({ success: Type.Boolean({ description: 'Subscribed', examples: [true] }), data: Webhook }), ...twoChatErrors },
      },
    },
    async (request) => {
      const event = request.params.event;
      if (!TWO_CHAT_EVENTS[event]) {
        const why = NOT_PRODUCED.includes(event) || /^(call|whatsapp\.waba)\./.test(event) ? `groupgate does not produce ${event}` : `unknown event ${event}`;
        throw badRequest(`${why}; events available: ${Object.keys(TWO_CHAT_EVENTS).join(', ')}`);
      }
      const instance = await instanceByNumber(deps, request, request.body.on_number, ['body', 'on_number']);
      const wanted = request.body.to_group_uuid?.trim() ?? '';
      let group: { uuid: string; groupId: string } | null = null;
      if (!ANY_GROUP.has(wanted.toLowerCase())) {
        if (!GROUP_EVENTS.has(event)) throw badRequest(`to_group_uuid applies to group events only, not to ${event}`);
        const ref = await handles.get(wanted);
        if (!ref || ref.instanceId !== instance.id) throw new DialectReplyError(404, { success: false, message: `no group with uuid ${wanted} on the number +${instance.phone}` });
        group = { uuid: ref.uuid, groupId: ref.groupId };
      }
      const hook: TwoChatWebhook = {
        uuid: newTwoChatWebhookUuid(),
        instanceId: instance.id,
        eventName: event,
        hookUrl: request.body.hook_url.trim(),
        groupUuid: group?.uuid ?? null,
        groupId: group?.groupId ?? null,
        createdAt: new Date(now()).toISOString(),
      };
      // The row first: the core subscription's first delivery reads it. A refused URL removes it again.
      await hooks.insert(hook);
      try {
        await webhooks.upsertProviderSubscription(instance.id, '2chat', { url: hook.hookUrl, slot: hook.uuid, events: TWO_CHAT_EVENTS[event] });
      } catch (err) {
        await hooks.delete(hook.uuid);
        throw err;
      }
      return { success: true, data: view(hook) };
    },
  );

  const List = Type.Object({ success: Type.Boolean({ description: 'Listed', examples: [true] }), webhooks: Type.Array(Webhook) });

  app.get('/', { schema: { tags, summary: 'Every webhook subscription of your numbers', response: { 200: List, ...twoChatErrors } } }, async (request) => ({
    success: true,
    webhooks: (await visible(request)).map(view),
  }));

  app.get(
    '/channel/:channel_uuid',
    {
      schema: {
        tags,
        summary: "One number's webhook subscriptions",
        params: Type.Object({ channel_uuid: Type.String({ maxLength: 64, description: "The number's 2Chat uuid", examples: ['WPN95841312-b54d-46e3-b0bc-6414f4a5296b'] }) }),
        response: { 200: List, ...twoChatErrors },
      },
    },
    async (request) => ({
      success: true,
      webhooks: (await visible(request)).filter((h) => channelUuid(h.instanceId) === request.params.channel_uuid).map(view),
    }),
  );

  app.delete(
    '/:uuid',
    {
      schema: {
        tags,
        summary: 'Delete a webhook subscription: its deliveries stop',
        params: Type.Object({ uuid: Type.String({ maxLength: 64, description: 'The subscription uuid', examples: ['WHKdc78c87e-5b18-47c7-9183-5bf527fd6c69'] }) }),
        response: { 200: Type.Object({ success: Type.Boolean({ description: 'Deleted', examples: [true] }) }), ...twoChatErrors },
      },
    },
    async (request) => {
      const hook = await hooks.get(request.params.uuid);
      if (!hook || !access.canAccess(request.twoChatPrincipal!, hook.instanceId)) {
        throw new DialectReplyError(404, { success: false, message: `no webhook with uuid ${request.params.uuid}` });
      }
      await webhooks.upsertProviderSubscription(hook.instanceId, '2chat', { url: null, slot: hook.uuid });
      await hooks.delete(hook.uuid);
      return { success: true };
    },
  );
};
