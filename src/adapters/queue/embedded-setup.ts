/**
 * Builds the pacing and operations feature over the embedded queue: storage in the app database,
 * the runner in this process. The container calls this once and exposes its parts.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { shortId } from '../../core/common/ids.js';
import type { IdempotencyRepository } from '../../core/ports/idempotency.js';
import { createOperationService, type OperationService, type OperationServiceDeps } from '../../core/operations/operation-service.js';
import { createPacingService, type PacingService } from '../../core/pacing/pacing-service.js';
import { createIdempotencyRepository } from '../store/kysely/idempotency.js';
import { createOperationStorage, createPacingStateRepository } from '../store/kysely/operations.js';
import type { Database } from '../store/schema.js';
import { createEmbeddedQueue, realTimer } from './embedded-queue.js';
import { crashPointFromEnv } from './crash-points.js';
import type { OperationQueue, Timer } from '../../core/ports/operation-queue.js';

export interface OperationsFeature {
  pacing: PacingService;
  paced: OperationService;
  queue: OperationQueue;
  idempotency: IdempotencyRepository;
  /** Resumes operations and starts the runner. */
  start(): Promise<void>;
  /** Drops an instance's operations and pacing state (the instance was deleted). */
  forgetInstance(instanceId: string): Promise<void>;
  stop(): Promise<void>;
}

/** The core services the feature builds on (pacing and the queue it makes itself), plus its adapters. */
export interface OperationsFeatureDeps extends Omit<OperationServiceDeps, 'queue' | 'pacing'> {
  db: Kysely<Database>;
  logger: Logger;
  timer?: Timer;
  random?: () => number;
}

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
    },
    async stop() {
      await paced.stop();
    },
  };
}
