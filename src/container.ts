/**
 * The composition root: opens the database, builds the engines and every core service, and wires
 * them together once. Nothing else creates services.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createAccessService, type AccessService } from './core/access/access-service.js';
import { createEventLog, type EventLog } from './core/events/event-log.js';
import { createGroupSync, type GroupSync } from './core/groups/group-sync.js';
import { createGroupService, type GroupService } from './core/groups/group-service.js';
import { createInstanceService, type InstanceService } from './core/instances/instance-service.js';
import { createMessageService, type MessageService } from './core/messages/message-service.js';
import { createParticipantService, type ParticipantService } from './core/participants/participant-service.js';
import type { EngineFactory } from './core/ports/engine.js';
import { createSandboxNetwork, type SandboxNetwork } from './adapters/engines/sandbox/emulator/index.js';
import { createKyselySandboxPersistence } from './adapters/engines/sandbox/kysely-persistence.js';
import { createSandboxEngineFactory } from './adapters/engines/sandbox/sandbox-engine.js';
import { createBaileysEngineFactory } from './adapters/engines/baileys/baileys-engine.js';
import { createBaileysAuthRepository } from './adapters/engines/baileys/auth-repository.js';
import { openDatabase, type DatabaseHandle } from './adapters/store/db.js';
import { createKyselyStore } from './adapters/store/kysely/index.js';
import { createTwoChatGroupRepository, type TwoChatGroupRepository } from './dialects/two-chat/group-handle-repository.js';
import { createGreenApiQueueRepository } from './dialects/green-api/queue-repository.js';
import type { GreenApiQueueRepository } from './dialects/green-api/tables.js';
import { createStatsRepository, type StatsRepository } from './adapters/store/kysely/stats.js';
import type { Store } from './core/ports/store.js';
import { createWebhookFeature, type WebhookFeature } from './adapters/webhooks/wire.js';
import { createOperationsFeature, type OperationsFeature } from './adapters/queue/embedded-setup.js';
import { greenApiWebhookFormat } from './dialects/green-api/wire-format.js';
import { zapiWebhookFormat } from './dialects/z-api/wire-format.js';

export interface ContainerOptions {
  /** Injectable clock (ms) for tests. */
  now?: () => number;
  /** PostgreSQL schema (tests use one each). */
  databaseSchema?: string;
  /** SQLite file override (`:memory:` allowed). */
  sqliteFile?: string;
}

export interface Container {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  store: Store;
  events: EventLog;
  access: AccessService;
  instances: InstanceService;
  sync: GroupSync;
  groups: GroupService;
  participants: ParticipantService;
  messages: MessageService;
  /** 2Chat's group handles (`WAG` + uuid) for the 2Chat dialect. */
  twoChatGroups: TwoChatGroupRepository;
  /** Green API notification queue state (deleted receipts) for the Green API dialect. */
  greenApiQueue: GreenApiQueueRepository;
  sandbox: SandboxNetwork;
  /** Monitoring counts (operations and webhook deliveries by status). */
  stats: StatsRepository;
  /** Pacing policies and state per instance. */
  pacing: OperationsFeature['pacing'];
  /** The one entry point for paced actions (createGroup, addParticipants) and the operations API. */
  paced: OperationsFeature['paced'];
  /** The durable operation queue (tests drive it with `runDue`). */
  operationsQueue: OperationsFeature['queue'];
  /** Idempotency-Key records of the native API. */
  idempotency: OperationsFeature['idempotency'];
  /** Webhook subscriptions and deliveries (`upsertProviderSubscription` for the dialects, `lag()` for metrics). */
  webhooks: WebhookFeature['webhooks'];
  /** The background webhook delivery worker. */
  webhookWorker: WebhookFeature['webhookWorker'];
  /** Retention of the event log, deliveries and idempotency records (`addPruner` for more). */
  retention: WebhookFeature['retention'];
  now: () => number;
  /** Admin key generated on this start (print once), if any. */
  generatedAdminKey?: string;
  /** Starts every stored instance. */
  start(): Promise<void>;
  /** Stops sessions and background work, then closes the database. */
  close(): Promise<void>;
  /** Hooks run at close, in reverse order (features register their background loops here). */
  onClose(fn: () => Promise<void> | void): void;
}

/** Builds everything from the configuration. */
export async function createContainer(config: Config, logger: Logger, options: ContainerOptions = {}): Promise<Container> {
  const now = options.now ?? Date.now;
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    schema: options.databaseSchema,
    sqliteFile: options.sqliteFile,
  });
  const store = createKyselyStore(database.db);
  const events = createEventLog({ store, now });
  const access = createAccessService({ store });
  const { generated } = await access.initAdminKey(config.adminKey);

  const sandbox = createSandboxNetwork({
    persistence: createKyselySandboxPersistence(database.db),
    now,
    groupCreateLimitPerHour: config.sandboxGroupCreateLimitPerHour,
  });
  await sandbox.load();
  const engines: Partial<Record<'sandbox' | 'baileys', EngineFactory>> = {
    sandbox: createSandboxEngineFactory(sandbox),
    baileys: createBaileysEngineFactory({ auth: createBaileysAuthRepository(database.db), logger: logger.child({ component: 'baileys' }), knownGroupIds: (id) => store.groups.listIds(id) }),
  };

  const instances = createInstanceService({ store, events, access, engines, logger: logger.child({ component: 'instances' }) });
  const sync = createGroupSync({ events, store });
  instances.onEngineEvent((instance, event) => sync.apply(instance, event));
  const groups = createGroupService({ store, instances, sync });
  const participants = createParticipantService({ instances, groups, sync, events });
  const messages = createMessageService({ instances, events });

  const twoChatGroups = createTwoChatGroupRepository(database.db, now);
  const greenApiQueue = createGreenApiQueueRepository(database.db);
  instances.onDeleted((id) => twoChatGroups.deleteAll(id));
  instances.onDeleted((id) => greenApiQueue.deleteAll(id));

  const closers: (() => Promise<void> | void)[] = [];
  const operations = createOperationsFeature({ db: database.db, store, events, instances, groups, sync, participants, logger, now });
  closers.push(() => operations.stop());
  const webhookFeature = createWebhookFeature({
    config,
    logger,
    database,
    store,
    events,
    access,
    idempotency: operations.idempotency,
    formats: [greenApiWebhookFormat, zapiWebhookFormat],
    now,
  });
  closers.push(() => webhookFeature.stop());
  instances.onDeleted((id) => operations.forgetInstance(id));
  instances.onDeleted((id) => webhookFeature.forgetInstance(id));
  return {
    config,
    logger,
    database,
    store,
    events,
    access,
    instances,
    sync,
    groups,
    participants,
    messages,
    twoChatGroups,
    greenApiQueue,
    sandbox,
    stats: createStatsRepository(database.db),
    pacing: operations.pacing,
    paced: operations.paced,
    operationsQueue: operations.queue,
    idempotency: operations.idempotency,
    webhooks: webhookFeature.webhooks,
    webhookWorker: webhookFeature.webhookWorker,
    retention: webhookFeature.retention,
    now,
    generatedAdminKey: generated,
    start: async () => {
      await instances.startAll();
      await operations.start();
      await webhookFeature.start();
    },
    onClose: (fn) => closers.push(fn),
    async close() {
      for (const fn of closers.reverse()) await fn();
      await instances.stopAll();
      await database.close();
    },
  };
}
