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
import { greenServiceRoutes } from './service.js';
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

      // Every method served, lower-cased -> its canonical name and HTTP verbs (filled as routes register).
      const methods = new Map<string, { name: string; verbs: Set<string> }>();

      const dialect: FastifyPluginAsync = async (scope) => {
        scope.setErrorHandler(greenErrorHandler);
        scope.addHook('onRequest', greenAuth(services));
        scope.addHook('onRoute', (route) => {
          const name = /\/waInstance:idInstance\/([A-Za-z]+)\/:token/.exec(route.url)?.[1];
          if (!name) return;
          const entry = methods.get(name.toLowerCase()) ?? { name, verbs: new Set<string>() };
          for (const verb of [route.method].flat()) entry.verbs.add(String(verb));
          methods.set(name.toLowerCase(), entry);
        });
        await scope.register(greenGroupRoutes, services);
        await scope.register(greenAccountRoutes, { ...services, queue });
        await scope.register(greenServiceRoutes, services);
        await scope.register(greenNotificationRoutes, { queue });
        // Any other method or HTTP verb: Green API's 404, with a message naming the method.
        const notFound = async (request: { params: unknown; method: string }) => {
          const asked = (request.params as { method?: string }).method ?? '';
          const known = methods.get(asked.toLowerCase());
          const message = known
            ? `Not Found: ${known.name} is called with ${[...known.verbs].filter((v) => v !== 'HEAD').join(' or ')}, not ${request.method}`
            : `Not Found: groupgate does not implement the Green API method ${JSON.stringify(asked)} (see docs/green-api.md for the methods it serves)`;
          throw new DomainError('not_found', message, { method: asked });
        };
        for (const url of ['/waInstance:idInstance/:method/:token', '/waInstance:idInstance/:method/:token/*']) {
          scope.all(url, { schema: { hide: true }, config: { greenAuth: false } }, notFound);
        }
      };

      // Green API matches method names whatever their case (`/CreateGroup/`, `ForwardMessages`).
      const prefix = options.prefix.replace(/\/+$/, '');
      const prefixes = ['', ...(prefix ? [prefix.startsWith('/') ? prefix : `/${prefix}`] : [])];
      const rewriteUrl = (url: string): string | undefined => {
        for (const p of prefixes) {
          if (!url.startsWith(`${p}/waInstance`)) continue;
          const m = /^(\/waInstance[^/?]*\/)([^/?]+)(.*)$/s.exec(url.slice(p.length));
          const canonical = m && methods.get(m[2]!.toLowerCase())?.name;
          if (m && canonical && canonical !== m[2]) return `${p}${m[1]}${canonical}${m[3]}`;
        }
        return undefined;
      };

      const routes: FastifyPluginAsync = async (app) => {
        // Waiting long polls end (with null) before the server closes, so shutdown is not held up.
        app.addHook('preClose', async () => queue.abortAll());
        await app.register(dialect);
        const prefix = options.prefix.replace(/\/+$/, '');
        if (prefix) await app.register(dialect, { prefix: prefix.startsWith('/') ? prefix : `/${prefix}` });
      };

      return { routes, rewriteUrl, forgetInstance: (instanceId) => repo.deleteAll(instanceId) };
    },
  };
}
