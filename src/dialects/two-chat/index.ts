/**
 * The 2Chat dialect under `/open/whatsapp`: `X-User-API-Key` auth, `from_number` picks the
 * instance, per-number results, 2Chat's own error bodies. Every route calls the same core
 * services as the native API.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { DialectModule } from '../kit/dialect.js';
import { createTwoChatGroupRepository } from './group-handle-repository.js';
import type { TwoChatTables } from './tables.js';
import { twoChatAuth } from './auth.js';
import { twoChatErrorHandler } from './errors.js';
import { twoChatRoutes } from './routes.js';

/** Paths served and their methods, to answer 405 for a wrong method as 2Chat (FastAPI) does. */
const PATHS: [RegExp, string][] = [
  [/^\/open\/whatsapp\/group\/create\/?$/, 'POST'],
  [/^\/open\/whatsapp\/groups\/[^/]+\/?$/, 'GET'],
  [/^\/open\/whatsapp\/group\/[^/]+\/(add|remove|promote|demote)-participant\/?$/, 'POST'],
  [/^\/open\/whatsapp\/group\/[^/]+\/set-description\/?$/, 'POST'],
  [/^\/open\/whatsapp\/group\/[^/]+\/?$/, 'GET'],
];

function notFound(request: FastifyRequest, reply: FastifyReply) {
  const path = request.url.split('?')[0] ?? '';
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  const known = PATHS.find(([re]) => re.test(path));
  if (known && known[1] !== method) return reply.code(405).header('allow', known[1]).send({ detail: 'Method Not Allowed' });
  return reply.code(404).send({ detail: 'Not Found' });
}

/** The 2Chat dialect module (outside `/api`: it has its own header). */
export const twoChatDialect: DialectModule = {
  name: '2chat',
  redactions: [],
  create({ services, tables }) {
    const handles = createTwoChatGroupRepository(tables<TwoChatTables>(), services.now);
    const routes: FastifyPluginAsync = async (app) => {
      await app.register(
        async (scope) => {
          scope.setErrorHandler(twoChatErrorHandler);
          scope.setNotFoundHandler(notFound);
          scope.addHook('onRequest', twoChatAuth(services));
          await scope.register(twoChatRoutes, { ...services, handles });
        },
        { prefix: '/open/whatsapp' },
      );
    };
    return { routes, forgetInstance: (instanceId) => handles.deleteAll(instanceId) };
  },
};
