/**
 * Wappfy's webhook API under `/wappfy/api/webhooks`: subscribe (`url`, `events`, `instance_id`,
 * `secret`, `retry_count`, `timeout_ms`), list, read, update, delete. Each subscription is a core
 * provider subscription (provider `wappfy`, slot = its id): durable, retried, signed per Standard
 * Webhooks like every groupgate webhook. The dialect's row keeps what the core does not (Wappfy's
 * event names, retry_count, timeout_ms, description); the URL, secret and state are the core's.
 */
import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { WebhookView } from '../../core/webhooks/webhook-service.js';
import type { ApiServices } from '../../http/deps.js';
import { wappfyInstance } from './auth.js';
import { ok, wappfyError } from './errors.js';
import { Ok, wappfyErrors } from './schemas.js';
import { coreTypesOf, WAPPFY_EVENTS, WAPPFY_NOT_PRODUCED } from './wire-format.js';
import { newWappfyWebhookId, type WappfyWebhook, type WappfyWebhookRepository } from './webhook-repository.js';

/** What list and read answer in place of a stored secret: it is never shown again after creation. */
export const SECRET_MASK = '********';

/** Defaults where Wappfy's guide gives an example (3 retries, 10 s). */
const DEFAULT_RETRY_COUNT = 3;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The Standard Webhooks secret that signs with the client's secret as the HMAC key (its bytes, as
 * given): a receiver verifies with `new Webhook(secret, {format: 'raw'})`.
 */
export const standardSecret = (raw: string): string => `whsec_${Buffer.from(raw, 'latin1').toString('base64')}`;

const EventNames = Type.Array(Type.String({ minLength: 1, maxLength: 100, description: 'A Wappfy event name', examples: ['message.received'] }), {
  minItems: 1,
  maxItems: 20,
  description: `Events to receive: ${Object.keys(WAPPFY_EVENTS).join(', ')}`,
  examples: [['message.received', 'group.joined']],
});
const Url = Type.String({ minLength: 1, maxLength: 2000, description: 'Where the events are posted (http or https)', examples: ['https://your-server.com/webhooks/wappfy'] });
const Secret = Type.String({
  pattern: '^[\\x21-\\x7E]{16,64}$',
  description: "The HMAC key (16 to 64 printable ASCII characters, as given); verify with new Webhook(secret, {format: 'raw'})",
  examples: ['whsec_my_signing_secret'],
});
const RetryCount = Type.Integer({ minimum: 0, maximum: 5, description: 'Stored and answered back; deliveries follow groupgate’s retry policy (24 h)', examples: [3] });
const TimeoutMs = Type.Integer({ minimum: 1000, maximum: 30000, description: 'Stored and answered back; each delivery may take 10 s', examples: [10000] });
const Description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()], { description: 'A note of yours', examples: ['Order bot'] });
const InstanceId = Type.String({ minLength: 1, maxLength: 64, description: "The instance (groupgate's id)", examples: ['k3j9x0a2mq'] });
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'The webhook id', examples: ['a1b2c3d4-e5f6-4890-abcd-ef1234567890'] }) });

const WebhookId = Type.String({ description: 'The webhook id (a uuid)', examples: ['a1b2c3d4-e5f6-4890-abcd-ef1234567890'] });
const Time = (description: string) => Type.String({ description, examples: ['2026-02-10T12:00:00.000Z'] });

/** The subscription as the create example shows it. */
const Created = Type.Object(
  {
    id: WebhookId,
    url: Url,
    events: EventNames,
    instance_id: InstanceId,
    is_active: Type.Boolean({ description: 'Deliveries run', examples: [true] }),
    retry_count: RetryCount,
    timeout_ms: TimeoutMs,
    created_at: Time('When it was created'),
    secret: Type.Optional(Type.String({ description: 'groupgate extension: the generated secret, when none was given; shown this once', examples: ['Jx2v...'] })),
  },
  { description: 'The new subscription' },
);

/** The subscription as the list shows it. */
const Webhook = Type.Object(
  {
    id: WebhookId,
    user_id: Type.Union([Type.String(), Type.Null()], { description: 'The API key that created it (null: the configured admin key)', examples: ['key_8f2k1m'] }),
    url: Url,
    events: EventNames,
    retry_count: RetryCount,
    timeout_ms: TimeoutMs,
    is_active: Type.Boolean({ description: 'Deliveries run', examples: [true] }),
    created_at: Time('When it was created'),
    updated_at: Time('When it last changed'),
    secret: Type.String({ description: `Always "${SECRET_MASK}": a secret is never shown after creation (an admin reveals it once on the native API)`, examples: [SECRET_MASK] }),
    description: Description,
    instance_id: InstanceId,
    headers: Type.Record(Type.String(), Type.String(), { description: 'Custom delivery headers: none are sent ({})', examples: [{}] }),
  },
  { description: 'A webhook subscription' },
);

