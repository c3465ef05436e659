import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DELIVERY_STATUSES } from '../../core/webhooks/webhook-model.js';
import { WEBHOOK_FORMATS } from '../../core/webhooks/webhook-rules.js';
import { principalOf } from '../auth.js';
import type { ApiServices } from '../deps.js';
import { errorResponses, Nullable } from './schemas.js';

const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'Where to POST (http or https)', examples: ['https://bot.example.com/hooks/groupgate'] });
const Instances = Nullable(
  Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
    minItems: 1,
    maxItems: 1000,
    description: 'Instances whose events are sent; default all the key may see; null = every instance (admin keys only)',
    examples: [['k3j9x0a2mq']],
  }),
);
const Events = Nullable(
  Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
    minItems: 1,
    maxItems: 100,
    description: 'Event types or prefixes such as "group.*"; null or absent = every event',
    examples: [['group.*', 'instance.status']],
  }),
);
const Format = Type.Union(
  WEBHOOK_FORMATS.map((f) => Type.Literal(f)),
  { description: 'Body shape: native (the event as in the log), green-api or z-api webhook bodies', examples: ['native'] },
);

const WebhookView = Type.Object({
  id: Type.String({ description: 'Subscription id', examples: ['wh_a8d9s0f1k2l3'] }),
  url: Type.String({ description: 'Receiver URL', examples: ['https://bot.example.com/hooks/groupgate'] }),
  instances: Nullable(Type.Array(Type.String(), { description: 'Instances covered; null = every instance', examples: [['k3j9x0a2mq']] })),
  events: Nullable(Type.Array(Type.String(), { description: 'Event filters; null = every event', examples: [['group.*']] })),
  format: Format,
  enabled: Type.Boolean({ description: 'Whether deliveries are being made', examples: [true] }),
  managedBy: Nullable(Type.String({ description: 'The provider dialect whose webhook settings manage it (green-api, z-api), or null', examples: [null] })),
  createdAt: Type.String({ description: 'Creation time', examples: ['2026-11-22T10:00:00.000Z'] }),
  updatedAt: Type.String({ description: 'Last change', examples: ['2026-11-22T10:00:00.000Z'] }),
});
const WebhookWithSecret = Type.Intersect([
  WebhookView,
  Type.Object({ secret: Type.String({ description: 'Standard Webhooks signing secret: shown once here, store it now', examples: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] }) }),
]);
const Delivery = Type.Object({
  id: Type.String({ description: 'Delivery id', examples: ['01JD2Z5W4V3Q8X9Y7T6R5P4N3M'] }),
  subscriptionId: Type.String({ description: 'Subscription', examples: ['wh_a8d9s0f1k2l3'] }),
  instanceId: Nullable(Type.String({ description: 'Instance (null for a test ping)', examples: ['k3j9x0a2mq'] })),
  eventId: Type.String({ description: 'Event id, sent as webhook-id', examples: ['01JD2Z5W4V3Q8X9Y7T6R5P4N3M'] }),
  eventSeq: Nullable(Type.Integer({ description: "Event's seq in its instance's log", examples: [42] })),
  eventType: Type.String({ description: 'Event type', examples: ['group.participants.added'] }),
  status: Type.Union(
    DELIVERY_STATUSES.map((s) => Type.Literal(s)),
    { description: 'pending (being tried), delivered, failed (dead letter), skipped (no shape in the format), cancelled (replaced by a replay)', examples: ['delivered'] },
  ),
  attempts: Type.Integer({ description: 'Attempts made', examples: [1] }),
  lastStatusCode: Nullable(Type.Integer({ description: "The receiver's last HTTP status", examples: [200] })),
  lastError: Nullable(Type.String({ description: 'Why the last attempt failed', examples: ['answered 500'] })),
  firstAttemptAt: Nullable(Type.String({ description: 'First attempt', examples: ['2026-11-22T10:00:00.000Z'] })),
  lastAttemptAt: Nullable(Type.String({ description: 'Last attempt', examples: ['2026-11-22T10:00:01.000Z'] })),
  nextAttemptAt: Nullable(Type.String({ description: 'Next attempt, while pending', examples: ['2026-11-22T10:00:02.000Z'] })),
  createdAt: Type.String({ description: 'When the event was queued for this subscription', examples: ['2026-11-22T10:00:00.000Z'] }),
});
const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'Subscription id', examples: ['wh_a8d9s0f1k2l3'] }) });
const DeliveryParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, description: 'Subscription id', examples: ['wh_a8d9s0f1k2l3'] }),
  deliveryId: Type.String({ minLength: 1, maxLength: 64, description: 'Delivery id', examples: ['01JD2Z5W4V3Q8X9Y7T6R5P4N3M'] }),
});

