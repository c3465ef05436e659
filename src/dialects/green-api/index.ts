/**
 * The Green API dialect: `/waInstance{idInstance}/{method}/{apiTokenInstance}`, also under the
 * optional prefix `config.greenApiPrefix`. A thin translator over the core services; its errors are
 * Green API's (see errors.ts), its notification queue is the instance's event log (see queue.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import { DomainError } from '../../core/common/errors.js';
import type { HttpDeps } from '../../http/deps.js';
import { greenAccountRoutes } from './account.js';
import { greenAuth } from './auth.js';
import { greenErrorHandler } from './errors.js';
import { greenGroupRoutes } from './groups.js';
import { greenNotificationRoutes } from './notifications.js';
import { createGreenQueue } from './queue.js';

/** Registers the Green API dialect (outside `/api`: the path token is its only credential). */
export const greenApiRoutes: FastifyPluginAsync<HttpDeps> = async (app, deps) => {
  const queue = createGreenQueue(deps.core);
  // Waiting long polls end (with null) before the server closes, so shutdown is not held up.
  app.addHook('preClose', async () => queue.abortAll());

  const dialect: FastifyPluginAsync<HttpDeps> = async (scope) => {
    scope.setErrorHandler(greenErrorHandler);
    scope.addHook('onRequest', greenAuth(deps));
    await scope.register(greenGroupRoutes, deps);
    await scope.register(greenAccountRoutes, { ...deps, queue });
    await scope.register(greenNotificationRoutes, { ...deps, queue });
    // Any other method or HTTP verb: Green API answers 404.
    const notFound = async () => {
      throw new DomainError('not_found', 'Not Found');
    };
    for (const url of ['/waInstance:idInstance/:method/:token', '/waInstance:idInstance/:method/:token/*']) {
      scope.all(url, { schema: { hide: true }, config: { greenAuth: false } }, notFound);
    }
  };

  await app.register(dialect, deps);
  const prefix = deps.core.config.greenApiPrefix.replace(/\/+$/, '');
  if (prefix) await app.register(dialect, { ...deps, prefix: prefix.startsWith('/') ? prefix : `/${prefix}` });
};