type Deps = Pick<ApiServices, 'access' | 'instances' | 'webhooks' | 'now'> & { hooks: WappfyWebhookRepository };

/** Wappfy's webhook routes. */
export const wappfyWebhookRoutes: FastifyPluginAsyncTypebox<Deps> = async (app, deps) => {
  const { access, webhooks, hooks, now } = deps;
  const tags = ['wappfy'];

  const created = (h: WappfyWebhook, sub: WebhookView) => ({
    id: h.id,
    url: sub.url,
    events: h.events,
    instance_id: h.instanceId,
    is_active: sub.enabled,
    retry_count: h.retryCount,
    timeout_ms: h.timeoutMs,
    created_at: h.createdAt,
  });
  const view = (h: WappfyWebhook, sub: WebhookView) => ({
    id: h.id,
    user_id: h.userId,
    url: sub.url,
    events: h.events,
    retry_count: h.retryCount,
    timeout_ms: h.timeoutMs,
    is_active: sub.enabled,
    created_at: h.createdAt,
    updated_at: h.updatedAt > sub.updatedAt ? h.updatedAt : sub.updatedAt,
    secret: SECRET_MASK,
    description: h.description,
    instance_id: h.instanceId,
    headers: {},
  });

  /**
   * The core subscription behind a row; null while a creation is between its two writes, or when an
   * admin deleted it on the native API: the row is then not shown (and never delivers).
   */
  const coreOf = (h: WappfyWebhook): Promise<WebhookView | null> => webhooks.providerSubscription(h.instanceId, 'wappfy', h.id);

  /** 400 naming the events that cannot be subscribed to, and the ones available. */
  function requireEvents(events: string[]): string[] {
    const wanted = [...new Set(events.map((e) => e.trim()))];
    const unproduced = wanted.filter((e) => WAPPFY_NOT_PRODUCED.includes(e));
    const unknown = wanted.filter((e) => !WAPPFY_EVENTS[e] && !WAPPFY_NOT_PRODUCED.includes(e));
    if (unproduced.length || unknown.length) {
      const why = [
        ...(unproduced.length ? [`groupgate does not produce ${unproduced.join(', ')}`] : []),
        ...(unknown.length ? [`unknown event ${unknown.map((e) => JSON.stringify(e.slice(0, 100))).join(', ')}`] : []),
      ];
      throw wappfyError(400, 'VALIDATION_ERROR', `${why.join('; ')}; events available: ${Object.keys(WAPPFY_EVENTS).join(', ')}`, {
        field: 'events',
        unsupported: [...unproduced, ...unknown],
        available: Object.keys(WAPPFY_EVENTS),
      });
    }
    return wanted;
  }

  /** The URL, trimmed; a blank one is refused (an empty URL would remove the core subscription). */
  function requireUrl(url: string): string {
    const trimmed = url.trim();
    if (!trimmed) throw wappfyError(400, 'VALIDATION_ERROR', 'url cannot be empty', { field: 'url' });
    return trimmed;
  }

  /** The subscription when the key may see its instance; 404 NOT_FOUND otherwise (no probing). */
  async function find(request: FastifyRequest, id: string): Promise<{ hook: WappfyWebhook; sub: WebhookView }> {
    const hook = await hooks.get(id);
    const sub = hook && access.canAccess(request.wappfyPrincipal!, hook.instanceId) ? await coreOf(hook) : null;
    if (!hook || !sub) throw wappfyError(404, 'NOT_FOUND', `Webhook with ID ${id.slice(0, 64)} not found`);
    return { hook, sub };
  }

  app.post(
    '/',
    {
      schema: {
        tags,
        summary: 'Create a webhook subscription for one instance',
        body: Type.Object({
          url: Url,
          events: EventNames,
          instance_id: InstanceId,
          secret: Type.Optional(Secret),
          retry_count: Type.Optional(RetryCount),
          timeout_ms: Type.Optional(TimeoutMs),
          description: Type.Optional(Description),
        }),
        response: { 201: Ok(Created), ...wappfyErrors(400, 401, 404, 422) },
      },
    },
    async (request, reply) => {
      const principal = request.wappfyPrincipal!;
      const instance = await wappfyInstance(deps, request, request.body.instance_id.trim());
      const events = requireEvents(request.body.events);
      const url = requireUrl(request.body.url);
      const generated = request.body.secret === undefined ? randomBytes(24).toString('base64url') : null;
      const at = new Date(now()).toISOString();
      const hook: WappfyWebhook = {
        id: newWappfyWebhookId(),
        instanceId: instance.id,
        events,
        retryCount: request.body.retry_count ?? DEFAULT_RETRY_COUNT,
        timeoutMs: request.body.timeout_ms ?? DEFAULT_TIMEOUT_MS,
        description: request.body.description ?? null,
        userId: principal.kind === 'instance' ? null : principal.keyId,
        createdAt: at,
        updatedAt: at,
      };
      // The row first: the core subscription's first delivery reads it. A refused URL or secret removes it again.
      await hooks.insert(hook);
      let sub: WebhookView | null;
      try {
        sub = await webhooks.upsertProviderSubscription(instance.id, 'wappfy', {
          url,
          slot: hook.id,
          events: coreTypesOf(events),
          secret: standardSecret(request.body.secret ?? generated!),
        });
      } catch (err) {
        await hooks.delete(hook.id);
        throw err;
      }
      if (!sub) {
        await hooks.delete(hook.id);
        throw wappfyError(400, 'VALIDATION_ERROR', 'url cannot be empty', { field: 'url' });
      }
      return reply.code(201).send(ok(request, now(), { ...created(hook, sub), ...(generated ? { secret: generated } : {}) }));
    },
  );

  app.get(
    '/',
    { schema: { tags, summary: "The webhook subscriptions of the key's instances", response: { 200: Ok(Type.Array(Webhook)), ...wappfyErrors(401) } } },
    async (request) => {
      const ids = access.visibleInstances(request.wappfyPrincipal!);
      const rows = await hooks.list(ids === null ? null : [...ids]);
      const out = [];
      for (const h of rows) {
        const sub = await coreOf(h);
        if (sub) out.push(view(h, sub));
      }
      return ok(request, now(), out);
    },
  );

  app.get('/:id', { schema: { tags, summary: 'One webhook subscription', params: IdParams, response: { 200: Ok(Webhook), ...wappfyErrors(400, 401, 404) } } }, async (request) => {
    const { hook, sub } = await find(request, request.params.id);
    return ok(request, now(), view(hook, sub));
  });

  app.patch(
    '/:id',
    {
      schema: {
        tags,
        summary: 'Update a webhook subscription (any of the create fields but instance_id, and is_active)',
        params: IdParams,
        body: Type.Object(
          {
            url: Type.Optional(Url),
            events: Type.Optional(EventNames),
            secret: Type.Optional(Secret),
            retry_count: Type.Optional(RetryCount),
            timeout_ms: Type.Optional(TimeoutMs),
            is_active: Type.Optional(Type.Boolean({ description: 'false pauses deliveries; true resumes them', examples: [false] })),
            description: Type.Optional(Description),
            instance_id: Type.Optional(Type.String({ maxLength: 64, description: 'Cannot change: only the current value is accepted', examples: ['k3j9x0a2mq'] })),
          },
          { minProperties: 1 },
        ),
        response: { 200: Ok(Webhook), ...wappfyErrors(400, 401, 404, 422) },
      },
    },
    async (request) => {
      const { hook, sub } = await find(request, request.params.id);
      const body = request.body;
      if (body.instance_id !== undefined && body.instance_id.trim() !== hook.instanceId) {
        throw wappfyError(400, 'VALIDATION_ERROR', 'instance_id cannot change: create a subscription for the other instance', { field: 'instance_id' });
      }
      const events = body.events === undefined ? hook.events : requireEvents(body.events);
      const next = await webhooks.upsertProviderSubscription(hook.instanceId, 'wappfy', {
        url: body.url === undefined ? sub.url : requireUrl(body.url),
        slot: hook.id,
        events: coreTypesOf(events),
        enabled: body.is_active ?? sub.enabled,
        ...(body.secret !== undefined ? { secret: standardSecret(body.secret) } : {}),
      });
      if (!next) throw wappfyError(400, 'VALIDATION_ERROR', 'url cannot be empty', { field: 'url' });
      const patch = {
        events,
        retryCount: body.retry_count ?? hook.retryCount,
        timeoutMs: body.timeout_ms ?? hook.timeoutMs,
        description: body.description === undefined ? hook.description : body.description,
        updatedAt: new Date(now()).toISOString(),
      };
      await hooks.update(hook.id, patch);
      return ok(request, now(), view({ ...hook, ...patch }, next));
    },
  );

  app.delete(
    '/:id',
    {
      schema: {
        tags,
        summary: 'Delete a webhook subscription: its deliveries stop',
        params: IdParams,
        response: {
          200: Ok(Type.Object({ id: WebhookId, deleted: Type.Literal(true, { description: 'Deleted', examples: [true] }) })),
          ...wappfyErrors(400, 401, 404),
        },
      },
    },
    async (request) => {
      const { hook } = await find(request, request.params.id);
      await webhooks.upsertProviderSubscription(hook.instanceId, 'wappfy', { url: null, slot: hook.id });
      await hooks.delete(hook.id);
      return ok(request, now(), { id: hook.id, deleted: true as const });
    },
  );
};