/** Webhook subscriptions and their deliveries. A key sees the subscriptions whose instances it may all see. */
export const webhookRoutes: FastifyPluginAsyncTypebox<Pick<ApiServices, 'webhooks'>> = async (app, { webhooks }) => {
  app.post(
    '/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Subscribe a URL to events; the signing secret is shown once',
        body: Type.Object(
          {
            url: Url,
            instances: Type.Optional(Instances),
            events: Type.Optional(Events),
            format: Type.Optional(Format),
            secret: Type.Optional(
              Type.String({
                minLength: 10,
                maxLength: 200,
                description: 'A Standard Webhooks secret (whsec_ + base64); generated when absent',
                examples: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
              }),
            ),
            enabled: Type.Optional(Type.Boolean({ description: 'Default true', examples: [true] })),
          },
          { additionalProperties: false },
        ),
        response: { 201: WebhookWithSecret, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => reply.code(201).send(await webhooks.create(principalOf(request), request.body)),
  );

  app.get(
    '/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'List subscriptions (never their secrets)',
        response: { 200: Type.Object({ webhooks: Type.Array(WebhookView, { description: 'Subscriptions this key may see' }) }), ...errorResponses(401) },
      },
    },
    async (request) => ({ webhooks: await webhooks.list(principalOf(request)) }),
  );

  app.get(
    '/webhooks/:id',
    { schema: { tags: ['webhooks'], summary: 'Read a subscription', params: IdParam, response: { 200: WebhookView, ...errorResponses(401, 404) } } },
    async (request) => webhooks.get(principalOf(request), request.params.id),
  );

  app.patch(
    '/webhooks/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Change a subscription (the secret is replaced by POST /api/webhooks/{id}/secret/rotate)',
        params: IdParam,
        body: Type.Object(
          {
            url: Type.Optional(Url),
            instances: Type.Optional(Instances),
            events: Type.Optional(Events),
            format: Type.Optional(Format),
            enabled: Type.Optional(Type.Boolean({ description: 'Pause (false) or resume (true) deliveries', examples: [false] })),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: WebhookView, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => webhooks.update(principalOf(request), request.params.id, request.body),
  );

  app.delete(
    '/webhooks/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Delete a subscription with its delivery history',
        params: IdParam,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await webhooks.delete(principalOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/webhooks/:id/secret/reveal',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Show the signing secret once (admin key only); 409 secret_already_revealed afterwards: rotate instead',
        params: IdParam,
        response: { 200: WebhookWithSecret, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request) => webhooks.revealSecret(principalOf(request), request.params.id),
  );

  app.post(
    '/webhooks/:id/secret/rotate',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Replace the signing secret (admin key only); the new one is shown this once',
        params: IdParam,
        response: { 200: WebhookWithSecret, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => webhooks.rotateSecret(principalOf(request), request.params.id),
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Delivery history, newest first',
        params: IdParam,
        querystring: Type.Object({
          status: Type.Optional(
            Type.Union(
              DELIVERY_STATUSES.map((s) => Type.Literal(s)),
              { description: 'Only this status', examples: ['failed'] },
            ),
          ),
          instanceId: Type.Optional(Type.String({ maxLength: 64, description: 'Only this instance', examples: ['k3j9x0a2mq'] })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'Page size', examples: [100] })),
          before: Type.Optional(Type.String({ maxLength: 64, description: 'Delivery id to page from (older ones follow)', examples: ['01JD2Z5W4V3Q8X9Y7T6R5P4N3M'] })),
        }),
        response: { 200: Type.Object({ deliveries: Type.Array(Delivery, { description: 'Deliveries, newest first' }) }), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const { status, instanceId, limit, before } = request.query;
      return { deliveries: await webhooks.deliveries(principalOf(request), request.params.id, { status, instanceId, before, limit: limit ?? 100 }) };
    },
  );

  app.post(
    '/webhooks/:id/deliveries/:deliveryId/retry',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Send a delivery again now (before later events of its instance)',
        params: DeliveryParams,
        response: { 202: Delivery, ...errorResponses(401, 404, 409) },
      },
    },
    async (request, reply) => reply.code(202).send(await webhooks.retry(principalOf(request), request.params.id, request.params.deliveryId)),
  );

  app.post(
    '/webhooks/:id/replay',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Deliver again every event from an event id or a time (pending deliveries are cancelled)',
        params: IdParam,
        body: Type.Object(
          { from: Type.String({ minLength: 1, maxLength: 64, description: 'An event id, or an ISO-8601 time', examples: ['2026-11-22T10:00:00.000Z'] }) },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            instances: Type.Array(
              Type.Object({
                instanceId: Type.String({ description: 'Instance', examples: ['k3j9x0a2mq'] }),
                fromSeq: Type.Integer({ description: 'First seq delivered again', examples: [17] }),
              }),
              { description: 'Where each instance restarts' },
            ),
            cancelled: Type.Integer({ description: 'Pending deliveries cancelled (they are part of the replay)', examples: [0] }),
          }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request, reply) => reply.code(202).send(await webhooks.replay(principalOf(request), request.params.id, request.body.from)),
  );

  app.post(
    '/webhooks/:id/test',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Send a signed webhook.test message now and report the answer',
        params: IdParam,
        response: {
          200: Type.Object({
            ok: Type.Boolean({ description: 'The receiver answered 2xx', examples: [true] }),
            statusCode: Nullable(Type.Integer({ description: "The receiver's status", examples: [200] })),
            error: Nullable(Type.String({ description: 'Why it failed', examples: [null] })),
            durationMs: Type.Integer({ description: 'Round trip', examples: [35] }),
            deliveryId: Type.String({ description: 'The recorded delivery', examples: ['01JD2Z5W4V3Q8X9Y7T6R5P4N3M'] }),
          }),
          ...errorResponses(401, 404, 409),
        },
      },
    },
    async (request) => webhooks.test(principalOf(request), request.params.id),
  );

  app.get(
    '/webhooks/:id/lag',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Events not yet delivered, per instance',
        params: IdParam,
        response: {
          200: Type.Object({
            lanes: Type.Array(
              Type.Object({
                instanceId: Type.String({ description: 'Instance', examples: ['k3j9x0a2mq'] }),
                lag: Type.Integer({ description: 'Events of its log not yet delivered', examples: [0] }),
              }),
              { description: 'One entry per instance the subscription covers' },
            ),
          }),
          ...errorResponses(401, 404),
        },
      },
    },
    async (request) => ({ lanes: (await webhooks.lagOf(principalOf(request), request.params.id)).map(({ instanceId, lag }) => ({ instanceId, lag })) }),
  );
};
