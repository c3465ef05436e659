/**
 * Builds the pacing and operations feature over the embedded queue: storage in the app database,
 * the runner in this process. The container calls this once and exposes its parts.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { shortId } from '../../core/common/ids.js';
import type { IdempotencyRepository } from '../../core/ports/idempotency.js';
import type { EventLog } from '../../core/events/event-log.js';
import { createGroupCreation, type GroupCreation } from '../../core/groups/group-creation.js';
import type { GroupService } from '../../core/groups/group-service.js';
import type { GroupSync } from '../../core/groups/group-sync.js';
import type { InstanceService } from '../../core/instances/instance-service.js';
import { createOperationService, type OperationService } from '../../core/operations/operation-service.js';
import { createPacingService, type PacingService } from '../../core/pacing/pacing-service.js';
import { createBulkAdd, type BulkAdd } from '../../core/participants/bulk-add.js';
import type { ParticipantService } from '../../core/participants/participant-service.js';
import type { Store } from '../../core/ports/store.js';
import { createIdempotencyRepository } from '../store/kysely/idempotency.js';
import { createOperationStorage, createPacingStateRepository } from '../store/kysely/operations.js';
import type { Database } from '../store/schema.js';
import { createEmbeddedQueue, realTimer } from './embedded-queue.js';
import { crashPointFromEnv } from './crash-points.js';
import type { OperationQueue, Timer } from '../../core/ports/operation-queue.js';

/** The operations API plus the paced entry points: the one way to create groups and add people. */
export type PacedService = OperationService & Pick<GroupCreation, 'createGroup'> & Pick<BulkAdd, 'addParticipants'>;

export interface OperationsFeature {
  pacing: PacingService;
  paced: PacedService;
  queue: OperationQueue;
  idempotency: IdempotencyRepository;
  /** Resumes operations and starts the runner and the idempotency pruning. */
  start(): Promise<void>;
  /** Drops an instance's operations and pacing state (the instance was deleted). */
  forgetInstance(instanceId: string): Promise<void>;
  stop(): Promise<void>;
}

/** The core services the feature builds on (pacing and the queue it makes itself), plus its adapters. */
export interface OperationsFeatureDeps {
  store: Store;
  events: EventLog;
  instances: InstanceService;
  groups: GroupService;
  sync: GroupSync;
  participants: ParticipantService;
  now: () => number;
  db: Kysely<Database>;
  logger: Logger;
  timer?: Timer;
  random?: () => number;
}

const PRUNE_EVERY_MS = 3_600_000;

/** Wires pacing, the embedded queue, the operations service and the kinds it runs (group creation, bulk adds). */
export function createOperationsFeature(deps: OperationsFeatureDeps): OperationsFeature {
  const { db, now, logger } = deps;
  const timer = deps.timer ?? realTimer;
  const storage = createOperationStorage(db);
  const states = createPacingStateRepository(db);
  const queue = createEmbeddedQueue({
    storage,
    now,
    timer,
    logger: logger.child({ component: 'operations' }),
    owner: `node-${shortId('', 8)}`,
    crashPoint: crashPointFromEnv(),
  });
  const pacing = createPacingService({ store: deps.store, instances: deps.instances, states, now, random: deps.random });
  const operations = createOperationService({ ...deps, queue });
  const creation = createGroupCreation({ ...deps, queue, pacing, operations });
  const bulkAdd = createBulkAdd({ ...deps, queue, pacing, operations });
  const paced: PacedService = { ...operations, createGroup: creation.createGroup, addParticipants: bulkAdd.addParticipants };
  const idempotency = createIdempotencyRepository(db);
  let pruneHandle: unknown;
  const prune = () => {
    idempotency.prune(now()).catch((err) => logger.warn({ err }, 'pruning idempotency keys failed'));
    pruneHandle = timer.set(prune, PRUNE_EVERY_MS);
  };
  return {
    pacing,
    paced,
    queue,
    idempotency,
    async forgetInstance(instanceId) {
      await storage.deleteInstance(instanceId);
      await pacing.forget(instanceId);
    },
    async start() {
      await paced.start();
      prune();
    },
    async stop() {
      if (pruneHandle !== undefined) timer.clear(pruneHandle);
      pruneHandle = undefined;
      await paced.stop();
    },
  };
}
