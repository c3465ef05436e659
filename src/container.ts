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
import { engineEventHandlers } from './core/instances/engine-events.js';
import { createSandboxNetwork, type SandboxNetwork } from './adapters/engines/sandbox/emulator/index.js';
import { createKyselySandboxPersistence, createSharedSandboxPersistence } from './adapters/engines/sandbox/kysely-persistence.js';
import { createSandboxEngineFactory } from './adapters/engines/sandbox/sandbox-engine.js';
import { createBaileysEngineFactory } from './adapters/engines/baileys/baileys-engine.js';
import { createBaileysAuthRepository } from './adapters/engines/baileys/auth-repository.js';
import { openDatabase, type DatabaseHandle } from './adapters/store/db.js';
import { createKyselyStore } from './adapters/store/kysely/index.js';
import type { Kysely } from 'kysely';
import type { ApiServices } from './http/deps.js';
import type { UrlRedaction } from './http/redact.js';
import { createAuthFailureLimiter } from './http/auth.js';
import type { Dialect, DialectModule } from './dialects/kit/dialect.js';
import { greenApiDialect } from './dialects/green-api/index.js';
import { twoChatDialect } from './dialects/two-chat/index.js';
import { wappfyDialect } from './dialects/wappfy/index.js';
import { zapiDialect } from './dialects/z-api/index.js';
import { createStatsRepository } from './adapters/store/kysely/stats.js';
import type { StatsRepository } from './core/ports/monitoring.js';
import type { Store } from './core/ports/store.js';
import { webhookAllowPrivate } from './config.js';
import { shortId } from './core/common/ids.js';
import { createGroupCreation } from './core/groups/group-creation.js';
import { createOperationService } from './core/operations/operation-service.js';
import { createPacedService, type PacedService } from './core/operations/paced-service.js';
import { createPacingService, type PacingService } from './core/pacing/pacing-service.js';
import { createBulkAdd } from './core/participants/bulk-add.js';
import type { IdempotencyRepository } from './core/ports/idempotency.js';
import type { OperationQueue } from './core/ports/operation-queue.js';
import { createRetention, type RetentionService } from './core/retention/retention-service.js';
import { createWebhookWorker, type WebhookWorker } from './core/webhooks/delivery/webhook-worker.js';
import { createWebhookFormats } from './core/webhooks/webhook-formats.js';
import { createWebhookService, type WebhookService } from './core/webhooks/webhook-service.js';
import { crashPointFromEnv } from './adapters/queue/crash-points.js';
import { createEmbeddedQueue, realTimer } from './adapters/queue/embedded-queue.js';
import { createBullmqQueue } from './adapters/queue/bullmq-queue.js';
import { createIdempotencyRepository } from './adapters/store/kysely/idempotency.js';
import { createSecretBox, masterKey, resealSecrets } from './adapters/store/secret-box.js';
import { createOperationStorage, createPacingStateRepository } from './adapters/store/kysely/operations.js';
import { createWebhookRepository } from './adapters/store/kysely/webhooks.js';
import { createWebhookTransport } from './adapters/webhooks/webhook-sender.js';
import { httpMediaFetcher } from './adapters/webhooks/http-client.js';
import { createMediaService } from './core/media/media-service.js';
import { clustered as clusterMode } from './config.js';
import { singleNode, type ClusterBus, type SessionOwnership } from './core/ports/cluster.js';
import { createRedisAuthFailureLimiter, createRedisCluster, type RedisCluster } from './adapters/cluster/redis-cluster.js';
import { createGroupCache, noGroupCache } from './adapters/store/kysely/group-cache.js';
import { createInstanceCache, noInstanceCache } from './adapters/store/kysely/instance-cache.js';

