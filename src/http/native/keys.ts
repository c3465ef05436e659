import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireAdmin } from '../auth.js';
import type { ApiServices } from '../deps.js';
import { errorResponses, Nullable } from './schemas.js';

const KeyView = Type.Object({
  id: Type.String({ description: 'Key id', examples: ['key_a8d9s0f1k2l3'] }),
  name: Type.String({ description: 'What the key is for', examples: ['crm integration'] }),
  instances: Nullable(Type.Array(Type.String(), { description: 'Instances the key may use; null = admin key (all)', examples: [['k3j9x0a2mq']] })),
  createdAt: Type.String({ description: 'Creation time', examples: ['2026-11-22T10:00:00.000Z'] }),
});
const KeyWithSecret = Type.Intersect([KeyView, Type.Object({ key: Type.String({ description: 'The secret: shown once, store it now', examples: ['gg_...'] }) })]);
const KeyIdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'Key id', examples: ['key_a8d9s0f1k2l3'] }) });

/** API keys (admin only). */
export const keyRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'access'>> = async (app, { access }) => {
  app.addHook('onRequest', async (request) => requireAdmin(access, request));

  app.post(
    '/keys',
    {
      schema: {
        tags: ['keys'],
        summary: 'Create an API key; without instances it is an admin key',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100, description: 'What the key is for', examples: ['crm integration'] }),
            instances: Type.Optional(
              Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 1000, description: 'Instances the key may use', examples: [['k3j9x0a2mq']] }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: KeyWithSecret, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.code(201).send(await access.createKey(request.body)),
  );

  app.get(
    '/keys',
    {
      schema: {
        tags: ['keys'],
        summary: 'List API keys (never their secrets)',
        response: { 200: Type.Object({ keys: Type.Array(KeyView, { description: 'Every API key' }) }), ...errorResponses(401, 403) },
      },
    },
    async () => ({ keys: await access.listKeys() }),
  );

  app.delete(
    '/keys/:id',
    { schema: { tags: ['keys'], summary: 'Delete an API key', params: KeyIdParam, response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(401, 403, 404) } } },
    async (request, reply) => {
      await access.deleteKey(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/keys/:id/rotate',
    {
      schema: {
        tags: ['keys'],
        summary: 'Issue a new secret; the old one stops working at once',
        params: KeyIdParam,
        response: { 200: KeyWithSecret, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => access.rotateKey(request.params.id),
  );
};
