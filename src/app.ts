/**
 * The groupgate HTTP application: one Fastify instance with the native API, the provider dialects,
 * health probes and the OpenAPI document, over a wired Container. `server.ts` only starts it.
 */
import type { Server as HttpServer } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Container } from './container.js';
import { trustProxySetting } from './config.js';
import { closeReadsOnRevocation, requireKey } from './http/auth.js';
import { createUrlRedactor, requestSerializer } from './http/redact.js';
import { installIdempotency } from './http/idempotency.js';
import { operationRoutes } from './http/native/operations.js';
import { pacingRoutes } from './http/native/pacing.js';
import { checkInput, frameworkErrors, installErrorHandling } from './http/errors.js';
import { installMetrics } from './http/metrics.js';
import { groupRoutes } from './http/native/groups.js';
import { instanceRoutes } from './http/native/instances.js';
import { linkingRoutes } from './http/native/linking.js';
import { keyRoutes } from './http/native/keys.js';
import { messageRoutes } from './http/native/messages.js';
import { participantRoutes } from './http/native/participants.js';
import { sandboxRoutes } from './http/native/sandbox.js';
import { webhookRoutes } from './http/native/webhooks.js';
import { eventStreamRoutes } from './http/native/event-stream.js';
import { dashboardRoutes } from './http/dashboard.js';
import { sharedSchemas } from './http/native/schemas.js';
import { ulid } from './core/common/ids.js';
import { installForwarding } from './http/forward.js';
import { lazyChildLogger } from './logger.js';

export interface AppOptions {
  /** Serve /docs (Swagger UI). Default true. */
  docs?: boolean;
}

