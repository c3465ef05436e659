import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireInstance } from '../auth.js';
import type { ApiServices } from '../deps.js';
import { errorResponses, InstanceIdParam } from './schemas.js';

/** Messages, contact checks and the event log. */
export const messageRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'access' | 'events' | 'instances' | 'messages'>> = async (app, { access, events, instances, messages }) => {
  app.post(
    '/instances/:id/messages',
    {
      schema: {
        tags: ['messages'],
        summary: 'Send a text to a group (@g.us) or a person',
        params: InstanceIdParam,
        body: Type.Object(
          {
            chatId: Type.String({ minLength: 1, maxLength: 64, description: 'Group id or a person', examples: ['120363043968066561@g.us'] }),
            text: Type.String({ minLength: 1, maxLength: 20000, description: 'The text', examples: ['Welcome!'] }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            id: Type.String({ description: 'Message id', examples: ['3EB0C767D26A1D0F'] }),
            chatId: Type.String({ description: 'Where it went', examples: ['120363043968066561@g.us'] }),
            timestamp: Type.String({ description: 'When it was sent', examples: ['2026-11-22T10:00:00.000Z'] }),
          }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      requireInstance(access, request, request.params.id);
      return reply.code(201).send(await messages.sendText(request.params.id, request.body.chatId, request.body.text));
    },
  );

  app.post(
    '/instances/:id/contacts/check',
    {
      schema: {
        tags: ['messages'],
        summary: 'Which numbers are on WhatsApp (check before a bulk add)',
        params: InstanceIdParam,
        body: Type.Object(
          { phones: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 1000, description: 'Numbers in any accepted form', examples: [['+5511999999999']] }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            results: Type.Array(
              Type.Object({
                phone: Type.String({ description: 'E.164', examples: ['+5511999999999'] }),
                registered: Type.Boolean({ description: 'On WhatsApp', examples: [true] }),
                jid: Type.Optional(Type.String({ description: 'Canonical jid when registered', examples: ['5511999999999@s.whatsapp.net'] })),
                lid: Type.Optional(Type.String({ description: 'LID when known', examples: ['207829930107042@lid'] })),
              }),
              { description: 'One entry per number, in the order asked' },
            ),
          }),
          ...errorResponses(400, 401, 404, 409, 422),
        },
      },
    },
    async (request) => {
      requireInstance(access, request, request.params.id);
      return messages.checkContacts(request.params.id, request.body.phones);
    },
  );

  const Event = Type.Object({
    id: Type.String({ description: 'Globally unique, time-sortable id (ULID)', examples: ['01JD5XQ1W2E3R4T5Y6U7I8O9P0'] }),
    seq: Type.Integer({ description: 'Gapless, increasing per instance', examples: [42] }),
    type: Type.String({ description: 'Event type', examples: ['group.participants.added'] }),
    instanceId: Type.String({ description: 'Instance', examples: ['k3j9x0a2mq'] }),
    occurredAt: Type.String({ description: 'When it happened', examples: ['2026-11-22T10:00:00.000Z'] }),
    data: Type.Record(Type.String(), Type.Unknown(), { description: 'Event payload' }),
  });

  app.get(
    '/instances/:id/events',
    {
      schema: {
        tags: ['events'],
        summary: "Read the instance's event log",
        params: InstanceIdParam,
        querystring: Type.Object({
          after: Type.Optional(Type.String({ maxLength: 64, description: 'An event id or a seq: events after it', examples: ['0'] })),
          limit: Type.Optional(Type.String({ maxLength: 20, description: 'Default 100, clamped to 1..1000', examples: ['100'] })),
        }),
        response: {
          200: Type.Object({
            events: Type.Array(Event, { description: 'Events after `after`, oldest first' }),
            lastSeq: Type.Integer({ description: 'Seq of the last event returned, or of `after`', examples: [42] }),
          }),
          ...errorResponses(401, 404),
        },
      },
    },
    async (request) => {
      requireInstance(access, request, request.params.id);
      await instances.get(request.params.id);
      const raw = Number.parseInt(request.query.limit ?? '', 10);
      const limit = Number.isFinite(raw) ? Math.min(Math.max(raw, 1), 1000) : 100;
      const after = request.query.after ?? '0';
      const list = /^\d{1,15}$/.test(after) ? await events.list(request.params.id, { seq: Number(after) }, limit) : await events.list(request.params.id, { id: after }, limit);
      return { events: list, lastSeq: list.at(-1)?.seq ?? (/^\d{1,15}$/.test(after) ? Number(after) : 0) };
    },
  );
};
