import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, requireAdmin, requireInstance } from '../auth.js';
import type { ApiServices } from '../deps.js';
import { errorResponses, InstanceIdParam } from './schemas.js';

const InstanceWithToken = Type.Intersect([
  Type.Ref('Instance'),
  Type.Object({ token: Type.String({ description: 'The instance token: shown once, store it now', examples: ['ggi_...'] }) }),
]);

/** Instances: create, list, read, delete, restart, logout, token rotation. */
export const instanceRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'access' | 'instances'>> = async (app, { access, instances }) => {
  app.post(
    '/instances',
    {
      schema: {
        tags: ['instances'],
        summary: 'Create an instance (a WhatsApp number)',
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Display name', examples: ['Sales number'] })),
            engine: Type.Optional(Type.String({ maxLength: 32, description: '"sandbox" or "baileys" (default)', examples: ['sandbox'] })),
            phone: Type.Optional(Type.String({ maxLength: 32, description: 'Number (+E164 or digits); sandbox instances get one if absent', examples: ['+15550001111'] })),
          },
          { additionalProperties: false },
        ),
        response: { 201: InstanceWithToken, ...errorResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      requireAdmin(access, request);
      const created = await instances.create(request.body);
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/instances',
    {
      schema: {
        tags: ['instances'],
        summary: 'List the instances this key may see',
        response: { 200: Type.Object({ instances: Type.Array(Type.Ref('Instance'), { description: 'Instances this key may see, oldest first' }) }), ...errorResponses(401) },
      },
    },
    async (request) => {
      const list = await instances.list(access.visibleInstances(principalOf(request)));
      return { instances: list.map(instances.view) };
    },
  );

  app.get(
    '/instances/:id',
    { schema: { tags: ['instances'], summary: 'Read one instance', params: InstanceIdParam, response: { 200: Type.Ref('Instance'), ...errorResponses(401, 404) } } },
    async (request) => {
      requireInstance(access, request, request.params.id);
      return instances.view(await instances.get(request.params.id));
    },
  );

  app.delete(
    '/instances/:id',
    {
      schema: {
        tags: ['instances'],
        summary: 'Delete an instance: logs the engine out and keeps nothing of it',
        params: InstanceIdParam,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      requireInstance(access, request, request.params.id);
      requireAdmin(access, request);
      await instances.delete(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/instances/:id/restart',
    { schema: { tags: ['instances'], summary: 'Restart the connection', params: InstanceIdParam, response: { 200: Type.Ref('Instance'), ...errorResponses(401, 404) } } },
    async (request) => {
      requireInstance(access, request, request.params.id);
      return instances.view(await instances.restart(request.params.id));
    },
  );

  app.post(
    '/instances/:id/logout',
    {
      schema: {
        tags: ['instances'],
        summary: 'Unlink the device (credentials wiped)',
        params: InstanceIdParam,
        response: { 200: Type.Ref('Instance'), ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      requireInstance(access, request, request.params.id);
      return instances.view(await instances.logout(request.params.id));
    },
  );

  app.post(
    '/instances/:id/token/rotate',
    {
      schema: {
        tags: ['instances'],
        summary: 'Issue a new instance token; the old one stops working at once',
        params: InstanceIdParam,
        response: { 200: InstanceWithToken, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      requireInstance(access, request, request.params.id);
      return instances.rotateToken(request.params.id);
    },
  );
};
