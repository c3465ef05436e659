/**
 * Wappfy's one send endpoint, `POST /api/instances/{instanceId}/messages/send` with `{chat_id, type,
 * text}`: how seed 002 sends to a group (the group's `@g.us` chat id). Text only: groupgate sends no
 * media, so any other `type` is refused with 400 VALIDATION_ERROR before anything is sent.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { wappfyInstance } from './auth.js';
import { ok, wappfyError } from './errors.js';
import type { WappfyDeps } from './routes-groups.js';
import { InstanceParams, Ok, wappfyErrors } from './schemas.js';

const CHAT = /^(\d{5,30}(?:-\d{5,15})?@g\.us|\d{6,15}@s\.whatsapp\.net)$/;

/** The send route. */
export const wappfyMessageRoutes: FastifyPluginAsyncTypebox<WappfyDeps> = async (app, deps) => {
  const { messages, now } = deps;

  app.post(
    '/messages/send',
    {
      schema: {
        tags: ['wappfy'],
        summary: 'Send a message (text) to a group (@g.us) or a person (@s.whatsapp.net)',
        params: InstanceParams,
        body: Type.Object({
          chat_id: Type.String({ minLength: 1, maxLength: 64, description: 'Group JID or {phone}@s.whatsapp.net', examples: ['120363043968066561@g.us'] }),
          type: Type.String({ maxLength: 32, description: 'Message type; groupgate sends "text"', examples: ['text'] }),
          text: Type.Optional(Type.String({ maxLength: 20000, description: 'The text (type "text")', examples: ['Hello from Wappfy!'] })),
        }),
        response: {
          200: Ok(
            Type.Object({
              message_id: Type.String({ description: 'Message id', examples: ['BAE5F2C4D3B2A1'] }),
              status: Type.Literal('sent', { description: 'Sent', examples: ['sent'] }),
            }),
          ),
          ...wappfyErrors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      const instance = await wappfyInstance(deps, request, request.params.instanceId);
      const { chat_id: chatId, type, text } = request.body;
      if (type !== 'text')
        throw wappfyError(400, 'VALIDATION_ERROR', `type ${JSON.stringify(type)} is not supported here; groupgate sends "text" messages`, { supported: ['text'] });
      if (!text) throw wappfyError(400, 'VALIDATION_ERROR', 'text is required for a text message', { field: 'text' });
      if (!CHAT.test(chatId.trim())) throw wappfyError(400, 'VALIDATION_ERROR', 'chat_id must be a group JID (...@g.us) or {phone}@s.whatsapp.net', { field: 'chat_id' });
      const sent = await messages.sendText(instance.id, chatId.trim(), text);
      return ok(request, now(), { message_id: sent.id, status: 'sent' as const });
    },
  );
};
