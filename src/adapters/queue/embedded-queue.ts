/**
 * The embedded operation queue: operations live in the app database (`OperationStorage`) and run in
 * this process. Operations of one instance run one at a time (pacing is per instance); different
 * instances run side by side up to `concurrency`.
 *
 * One node (the default): on start it takes over every operation a previous process left running,
 * whatever its lease. Given a clustered `SessionOwnership`, it is safe beside other nodes: it runs
 * only operations of instances this node owns, takes over only operations whose lease lapsed (never
 * a live node's step in flight), and picks up an instance's due and orphaned operations when this
 * node acquires it.
 */
import type { Logger } from 'pino';
import type { SessionOwnership } from '../../core/ports/cluster.js';
import type { Operation } from '../../core/operations/operation-model.js';
import type { OperationQueue, OperationStorage, Timer } from '../../core/ports/operation-queue.js';
import { createStepRunner, storageReads } from './step-runner.js';

export interface EmbeddedQueueOptions {
  storage: OperationStorage;
  now: () => number;
  logger: Logger;
  /** Injectable timer; the default uses unref'd `setTimeout`, so a pending wake-up never holds the process open. */
  timer?: Timer;
  /** This runner's id in lease columns. */
  owner: string;
  leaseMs?: number;
  concurrency?: number;
  /** Longest sleep between two looks at the table (clock changes, another writer). */
  maxSleepMs?: number;
  /** Test-only: called at named points; the crash test makes it kill the process. */
  crashPoint?: (name: string) => void;
  /** Which instances this node runs. Only a `clustered` one changes anything: without it (or single-node) every operation is this node's. */
  ownership?: SessionOwnership;
}

export const realTimer: Timer = {
  set(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, Math.min(ms, 2_147_483_647)));
    handle.unref();
    return handle;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Creates the embedded queue over its storage. */
