/** Z-API instance and message routes: status, send-text. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ulid } from '../../core/common/ids.js';
import { isZapiGroupPhone } from './wire-format.js';
import type { ApiServices } from '../../http/deps.js';
import { zapiInstanceOf } from './auth.js';
import { ZapiParams, zapiErrors } from './schemas.js';
import { zapiGroupId } from './shapes.js';

/** Z-API's status wording per groupgate status. */
function statusError(status: string): string {
  switch (status) {
    case 'connected':
      return 'You are already connected.';
    case 'logged_out':
    case 'failed':
      return 'You need to restore the session.';
    default:
      return 'You are not connected.';
  }
}

/** Z-API routes about the instance itself. */
export const zapiInstanceRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'instances' | 'messages'>> = async (app, { instances, messages }) => {
  const tags = ['z-api'];

  app.get(
    '/status',
    {
      schema: {
        tags,
        summary: 'Whether the number is connected',
        params: ZapiParams,
        response: {
          200: Type.Object({
            connected: Type.Boolean({ description: 'Connected to WhatsApp', examples: [true] }),
            error: Type.String({ description: "Z-API's status wording", examples: ['You are already connected.'] }),
            smartphoneConnected: Type.Boolean({ description: 'The phone is reachable (same as connected here)', examples: [true] }),
          }),
          ...zapiErrors(401, 404),
        },
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      const status = instances.rawSession(instance.id)?.status().status ?? instance.status;
      const connected = status === 'connected';
      return { connected, error: statusError(status), smartphoneConnected: connected };
    },
  );

  app.post(
    '/send-text',
    {
      schema: {
        tags,
        summary: 'Send a text to a number or a group',
        params: ZapiParams,
        body: Type.Object({
          phone: Type.String({ minLength: 1, maxLength: 64, description: 'Digits with country code, or a group id (`<digits>-group`)', examples: ['5511999999999'] }),
          message: Type.String({ minLength: 1, maxLength: 20000, description: 'The text', examples: ['Welcome!'] }),
        }),
        response: {
          200: Type.Object({
            zaapId: Type.String({ description: 'Id of the send on this server', examples: ['01JD3V8Q2Z6M4X7K9P0R5T1W3Y'] }),
            messageId: Type.String({ description: 'WhatsApp message id', examples: ['3EB0C767D26A1D0F'] }),
            id: Type.String({ description: 'Same as messageId (kept for Zapier)', examples: ['3EB0C767D26A1D0F'] }),
          }),
          ...zapiErrors(400, 401, 404, 429),
        },
      },
    },
    async (request) => {
      const instance = zapiInstanceOf(request);
      const { phone, message } = request.body;
      const chatId = isZapiGroupPhone(phone) ? zapiGroupId(phone, 'phone') : phone;
      const sent = await messages.sendText(instance.id, chatId, message);
      return { zaapId: ulid(), messageId: sent.id, id: sent.id };
    },
  );
};
