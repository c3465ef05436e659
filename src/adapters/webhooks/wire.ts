/**
 * Wires the webhook feature: repository, service, sender, delivery worker and retention job.
 * The container calls this once and exposes the parts.
 */
import type { Logger } from 'pino';
import { webhookAllowPrivate, type Config } from '../../config.js';
import type { AccessService } from '../../core/access/access-service.js';
import type { EventLog } from '../../core/events/event-log.js';
import { createRetention, type RetentionService } from '../../core/retention/retention-service.js';
import { createWebhookService, type WebhookService } from '../../core/webhooks/webhook-service.js';
import type { DatabaseHandle } from '../store/db.js';
import { createWebhookRepository } from '../store/kysely/webhooks.js';
import { createIdempotencyPruner } from '../store/kysely/webhooks-retention.js';
import type { Store } from '../../core/ports/store.js';
import { createWebhookSender } from './webhook-sender.js';
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

/** Builds the webhook feature over the open database. */
export function createWebhookFeature(deps: { config: Config; logger: Logger; database: DatabaseHandle; store: Store; events: EventLog; access: AccessService; now: () => number }): WebhookFeature {
  const { config, logger, database, store, events, access, now } = deps;
  const repo = createWebhookRepository(database.db);
  const allowPrivate = () => webhookAllowPrivate(config);
  const sender = createWebhookSender({ allowPrivate, now });
  const webhooks = createWebhookService({ repo, store, access, allowPrivate, sender, now });
  const webhookWorker = createWebhookWorker({
    repo,
    store,
    events,
    send: sender.sendWith,
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
    pruneIdempotency: createIdempotencyPruner(database.db),
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
