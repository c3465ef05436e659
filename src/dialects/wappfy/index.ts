/**
 * The Wappfy dialect under the base path `/wappfy`: a Wappfy client switches
 * `https://api.wappfy.io` to `http://<host>:<port>/wappfy`. Its key is a groupgate API key (admin or
 * scoped) sent as `X-Api-Key` or `Authorization: Bearer`; instance ids are groupgate's. Every answer
 * is in Wappfy's envelope, errors included. Every route calls the same core services as the native API.
 * Its webhooks are core provider subscriptions delivered in a body groupgate chose (`wire-format.ts`).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { DialectModule } from '../kit/dialect.js';
import { wappfyAuth } from './auth.js';
import { createWappfyErrorHandler, failure, wappfyCode } from './errors.js';
import { toDomainError } from '../../http/errors.js';
import { wappfyGroupRoutes } from './routes-groups.js';
import { wappfyMessageRoutes } from './routes-messages.js';
import { wappfyParticipantRoutes } from './routes-participants.js';
import { wappfyWebhookRoutes } from './routes-webhooks.js';
import type { WappfyTables } from './tables.js';
import { createWappfyWebhookRepository } from './webhook-repository.js';
import { createWappfyWebhookFormat } from './wire-format.js';

/** The Wappfy dialect module (outside `/api`: its own envelope and error codes). */
export const wappfyDialect: DialectModule = {
  name: 'wappfy',
  redactions: [],
  webhookFormats: ({ tables }) => [createWappfyWebhookFormat({ hooks: createWappfyWebhookRepository(tables<WappfyTables>()) })],
  create({ services, tables }) {
    const now = services.now;
    const hooks = createWappfyWebhookRepository(tables<WappfyTables>());
    const notFound = (request: FastifyRequest, reply: FastifyReply) => {
      const path = (request.url.split('?')[0] ?? '').slice(0, 200);
      return reply.code(404).send(failure(request, now(), 'NOT_FOUND', `no route ${request.method} ${path}`));
    };
    const routes: FastifyPluginAsync = async (app) => {
      await app.register(
        async (scope) => {
          scope.setErrorHandler(createWappfyErrorHandler(now));
          scope.setNotFoundHandler(notFound);
          scope.addHook('onRequest', wappfyAuth(services));
          const options = { ...services, prefix: '/instances/:instanceId' };
          await scope.register(wappfyGroupRoutes, options);
          await scope.register(wappfyParticipantRoutes, options);
          await scope.register(wappfyMessageRoutes, options);
          await scope.register(wappfyWebhookRoutes, { ...services, hooks, prefix: '/webhooks' });
        },
        { prefix: '/wappfy/api' },
      );
    };
    return {
      routes,
      forgetInstance: (instanceId) => hooks.deleteAll(instanceId),
      frameworkError(err, request, reply) {
        if (!(request.url ?? '').startsWith('/wappfy/')) return false;
        const { error, status } = toDomainError(err);
        // Raised before routing, so the app's onSend hook that sets this header does not run.
        reply.header('x-request-id', request.id);
        void reply.code(status).send(failure(request, now(), wappfyCode(error.code), error.message, error.details));
        return true;
      },
    };
  },
};
