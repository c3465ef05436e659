/**
 * The Green API dialect: `/waInstance{idInstance}/{method}/{apiTokenInstance}`, also under the
 * optional prefix `GROUPGATE_GREEN_API_PREFIX`. A thin translator over the core services; its errors are
 * Green API's (see errors.ts), its notification queue is the instance's event log (see queue.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import { DomainError } from '../../core/common/errors.js';
import type { DialectModule } from '../kit/dialect.js';
import { greenAccountRoutes } from './account.js';
import { greenAuth } from './auth.js';
import { greenErrorHandler } from './errors.js';
import { greenGroupRoutes } from './groups.js';
import { greenNotificationRoutes } from './notifications.js';
import { createGreenQueue } from './queue.js';
import { createGreenApiQueueRepository } from './queue-repository.js';
import type { GreenApiTables } from './tables.js';
import { greenApiWebhookFormat } from './wire-format.js';

/** Green API's options: the optional second path prefix (`GROUPGATE_GREEN_API_PREFIX`). */
export interface GreenApiOptions {
  prefix: string;
}

/** The Green API dialect module (outside `/api`: the path token is its only credential). */
export function greenApiDialect(options: GreenApiOptions): DialectModule {
  return {
    name: 'green-api',
    // The apiTokenInstance is the path segment after the method.
    redactions: [{ pattern: /(\/waInstance[^/]*\/[^/?]+\/)([^/?]+)/i, replacement: '$1[redacted]' }],
    webhookFormats: [greenApiWebhookFormat],
    create({ services, tables }) {
      const repo = createGreenApiQueueRepository(tables<GreenApiTables>());
      const queue = createGreenQueue({ events: services.events, instances: services.instances, repo, now: services.now });

      const dialect: FastifyPluginAsync = async (scope) => {
        scope.setErrorHandler(greenErrorHandler);
        scope.addHook('onRequest', greenAuth(services));
        await scope.register(greenGroupRoutes, services);
        await scope.register(greenAccountRoutes, { ...services, queue });
        await scope.register(greenNotificationRoutes, { queue });
        // Any other method or HTTP verb: Green API answers 404.
        const notFound = async () => {
          throw new DomainError('not_found', 'Not Found');
        };
        for (const url of ['/waInstance:idInstance/:method/:token', '/waInstance:idInstance/:method/:token/*']) {
          scope.all(url, { schema: { hide: true }, config: { greenAuth: false } }, notFound);
        }
      };

      const routes: FastifyPluginAsync = async (app) => {
        // Waiting long polls end (with null) before the server closes, so shutdown is not held up.
        app.addHook('preClose', async () => queue.abortAll());
        await app.register(dialect);
        const prefix = options.prefix.replace(/\/+$/, '');
        if (prefix) await app.register(dialect, { prefix: prefix.startsWith('/') ? prefix : `/${prefix}` });
      };

      return { routes, forgetInstance: (instanceId) => repo.deleteAll(instanceId) };
    },
  };
}
