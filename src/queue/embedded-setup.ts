/**
 * Builds the pacing and operations feature over the embedded queue: storage in the app database,
 * the runner in this process. The container calls this once and exposes its parts.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { EventLog } from '../core/events.js';
import type { GroupSync } from '../core/group-sync.js';
import type { GroupService } from '../core/groups.js';
import { shortId } from '../core/ids.js';
import type { InstanceService } from '../core/instances.js';
import type { IdempotencyRepository } from '../core/operations-model.js';
import { createOperationService, type OperationService } from '../core/operations.js';
import { createPacingService, type PacingService } from '../core/pacing.js';
import type { ParticipantService } from '../core/participants.js';
import { createIdempotencyRepository } from '../store/kysely/idempotency.js';
import { createOperationStorage, createPacingStateRepository } from '../store/kysely/operations.js';
import type { Store } from '../store/port.js';
import type { Database } from '../store/schema.js';
import { createEmbeddedQueue, realTimer } from './embedded.js';
import { crashPointFromEnv } from './embedded-crash.js';
import type { OperationQueue, Timer } from './port.js';

export interface OperationsFeature {
  pacing: PacingService;
  paced: OperationService;
  queue: OperationQueue;
  idempotency: IdempotencyRepository;
  /** Resumes operations and starts the runner and the idempotency pruning. */
  start(): Promise<void>;
  /** Drops an instance's operations and pacing state (the instance was deleted). */
  forgetInstance(instanceId: string): Promise<void>;
  stop(): Promise<void>;
}

export interface OperationsFeatureDeps {
  db: Kysely<Database>;
  store: Store;
  events: EventLog;
  instances: InstanceService;
  groups: GroupService;
  sync: GroupSync;
  participants: ParticipantService;
  logger: Logger;
  now: () => number;
  timer?: Timer;
  random?: () => number;
}

const PRUNE_EVERY_MS = 3_600_000;

/** Wires pacing, the embedded queue and the paced entry points. */
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
  const paced = createOperationService({ ...deps, queue, pacing });
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
      await states.delete(instanceId);
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