function makeAjv(coerce: boolean) {
  const ajv = new Ajv.default({
    // Bodies are checked strictly (a number is not a string); path and query strings are coerced.
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats.default(ajv);
  return ajv;
}

/** Builds the Fastify app over a container (not listening). */
export async function buildApp(core: Container, options: AppOptions = {}): Promise<FastifyInstance> {
  const redactUrl = createUrlRedactor(core.redactions);
  const app = Fastify({
    // Request logs hide query-string secrets and every dialect's path secrets.
    loggerInstance: core.logger.child({}, { serializers: { req: requestSerializer(redactUrl) } }) as FastifyBaseLogger,
    // Most requests log nothing at the usual levels: their child logger is made only when needed.
    childLoggerFactory: lazyChildLogger as unknown as FastifyServerOptions['childLoggerFactory'],
    genReqId: () => `req-${ulid().toLowerCase()}`,
    // Dialects may canonicalise their own paths before routing (e.g. Green API method names in any case).
    rewriteUrl: (req) => {
      const url = req.url ?? '/';
      for (const dialect of core.dialects) {
        const rewritten = dialect.rewriteUrl?.(url);
        if (rewritten !== undefined) return rewritten;
      }
      return url;
    },
    requestIdHeader: false,
    bodyLimit: core.config.bodyLimitBytes,
    // A URL error on a dialect's path is answered in that dialect's error shape.
    frameworkErrors: (err, request, reply) => {
      for (const dialect of core.dialects) if (dialect.frameworkError?.(err, request, reply)) return;
      frameworkErrors(err, request, reply);
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Explicit limits (see the README): a slow or half-open client cannot hold a connection for long.
    connectionTimeout: 0,
    // The time to receive a request, not to answer it: a paced provider request held for its turn
    // (GROUPGATE_PACING_HOLD_SECONDS) is not cut by it.
    requestTimeout: core.config.requestTimeoutMs,
    keepAliveTimeout: core.config.keepAliveTimeoutMs,
    trustProxy: trustProxySetting(core.config),
    // Cluster mode: a node being stopped still answers what reaches it on open connections (its
    // sessions run until the server is closed), rather than 503 to requests of a rolling restart.
    return503OnClosing: !core.api.cluster.clustered,
  }).withTypeProvider<TypeBoxTypeProvider>();
  const server = app.server as unknown as HttpServer;
  server.headersTimeout = core.config.headersTimeoutMs;
  server.maxConnections = core.config.maxConnections;

  const bodyAjv = makeAjv(false);
  const otherAjv = makeAjv(true);
  for (const schema of sharedSchemas) {
    bodyAjv.addSchema(schema);
    otherAjv.addSchema(schema);
  }
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : otherAjv).compile(schema));
  for (const schema of sharedSchemas) app.addSchema(schema);

  // Every answer names its request (error envelopes carry the same id). Callback-style hooks: an
  // async hook costs a promise and a microtask on every request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  installErrorHandling(app);
  installMetrics(app as unknown as FastifyInstance, { services: core.api, metricsToken: core.config.metricsToken });
  closeReadsOnRevocation(app as unknown as FastifyInstance, core.api.access);
  await installForwarding(app as unknown as FastifyInstance, {
    cluster: core.api.cluster,
    exists: async (id) => (await core.instances.find(id)) !== undefined,
  });
  app.addHook('preValidation', checkInput);

  // Multipart bodies only where a route reads them (http/multipart.ts).
  for (const type of ['image/jpeg', 'image/png']) {
    app.addContentTypeParser(type, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'groupgate',
        version: '0.1.0',
        description:
          'Self-hosted WhatsApp group-management gateway. This document lists every API the server speaks: the native API under `/api` (Bearer or X-Api-Key: the admin key, an API key or an instance token), and the Green API (`/waInstance{idInstance}/...`), Z-API (`/instances/{id}/token/{token}/...`), 2Chat (`/open/whatsapp/...`) and Wappfy (`/wappfy/api/instances/{instanceId}/...`, tag `wappfy`: groups, participants, invite codes, the send endpoint and the webhook API in the Wappfy envelope `{success, data, meta}`; webhook bodies are `{event, instance_id, timestamp, data}` as groupgate chose them, signed per Standard Webhooks, as Wappfy publishes no delivery body or signature) dialects with their own credentials and error bodies. Every native error answers `{error: {code, message, details?}, requestId}`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } } },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) ?? `def-${i}` },
  });
  if (options.docs !== false) await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  await app.register(dashboardRoutes);
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const database = await core.database.ping();
    const engines = core.instances.ready();
    const ready = database && engines;
    const cluster = core.api.cluster;
    const node = cluster.clustered ? { node: cluster.nodeId, owned: cluster.owned().length } : {};
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', database, engines, ...node });
  });

  const services = core.api;
  await app.register(
    async (api) => {
      api.addHook('onRequest', requireKey(services.access, services.limiter));
      // Names the instance of /api/instances/:id/... for the cluster (a request needing its session
      // is answered by its node): a hook of those routes only, after the key check above.
      const nameInstance = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
        const id = (request.params as { id?: unknown } | undefined)?.id;
        if (typeof id === 'string') request.instanceId = id;
        done();
      };
      api.addHook('onRoute', (route) => {
        if (!route.url?.startsWith('/api/instances/:id')) return;
        const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
        if (!own.includes(nameInstance)) route.onRequest = [nameInstance, ...own] as typeof route.onRequest;
      });
      installIdempotency(api as unknown as FastifyInstance, {
        records: services.idempotency,
        now: services.now,
        retentionHours: core.config.idempotencyRetentionHours,
        holder: core.nodeId,
        crashPoint: core.crashPoint,
      });
      await api.register(instanceRoutes, services);
      await api.register(linkingRoutes, services);
      await api.register(keyRoutes, services);
      await api.register(groupRoutes, services);
      await api.register(participantRoutes, services);
      await api.register(operationRoutes, services);
      await api.register(pacingRoutes, services);
      await api.register(messageRoutes, services);
      await api.register(sandboxRoutes, services);
      await api.register(webhookRoutes, services);
      await api.register(eventStreamRoutes, services);
      for (const dialect of core.dialects) if (dialect.apiRoutes) await api.register(dialect.apiRoutes);
    },
    { prefix: '/api' },
  );
  for (const dialect of core.dialects) await app.register(dialect.routes);

  return app as unknown as FastifyInstance;
}
