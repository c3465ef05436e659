/**
 * Z-API's webhook settings: each "update-webhook-*" URL becomes (or, when empty, stops being) a z-api
 * subscription of this instance, delivered from the event log in Z-API's callback format.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiServices } from '../../http/deps.js';
import { zapiInstanceOf } from './auth.js';
import { ValueBody, ZapiParams, zapiErrors } from './schemas.js';

/** Z-API's webhook kinds and the events each carries ("received" carries the group notifications). */
export const ZAPI_WEBHOOK_SLOTS: Record<string, string[]> = {
  received: ['group.*', 'message.received'],
  'received-delivery': ['group.*', 'message.received', 'message.sent'],
  'message-status': ['message.sent'],
  connected: ['instance.status'],
  disconnected: ['instance.status'],
  delivery: ['message.sent'],
};

const UrlBody = Type.Object({
  value: Type.String({ maxLength: 2000, description: 'The webhook URL; "" removes it', examples: ['https://example.com/zapi'] }),
});

/** PUT update-webhook-{kind} and update-every-webhooks. */
export const zapiWebhookRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'webhooks'>> = async (app, { webhooks }) => {
  const tags = ['z-api'];

  for (const [slot, events] of Object.entries(ZAPI_WEBHOOK_SLOTS)) {
    app.put(
      `/update-webhook-${slot}`,
      { schema: { tags, summary: `Set the "${slot}" webhook URL`, params: ZapiParams, body: UrlBody, response: { 200: ValueBody, ...zapiErrors(400, 401, 404) } } },
      async (request) => {
        const instance = zapiInstanceOf(request);
        await webhooks.upsertProviderSubscription(instance.id, 'z-api', { url: request.body.value || null, slot, events });
        return { value: true };
      },
    );
  }

  app.put(
    '/update-every-webhooks',
    {
      schema: {
        tags,
        summary: 'Set every webhook URL at once',
        params: ZapiParams,
        body: Type.Object({
          value: UrlBody.properties.value,
          notifySentByMe: Type.Optional(Type.Boolean({ description: 'Accepted for compatibility', examples: [false] })),
        }),
        response: { 200: ValueBody, ...zapiErrors(400, 401, 404) },
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      for (const [slot, events] of Object.entries(ZAPI_WEBHOOK_SLOTS)) {
        await webhooks.upsertProviderSubscription(instance.id, 'z-api', { url: request.body.value || null, slot, events });
      }
      return { value: true };
    },
  );
};
