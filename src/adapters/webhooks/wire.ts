/**
 * Wires the webhook feature: repository, body formats (native plus the dialects' formats the
 * container hands in), HTTP transport, service, delivery worker and the retention job (which also
 * prunes idempotency records). The container calls this once and exposes the parts.
 */
import type { Logger } from 'pino';
import { webhookAllowPrivate, type Config } from '../../config.js';
import type { AccessService } from '../../core/access/access-service.js';
import type { EventLog } from '../../core/events/event-log.js';
import { createRetention, type RetentionService } from '../../core/retention/retention-service.js';
import { createWebhookService, type WebhookService } from '../../core/webhooks/webhook-service.js';
import { createWebhookFormats } from '../../core/webhooks/webhook-formats.js';
import type { DatabaseHandle } from '../store/db.js';
import { createWebhookRepository } from '../store/kysely/webhooks.js';
import type { IdempotencyRepository } from '../../core/ports/idempotency.js';
import type { Store } from '../../core/ports/store.js';
import type { WebhookBodyFormat } from '../../core/ports/webhook-format.js';
import { createWebhookTransport } from './webhook-sender.js';
import { createWebhookWorker, type WebhookWorker } from '../../core/webhooks/delivery/webhook-worker.js';

export interface WebhookFeature {
  webhooks: WebhookService;
  webhookWorker: WebhookWorker;
  retention: RetentionService;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Drops an instance's delivery state and provider subscriptions (the instance was deleted). */
  forgetInstance(instanceId: string): Promise<void>;
}

/** What the webhook feature is built on. */
export interface WebhookFeatureDeps {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  store: Store;
  events: EventLog;
  access: AccessService;
  /** Idempotency records, pruned by the retention job. */
  idempotency: IdempotencyRepository;
  /** The provider dialects' body formats (the native one is built in). */
  formats: WebhookBodyFormat[];
  now: () => number;
}

/** Builds the webhook feature over the open database. */
export function createWebhookFeature(deps: WebhookFeatureDeps): WebhookFeature {
  const { config, logger, database, store, events, access, idempotency, now } = deps;
  const repo = createWebhookRepository(database.db);
  const formats = createWebhookFormats(deps.formats);
  const allowPrivate = () => webhookAllowPrivate(config);
  const transport = createWebhookTransport({ allowPrivate, now });
  const webhooks = createWebhookService({ repo, store, access, allowPrivate, transport, now });
  const webhookWorker = createWebhookWorker({
    repo,
    store,
    events,
    formats,
    transport,
    logger: logger.child({ component: 'webhooks' }),
    now,
    retryBaseMs: config.webhookRetryBaseMs,
  });
  webhooks.onChange(() => webhookWorker.wake());
  const retention = createRetention({
    store,
    repo,
    settings: config,
    logger: logger.child({ component: 'retention' }),
    now,
    idempotency,
  });
  return {
    webhooks,
    webhookWorker,
    retention,
    forgetInstance: (instanceId) => repo.deleteInstance(instanceId),
    async start() {
      await webhookWorker.start();
      retention.start();
    },
    async stop() {
      await retention.stop();
      await webhookWorker.stop();
    },
  };
}
