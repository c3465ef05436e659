import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { hashSecret } from '../../core/common/ids.js';
import { CLIENT_TOKEN_SETTING } from './auth.js';
import { requireInstance } from '../../http/auth.js';
import type { ApiServices } from '../../http/deps.js';
import { errorResponses, InstanceIdParam } from '../../http/native/schemas.js';

const State = Type.Object({
  clientTokenSet: Type.Boolean({ description: 'Whether Z-API requests to this instance must carry this Client-Token header', examples: [true] }),
});

/**
 * Z-API's account security token per instance: once set, every Z-API request to the instance must
 * send it in `Client-Token`. Only its SHA-256 hash is kept.
 */
export const zapiClientTokenRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'access' | 'instances'>> = async (app, { access, instances }) => {
  app.put(
    '/instances/:id/zapi-client-token',
    {
      schema: {
        tags: ['z-api'],
        summary: 'Set the Z-API Client-Token of an instance',
        params: InstanceIdParam,
        body: Type.Object(
          {
            clientToken: Type.String({
              minLength: 8,
              maxLength: 256,
              pattern: '^\\S+$',
              description: 'The token Z-API clients will send in the Client-Token header',
              examples: ['F3a9c0e1d2b4...'],
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: State, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      requireInstance(access, request, request.params.id);
      await instances.putSetting(request.params.id, CLIENT_TOKEN_SETTING, hashSecret(request.body.clientToken));
      return { clientTokenSet: true };
    },
  );

  app.delete(
    '/instances/:id/zapi-client-token',
    {
      schema: {
        tags: ['z-api'],
        summary: 'Remove the Z-API Client-Token of an instance (Z-API requests no longer need it)',
        params: InstanceIdParam,
        response: { 200: State, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      requireInstance(access, request, request.params.id);
      await instances.putSetting(request.params.id, CLIENT_TOKEN_SETTING, null);
      return { clientTokenSet: false };
    },
  );
};