export function createEmbeddedQueue(options: EmbeddedQueueOptions): OperationQueue {
  const { storage, now, logger, owner } = options;
  const timer = options.timer ?? realTimer;
  const leaseMs = options.leaseMs ?? 60_000;
  const concurrency = options.concurrency ?? 4;
  const maxSleepMs = options.maxSleepMs ?? 60_000;
  const crashPoint = options.crashPoint ?? (() => {});
  const ownership = options.ownership?.clustered ? options.ownership : undefined;
  const steps = createStepRunner({ storage, now, logger, timer, owner, leaseMs, crashPoint });

  let running = false;
  let listening = false;
  let wakeHandle: unknown;
  let ticking: Promise<number> | undefined;
  let again = false;
  /** Instances with a step in flight (background or inline). */
  const busy = new Set<string>();
  const inFlight = new Set<Promise<unknown>>();

  /** The instances this node may run: undefined for all of them (one node). */
  const scope = (): readonly string[] | undefined => ownership?.owned();
  const mine = (op: Operation) => !ownership || ownership.owns(op.instanceId);

  /** Clustered: hands back as scheduled the operations of `instanceIds` whose runner's lease lapsed (a dead node's). */
  async function takeOverLapsed(instanceIds: readonly string[]): Promise<void> {
    const t = now();
    for (const op of await storage.orphans(t, instanceIds)) {
      if (!mine(op)) continue;
      if (await storage.release(op.id, Math.min(op.runAt, t), t, t))
        logger.info({ operationId: op.id, previousOwner: op.leaseOwner }, 'took over an operation whose runner lapsed');
    }
  }

  /** Claims and runs what is due, one step per instance at a time. */
  async function tick(): Promise<number> {
    let ran = 0;
    for (;;) {
      const owned = scope();
      // Clustered: an instance with a step under another runner's live lease waits for it (one step at a time per instance).
      const held = new Set<string>();
      if (owned) {
        await takeOverLapsed(owned);
        for (const op of await storage.orphans(undefined, owned)) if (!steps.runsHere(op.id)) held.add(op.instanceId);
      }
      const t = now();
      const due = (await storage.due(t, 50, owned)).filter((op) => !busy.has(op.instanceId) && !held.has(op.instanceId) && mine(op));
      const batch: Operation[] = [];
      for (const op of due) {
        if (batch.length + busy.size >= concurrency) break;
        if (batch.some((b) => b.instanceId === op.instanceId)) continue;
        const claimed = await steps.claim(op);
        if (claimed) batch.push(claimed);
      }
      if (batch.length === 0) return ran;
      await Promise.all(
        batch.map(async (op) => {
          busy.add(op.instanceId);
          try {
            await steps.execute(op);
          } finally {
            busy.delete(op.instanceId);
          }
        }),
      );
      ran += batch.length;
    }
  }

  function track<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => {});
    return p;
  }

  /** One tick at a time; a wake during a tick runs another right after it. */
  function kick(): Promise<number> {
    if (ticking) {
      again = true;
      return ticking;
    }
    ticking = track(
      (async () => {
        let total = 0;
        do {
          again = false;
          total += await tick();
        } while (again && running);
        return total;
      })(),
    ).finally(() => {
      ticking = undefined;
      if (running) void arm();
    });
    return ticking;
  }

  /** Sleeps until the earliest scheduled operation is due (clustered: or an owned instance's running lease lapses), at most `maxSleepMs`. */
  async function arm(): Promise<void> {
    if (!running) return;
    if (wakeHandle !== undefined) timer.clear(wakeHandle);
    wakeHandle = undefined;
    let next: number | undefined;
    try {
      const owned = scope();
      next = await storage.nextRunAt(owned);
      if (owned) {
        for (const op of await storage.orphans(undefined, owned)) {
          if (op.leaseUntil !== null && !steps.runsHere(op.id)) next = Math.min(next ?? Infinity, op.leaseUntil + 1);
        }
      }
    } catch (err) {
      logger.error({ err }, 'reading the operation queue failed');
    }
    if (!running) return;
    const delay = next === undefined ? maxSleepMs : Math.min(Math.max(0, next - now()), maxSleepMs);
    wakeHandle = timer.set(() => {
      wakeHandle = undefined;
      kick().catch((err) => logger.error({ err }, 'running due operations failed'));
    }, delay);
  }

  return {
    async enqueue(op) {
      const record = steps.newRecord(op, now());
      await storage.insert(record);
      if (running) this.wake();
      return record;
    },
    ...storageReads(storage, now),

    async runNow(op) {
      const t = now();
      // Stored already claimed: a runner looking at this instance meanwhile sees a live lease, not a due operation.
      const claimed = steps.claimedRecord(op, t);
      await storage.insert(claimed);
      busy.add(op.instanceId);
      try {
        return await track(steps.execute(claimed));
      } finally {
        busy.delete(op.instanceId);
      }
    },

    async start(h, settled) {
      steps.bind(h, settled);
      if (!ownership) {
        // A single embedded node owns everything: what a dead process left running starts again now.
        for (const op of await storage.orphans(undefined)) await storage.release(op.id, Math.min(op.runAt, now()), now());
        for (const op of await storage.unnotified(1000)) await steps.announce(op);
      } else {
        // Beside other nodes: only what this node owns, and only once its runner's lease lapsed.
        const owned = ownership.owned();
        await takeOverLapsed(owned);
        for (const op of await storage.unnotified(1000, owned)) await steps.announce(op);
        if (!listening) {
          listening = true;
          ownership.onAcquired(async (instanceId) => {
            if (!running) return;
            try {
              await takeOverLapsed([instanceId]);
              for (const op of await storage.unnotified(1000, [instanceId])) await steps.announce(op);
            } catch (err) {
              logger.error({ err, instanceId }, 'picking up operations of an acquired instance failed');
            }
            this.wake();
          });
        }
      }
      running = true;
      this.wake();
    },

    async stop() {
      running = false;
      if (wakeHandle !== undefined) timer.clear(wakeHandle);
      wakeHandle = undefined;
      await Promise.allSettled([...inFlight]);
    },

    wake() {
      if (!running) return;
      if (wakeHandle !== undefined) timer.clear(wakeHandle);
      wakeHandle = timer.set(() => {
        wakeHandle = undefined;
        kick().catch((err) => logger.error({ err }, 'running due operations failed'));
      }, 0);
    },

    async runDue() {
      let total = 0;
      for (;;) {
        if (ticking) await ticking.catch(() => 0);
        const n = await kick();
        total += n;
        if (n === 0 && !ticking) return total;
      }
    },
  };
}
