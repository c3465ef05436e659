/**
 * The Z-API dialect: `/instances/{instanceId}/token/{token}/{endpoint}`. Its own auth (path token and
 * optional Client-Token header), its own error bodies, 405 for a wrong method and 415 for a body
 * that is not JSON. Every route calls the same core services as the native API.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { DialectModule } from '../kit/dialect.js';
import { zapiClientTokenRoutes } from './client-token-routes.js';
import { zapiWebhookFormat } from './callbacks.js';
import { zapiAuth } from './auth.js';
import { DialectReplyError } from '../kit/reply-error.js';
import { zapiErrorHandler } from './errors.js';
import { zapiGroupRoutes } from './routes-groups.js';
import { zapiInstanceRoutes } from './routes-instance.js';
import { zapiUpdateRoutes } from './routes-updates.js';
import { ZAPI_WEBHOOK_KINDS, zapiWebhookRoutes } from './routes-webhooks.js';

/** Every endpoint served and its methods, to tell a wrong method (405) from an unknown path (404). */
const ENDPOINT_METHODS: Record<string, string[]> = {
  'create-group': ['POST'],
  'update-group-name': ['POST'],
  'update-group-description': ['POST'],
  'update-group-photo': ['POST'],
  'update-group-settings': ['POST'],
  'add-participant': ['POST'],
  'remove-participant': ['POST'],
  'add-admin': ['POST'],
  'remove-admin': ['POST'],
  'approve-participant': ['POST'],
  'reject-participant': ['POST'],
  'leave-group': ['POST'],
  'group-metadata': ['GET', 'POST'],
  'light-group-metadata': ['GET'],
  'group-invitation-link': ['GET', 'POST'],
  'redefine-invitation-link': ['POST'],
  'accept-invite-group': ['GET'],
  groups: ['GET'],
  'group-invitation-metadata': ['GET'],
  'send-text': ['POST'],
  status: ['GET'],
  'qr-code': ['GET'],
  'phone-code': ['GET'],
  restart: ['GET'],
  disconnect: ['GET'],
  me: ['GET'],
  'update-every-webhooks': ['PUT'],
  'update-webhook-received-delivery': ['PUT'],
  'update-notify-sent-by-me': ['PUT'],
  ...Object.fromEntries(Object.keys(ZAPI_WEBHOOK_KINDS).map((kind) => [`update-webhook-${kind}`, ['PUT']])),
};

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * 415 for a request that carries a body not declared as JSON. A bodiless POST needs no content
 * type; its declared one is dropped so an empty `application/json` body is not a parse error.
 */
async function requireJson(request: FastifyRequest) {
  if (request.is404 || !BODY_METHODS.has(request.method)) return;
  const length = request.headers['content-length'];
  const hasBody = request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody) {
    delete request.headers['content-type'];
    return;
  }
  const type = request.headers['content-type'];
  if (!type || !/^application\/json\s*(;|$)/i.test(type)) {
    throw new DialectReplyError(415, { error: 'unsupported_media_type', message: 'send the body as JSON with Content-Type: application/json' });
  }
}

/** 405 when the endpoint exists under another method, else 404; never echoes the path (it holds the token). */
function notFound(request: FastifyRequest, reply: FastifyReply) {
  const path = request.url.split('?')[0] ?? '';
  const m = /^\/instances\/[^/]+\/token\/[^/]+\/([^/]+)/.exec(path);
  const allowed = m ? ENDPOINT_METHODS[m[1]!] : undefined;
  if (allowed && !allowed.includes(request.method === 'HEAD' ? 'GET' : request.method)) {
    return reply
      .code(405)
      .header('allow', allowed.join(', '))
      .send({ error: 'method_not_allowed', message: `use ${allowed.join(' or ')} for ${m![1]}` });
  }
  return reply.code(404).send({ error: 'not_found', message: 'no such Z-API endpoint' });
}

/** The Z-API dialect module (outside `/api`: it has its own credentials). */
export const zapiDialect: DialectModule = {
  name: 'z-api',
  // The instance token is the path segment after `/token/`.
  redactions: [{ pattern: /(\/token\/)([^/?]+)/i, replacement: '$1[redacted]' }],
  webhookFormats: [zapiWebhookFormat],
  create({ services }) {
    const routes: FastifyPluginAsync = async (app) => {
      await app.register(
        async (scope) => {
          scope.setErrorHandler(zapiErrorHandler);
          scope.setNotFoundHandler(notFound);
          scope.addHook('onRequest', zapiAuth(services));
          scope.addHook('onRequest', requireJson);
          const options = { ...services, prefix: '/:instanceId/token/:token' };
          await scope.register(zapiGroupRoutes, options);
          await scope.register(zapiUpdateRoutes, options);
          await scope.register(zapiWebhookRoutes, options);
          await scope.register(zapiInstanceRoutes, options);
        },
        { prefix: '/instances' },
      );
    };
    return { routes, apiRoutes: async (api) => api.register(zapiClientTokenRoutes, services) };
  },
};
