/**
 * The 2Chat dialect under `/open`: `X-User-API-Key` auth, `from_number` picks the instance,
 * per-number results, 2Chat's own error bodies and webhooks. Every route calls the same core
 * services as the native API.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { DialectModule } from '../kit/dialect.js';
import { createTwoChatGroupRepository } from './group-handle-repository.js';
import type { TwoChatTables } from './tables.js';
import { twoChatAuth, twoChatInstanceHint } from './auth.js';
import { twoChatErrorHandler } from './errors.js';
import { twoChatRoutes } from './routes.js';
import { twoChatAccountRoutes } from './routes-account.js';
import { twoChatWebhookRoutes } from './routes-webhooks.js';
import { createTwoChatWebhookRepository } from './webhook-repository.js';
import { createTwoChatWebhookFormat } from './wire-format.js';

/** Paths served and their methods, to answer 405 for a wrong method as 2Chat (FastAPI) does. */
const PATHS: [RegExp, string][] = [
  [/^\/open\/info\/?$/, 'GET'],
  [/^\/open\/whatsapp\/get-numbers\/?$/, 'GET'],
  [/^\/open\/whatsapp\/send-message\/?$/, 'POST'],
  [/^\/open\/whatsapp\/check-number\/[^/]+\/[^/]+\/?$/, 'GET'],
  [/^\/open\/whatsapp\/group\/create\/?$/, 'POST'],
  [/^\/open\/whatsapp\/groups\/[^/]+\/?$/, 'GET'],
  [/^\/open\/whatsapp\/group\/[^/]+\/(add|remove|promote|demote)-participant\/?$/, 'POST'],
  [/^\/open\/whatsapp\/group\/[^/]+\/set-(description|picture)\/?$/, 'POST'],
  [/^\/open\/whatsapp\/group\/[^/]+\/?$/, 'GET'],
  [/^\/open\/webhooks\/subscribe\/[^/]+\/?$/, 'POST'],
  [/^\/open\/webhooks\/channel\/[^/]+\/?$/, 'GET'],
  [/^\/open\/webhooks\/?$/, 'GET'],
  [/^\/open\/webhooks\/[^/]+\/?$/, 'DELETE'],
];

function notFound(request: FastifyRequest, reply: FastifyReply) {
  const path = request.url.split('?')[0] ?? '';
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  const known = PATHS.find(([re]) => re.test(path));
  if (known && known[1] !== method) return reply.code(405).header('allow', known[1]).send({ detail: 'Method Not Allowed' });
  return reply.code(404).send({ detail: 'Not Found' });
}

/**
 * A request without a body needs no content type: clients (2Chat's n8n node among them) declare
 * `application/json` on GET and DELETE too, which must not make an empty body a parse error.
 */
async function dropEmptyBodyType(request: FastifyRequest) {
  const length = request.headers['content-length'];
  if (request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) delete request.headers['content-type'];
}

/** The 2Chat dialect module (outside `/api`: it has its own header). */
export const twoChatDialect: DialectModule = {
  name: '2chat',
  redactions: [],
  webhookFormats: ({ tables }) => [
    createTwoChatWebhookFormat({ hooks: createTwoChatWebhookRepository(tables<TwoChatTables>()), groups: createTwoChatGroupRepository(tables<TwoChatTables>()) }),
  ],
  create({ services, tables }) {
    const handles = createTwoChatGroupRepository(tables<TwoChatTables>(), services.now);
    const hooks = createTwoChatWebhookRepository(tables<TwoChatTables>());
    const routes: FastifyPluginAsync = async (app) => {
      await app.register(
        async (scope) => {
          scope.setErrorHandler(twoChatErrorHandler);
          scope.setNotFoundHandler(notFound);
          scope.addHook('onRequest', dropEmptyBodyType);
          scope.addHook('onRequest', twoChatAuth(services));
          scope.addHook('preValidation', twoChatInstanceHint(services));
          await scope.register(twoChatAccountRoutes, { ...services, handles, scope: 'open' });
          await scope.register(twoChatAccountRoutes, { ...services, handles, scope: 'whatsapp', prefix: '/whatsapp' });
          await scope.register(twoChatRoutes, { ...services, handles, prefix: '/whatsapp' });
          await scope.register(twoChatWebhookRoutes, { ...services, handles, hooks, prefix: '/webhooks' });
        },
        { prefix: '/open' },
      );
    };
    return {
      routes,
      forgetInstance: async (instanceId) => {
        await hooks.deleteAll(instanceId);
        await handles.deleteAll(instanceId);
      },
    };
  },
};
