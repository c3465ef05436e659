/** Green API's HTTP notification queue: receiveNotification (long poll) and deleteNotification. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { instanceOf } from './auth.js';
import { path } from './groups.js';
import type { GreenQueue } from './queue.js';
import { DeleteParams, errors, NotificationReply, Params, ReceiveQuery } from './schemas.js';

export const greenNotificationRoutes: FastifyPluginAsyncTypebox<{ queue: GreenQueue }> = async (app, { queue }) => {
  const tags = ['green-api'];

  app.get(
    path('receiveNotification'),
    {
      schema: {
        tags,
        summary: 'Oldest notification (long poll up to receiveTimeout seconds); null when none arrived',
        params: Params,
        querystring: ReceiveQuery,
        response: { 200: NotificationReply, ...errors(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const controller = new AbortController();
      // The client went away: stop waiting for it.
      const onClose = () => controller.abort();
      reply.raw.once('close', onClose);
      try {
        const item = await queue.receive(instanceOf(request).id, request.query.receiveTimeout, controller.signal);
        // The JSON literal null: an empty object would break the official clients' loops.
        if (!item) return reply.type('application/json; charset=utf-8').send('null' as never);
        return item;
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  );

  app.delete(
    `${path('deleteNotification')}/:receiptId`,
    {
      schema: {
        tags,
        summary: 'Delete a received notification from the queue',
        params: DeleteParams,
        response: {
          200: { type: 'object', properties: { result: { type: 'boolean', description: 'It was in the queue and is now deleted', examples: [true] } } },
          ...errors(400, 401, 403, 429),
        },
      },
    },
    async (request) => ({ result: await queue.delete(instanceOf(request).id, request.params.receiptId) }),
  );
};