export interface ContainerOptions {
  /** Injectable clock (ms) for tests. */
  now?: () => number;
  /** How a held paced request waits (tests with a manual clock advance it instead). */
  sleep?: (ms: number) => Promise<void>;
  /** PostgreSQL schema (tests use one each). */
  databaseSchema?: string;
  /** SQLite file override (`:memory:` allowed). */
  sqliteFile?: string;
  /**
   * Share the sandbox network with the other processes on the same PostgreSQL database (default:
   * on in cluster mode): mutations serialised cluster-wide, notices reach sinks on every node.
   * Ignored on SQLite.
   */
  sharedSandbox?: boolean;
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
  /** What routes may use: the services, never the store or the database. */
  api: ApiServices;
  /** The provider dialects, built over `api`. */
  dialects: Dialect[];
  /** Secrets the dialects carry in their paths, hidden from logged URLs. */
  redactions: UrlRedaction[];
  sandbox: SandboxNetwork;
  /** Monitoring counts (operations and webhook deliveries by status). */
  stats: StatsRepository;
  /** Pacing policies and state per instance. */
  pacing: PacingService;
  /** The one entry point for paced actions (createGroup, addParticipants) and the operations API. */
  paced: PacedService;
  /** The durable operation queue (tests drive it with `runDue`). */
  operationsQueue: OperationQueue;
  /** Idempotency-Key records of the native API. */
  idempotency: IdempotencyRepository;
  /** This process: the owner of its operation leases and idempotency leases. */
  nodeId: string;
  /** Test-only crash points (`GROUPGATE_TEST_CRASH_AT` under NODE_ENV=test); a no-op otherwise. */
  crashPoint: (name: string) => void;
  /** Webhook subscriptions and deliveries (`upsertProviderSubscription` for the dialects, `lag()` for metrics). */
  webhooks: WebhookService;
  /** The background webhook delivery worker. */
  webhookWorker: WebhookWorker;
  /** Retention of the event log, deliveries and idempotency records (`addPruner` for more). */
  retention: RetentionService;
  now: () => number;
  /** Admin key generated on this start (print once), if any. */
  generatedAdminKey?: string;
  /** Which node runs which instance's session, and the notice bus between nodes (one node: itself). */
  cluster: SessionOwnership & ClusterBus;
  /** Starts every stored instance (cluster mode: joins the cluster at `nodeUrl` and runs what it acquires). */
  start(options?: { nodeUrl?: string }): Promise<void>;
  /** Stops sessions and background work, then closes the database. */
  close(): Promise<void>;
  /** Hooks run at close, in reverse order (features register their background loops here). */
  onClose(fn: () => Promise<void> | void): void;
}

/** The provider dialects this server speaks: one line each. */
export function dialectModules(config: Config): DialectModule[] {
  return [greenApiDialect({ prefix: config.greenApiPrefix }), zapiDialect, twoChatDialect, wappfyDialect];
}

