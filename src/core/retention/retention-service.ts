/**
 * Retention, the one place that prunes on a timer: the event log and finished webhook deliveries
 * by age, idempotency records once expired (through the idempotency port), and whatever other
 * features add (`addPruner`). The event log is never pruned past what an enabled webhook subscription still has to
 * deliver: for each instance, nothing at or after the slowest lane's position goes.
 */
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import type { WebhookRepository } from '../ports/webhook-repository.js';
import type { IdempotencyRepository } from '../ports/idempotency.js';

export interface RetentionSettings {
  eventRetentionDays: number;
  deliveryRetentionDays: number;
}

/** A pruner gets the cutoff time (ms) of its own retention and answers how many records went. */
export type Pruner = (nowMs: number) => Promise<number>;

export interface RetentionService {
  /** Prunes once now; answers what went, per kind. */
  runOnce(): Promise<Record<string, number>>;
  /** Prunes every `intervalMs` (default hourly) until `stop()`. */
  start(intervalMs?: number): void;
  stop(): Promise<void>;
  /** Adds a pruner run on every pass (other features' tables). */
  addPruner(name: string, pruner: Pruner): void;
}

const DAY = 24 * 60 * 60 * 1000;

/** The lowest event seq each instance must keep for its webhook lanes (absent = no constraint). */
export async function eventFloors(repo: WebhookRepository, instanceIds: string[]): Promise<Map<string, number>> {
  const subs = (await repo.listSubscriptions()).filter((s) => s.enabled);
  const cursors = await repo.listCursors();
  const floors = new Map<string, number>();
  const lower = (instanceId: string, seq: number) => floors.set(instanceId, Math.min(floors.get(instanceId) ?? Infinity, seq));
  for (const sub of subs) {
    for (const instanceId of sub.instances ?? instanceIds) {
      if (!instanceIds.includes(instanceId)) continue;
      const c = cursors.find((x) => x.subscriptionId === sub.id && x.instanceId === instanceId);
      lower(instanceId, (c?.afterSeq ?? 0) + 1);
      // A pending delivery still needs its event to be sent.
      const head = await repo.firstPending(sub.id, instanceId);
      if (head?.eventSeq != null) lower(instanceId, head.eventSeq);
    }
  }
  return floors;
}

/** Creates the retention job. `idempotency` is optional: without it no idempotency record is pruned. */
export function createRetention(deps: {
  store: Store;
  repo: WebhookRepository;
  settings: RetentionSettings;
  logger: Logger;
  now?: () => number;
  idempotency?: Pick<IdempotencyRepository, 'prune'>;
}): RetentionService {
  const { store, repo, settings, logger } = deps;
  const now = deps.now ?? Date.now;
  const extra = new Map<string, Pruner>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function runOnce(): Promise<Record<string, number>> {
    const t = now();
    const out: Record<string, number> = { events: 0, deliveries: 0, idempotency: 0 };
    const instanceIds = (await store.instances.list()).map((i) => i.id);
    const eventCutoff = new Date(t - settings.eventRetentionDays * DAY).toISOString();
    const floors = await eventFloors(repo, instanceIds);
    for (const id of instanceIds) out.events! += await repo.pruneEvents(id, eventCutoff, floors.get(id) ?? Number.MAX_SAFE_INTEGER);
    out.deliveries = await repo.pruneDeliveries(new Date(t - settings.deliveryRetentionDays * DAY).toISOString());
    await repo.pruneOrphans(instanceIds, new Date(t).toISOString());
    // A record expires `idempotencyRetentionHours` after its request (set when claimed).
    if (deps.idempotency) out.idempotency = await deps.idempotency.prune(t);
    for (const [name, pruner] of extra) out[name] = await pruner(t);
    if (Object.values(out).some((n) => n > 0)) logger.info({ pruned: out }, 'retention pass');
    return out;
  }

  return {
    runOnce,
    start(intervalMs = 60 * 60 * 1000) {
      if (timer) return;
      const tick = () => {
        running ??= runOnce()
          .catch((err) => logger.error({ err }, 'retention pass failed'))
          .finally(() => {
            running = undefined;
          });
      };
      timer = setInterval(tick, intervalMs);
      timer.unref();
      tick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
    addPruner(name, pruner) {
      extra.set(name, pruner);
    },
  };
}