/** Builds everything from the configuration. */
export async function createContainer(config: Config, logger: Logger, options: ContainerOptions = {}): Promise<Container> {
  const now = options.now ?? Date.now;
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    schema: options.databaseSchema ?? config.databaseSchema,
    sqliteFile: options.sqliteFile,
  });
  // Secrets the server reads back are sealed under the master key; what an earlier key (or no key) sealed is sealed again now.
  const master = masterKey({ configured: config.masterKey, dataDir: config.dataDir });
  const box = createSecretBox(
    master.key,
    (config.masterKeyPrevious ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
  );
  const resealed = await resealSecrets(database.db, box);
  if (resealed > 0) logger.info({ resealed }, 'stored secrets sealed under the current master key');
  const modules = dialectModules(config);
  const tables = <T>() => database.db as unknown as Kysely<T>;
  const inCluster = clusterMode(config);
  const nodeId = config.nodeId ?? `node-${shortId('', 8)}`;
  // Cluster mode: no group read cache (other nodes' writes never pass through it).
  // Cluster mode reads through to PostgreSQL: other nodes' writes never pass through these caches.
  const store = createKyselyStore(
    database.db,
    inCluster ? { groups: noGroupCache(), instances: noInstanceCache() } : { groups: createGroupCache(), instances: createInstanceCache() },
  );
  // The node's URL is known once it listens: `start({ nodeUrl })` fills it in before joining.
  const nodeInfo = { nodeId, url: config.nodeUrl ?? '', startedAt: Date.now() };
  let redisCluster: RedisCluster | undefined;
  let cluster: SessionOwnership & ClusterBus = singleNode(nodeId);
  if (inCluster) {
    redisCluster = createRedisCluster({
      url: config.redisUrl!,
      prefix: config.redisPrefix,
      node: nodeInfo,
      listInstances: async () => (await store.instances.list()).map((i) => i.id),
      logger: logger.child({ component: 'cluster' }),
    });
    cluster = redisCluster;
  }
  const events = createEventLog({ store, now, ...(inCluster ? { bus: cluster, nodeId } : {}) });
  // Cluster mode: revocations reach every node through the bus, and a cached principal lives 1 s at most.
  const access = createAccessService({ store, ...(inCluster ? { bus: cluster, cacheTtlMs: 1000 } : {}) });
  const { generated } = await access.initAdminKey(config.adminKey);

  const sandbox = createSandboxNetwork({
    persistence:
      (options.sharedSandbox ?? clusterMode(config)) && database.kind === 'postgres' && config.databaseUrl
        ? createSharedSandboxPersistence(database.db, {
            connectionString: config.databaseUrl,
            onListenError: (err) => logger.warn({ err }, 'sandbox: LISTEN connection lost; retrying'),
          })
        : createKyselySandboxPersistence(database.db),
    now,
    groupCreateLimitPerHour: config.sandboxGroupCreateLimitPerHour,
    onSyncError: (err) => logger.warn({ err }, 'sandbox: catching up with other processes failed; retrying'),
  });
  await sandbox.load();
  const engines: Partial<Record<'sandbox' | 'baileys', EngineFactory>> = {
    sandbox: createSandboxEngineFactory(sandbox),
    baileys: createBaileysEngineFactory({
      auth: createBaileysAuthRepository(database.db, box),
      logger: logger.child({ component: 'baileys' }),
      knownGroupIds: (id) => store.groups.listIds(id),
    }),
  };

  const instances = createInstanceService({ store, events, access, engines, logger: logger.child({ component: 'instances' }), ownership: cluster });
  const sync = createGroupSync({ events, store });
  const messages = createMessageService({ instances, events });
  const engineEvents = engineEventHandlers({ sync, messages });
  instances.onEngineEvent(engineEvents.one, engineEvents.many);
  const groups = createGroupService({ store, instances, sync });
  const participants = createParticipantService({ instances, groups, sync, events });

  // Paced operations: stored in the app database; run in this process (embedded queue), or on the instance's owner (cluster mode).
  const operationStorage = createOperationStorage(database.db);
  const crashPoint = crashPointFromEnv();
  // Cluster mode: BullMQ schedules each step on the instance's owner (PostgreSQL rows stay the fence).
  const operationsQueue = inCluster
    ? createBullmqQueue({
        storage: operationStorage,
        redis: { url: config.redisUrl!, prefix: config.redisPrefix },
        ownership: cluster,
        now,
        logger: logger.child({ component: 'operations' }),
        crashPoint,
      })
    : createEmbeddedQueue({
        storage: operationStorage,
        now,
        timer: realTimer,
        logger: logger.child({ component: 'operations' }),
        owner: nodeId,
        crashPoint,
      });
  const pacing = createPacingService({ store, instances, states: createPacingStateRepository(database.db, inCluster ? 0 : 10_000), now });
  const operations = createOperationService({ queue: operationsQueue, store, events, instances, now, pacing });
  const hold = { pacingHoldMs: config.pacingHoldSeconds * 1000, sleep: options.sleep };
  const creation = createGroupCreation({ instances, groups, sync, events, pacing, queue: operationsQueue, operations, now, ...hold });
  const bulkAdd = createBulkAdd({ instances, groups, participants, pacing, queue: operationsQueue, operations, now, ...hold });
  const paced = createPacedService(operations, creation, bulkAdd);
  const idempotency = createIdempotencyRepository(database.db);

  // Webhooks: durable signed delivery from the event log, with the dialects' body formats.
  const webhookRepo = createWebhookRepository(database.db, box);
  const allowPrivate = () => webhookAllowPrivate(config);
  const transport = createWebhookTransport({ allowPrivate, now });
  const webhooks = createWebhookService({ repo: webhookRepo, store, access, allowPrivate, transport, now });
  const webhookWorker = createWebhookWorker({
    repo: webhookRepo,
    store,
    events,
    formats: createWebhookFormats(modules.flatMap((m) => (typeof m.webhookFormats === 'function' ? m.webhookFormats({ tables }) : (m.webhookFormats ?? [])))),
    transport,
    logger: logger.child({ component: 'webhooks' }),
    now,
    retryBaseMs: config.webhookRetryBaseMs,
    // Cluster mode: only the lanes of the instances this node runs, and a short sweep as a safety net.
    ...(inCluster ? { owns: (id: string) => cluster.owns(id), sweepMs: 5_000 } : {}),
  });
  if (inCluster) {
    // A subscription changed on any node wakes every node's worker.
    webhooks.onChange(() => cluster.publish('webhooks.changed', '1'));
    cluster.subscribe('webhooks.changed', () => webhookWorker.wake());
    cluster.onAcquired((id) => webhookWorker.resume(id));
    cluster.onLost((id) => webhookWorker.release(id));
  } else webhooks.onChange(() => webhookWorker.wake());
  const retention = createRetention({ store, repo: webhookRepo, settings: config, logger: logger.child({ component: 'retention' }), now, idempotency });

  // Deleting an instance drops every feature's rows for it.
  instances.onDeleted((id) => operationStorage.deleteInstance(id));
  instances.onDeleted((id) => pacing.forget(id));
  instances.onDeleted((id) => webhookRepo.deleteInstance(id));
  const stats = createStatsRepository(database.db);
  const closers: (() => Promise<void> | void)[] = [];
  const sharedLimiter = inCluster
    ? createRedisAuthFailureLimiter({ url: config.redisUrl!, prefix: config.redisPrefix, limit: config.authFailureLimitPerMinute, logger })
    : undefined;

  const api: ApiServices = {
    access,
    instances,
    groups,
    participants,
    messages,
    events,
    paced,
    pacing,
    webhooks,
    media: createMediaService({ fetcher: httpMediaFetcher, allowPrivate }),
    idempotency,
    stats,
    sandbox,
    limiter: sharedLimiter ?? createAuthFailureLimiter(config.authFailureLimitPerMinute),
    cluster,
    now,
  };
  const dialects = modules.map((module) => module.create({ services: api, tables }));
  for (const dialect of dialects) {
    if (dialect.forgetInstance) instances.onDeleted((id) => dialect.forgetInstance!(id));
  }
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
    api,
    dialects,
    redactions: modules.flatMap((m) => m.redactions),
    sandbox,
    stats,
    pacing,
    paced,
    operationsQueue,
    idempotency,
    nodeId,
    cluster,
    crashPoint,
    webhooks,
    webhookWorker,
    retention,
    now,
    generatedAdminKey: generated,
    start: async (startOptions = {}) => {
      await instances.startAll();
      // One node: whatever a previous process held is not in progress any more (as the queue takes over its operations).
      // A cluster: other nodes' records are theirs while they renew them; a lapsed one is taken over by its next retry.
      if (!inCluster) await idempotency.abandonOthers(nodeId);
      await paced.start();
      await webhookWorker.start();
      if (redisCluster) {
        if (startOptions.nodeUrl) nodeInfo.url = startOptions.nodeUrl;
        await redisCluster.start();
      }
      retention.start();
    },
    onClose: (fn) => closers.push(fn),
    async close() {
      for (const fn of closers.reverse()) await fn();
      await retention.stop();
      if (redisCluster) {
        // Running operations finish first; then every instance is handed over (its deliveries in
        // flight recorded, its session stopped, its lease released and announced).
        await paced.stop();
        await redisCluster.close();
        await webhookWorker.stop();
      } else {
        await webhookWorker.stop();
        await paced.stop();
      }
      await instances.stopAll();
      await sharedLimiter?.close();
      await sandbox.close();
      await database.close();
    },
  };
}
