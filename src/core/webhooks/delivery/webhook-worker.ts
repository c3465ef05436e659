/**
 * The delivery worker: reads the durable event log and delivers it to every enabled subscription,
 * one lane per (subscription, instance). A lane sends one event at a time, in seq order; a failing
 * event holds back its own lane only, and is retried with backoff until 24 h after its first
 * attempt, then dead-lettered. Cursors and attempts live in the database, so a restart resumes where
 * delivery stood (an attempt cut short by a crash is sent again: delivery is at least once).
 * The worker only creates lanes (`lane.ts`, each owning its state), routes committed events and
 * wakes to them, bounds the requests in flight and schedules sweeps.
 *
 * The API never waits for it: a committed event only wakes the lane.
 */
import type { Logger } from '../../ports/logger.js';
import type { EventLog } from '../../events/event-log.js';
import type { WebhookRepository } from '../../ports/webhook-repository.js';
import type { WebhookTransport } from '../../ports/webhook-transport.js';
import type { WebhookSubscription } from '../webhook-model.js';
import type { WebhookFormats } from '../webhook-formats.js';
import type { Store } from '../../ports/store.js';
import { Lane, type LaneDeps } from './lane.js';
import { OutboxWriter } from './lane-outbox.js';

export interface WorkerDeps {
  repo: WebhookRepository;
  store: Store;
  events: EventLog;
  /** The body of each event, per subscription format. */
  formats: WebhookFormats;
  /** Sends the signed messages. */
  transport: WebhookTransport;
  logger: Logger;
  now?: () => number;
  retryBaseMs: number;
  /** Deliveries in flight at once, over every lane. */
  concurrency?: number;
  random?: () => number;
  /** Longest sleep between two sweeps of every lane (a safety net for missed wake-ups). */
  sweepMs?: number;
  /**
   * Cluster mode: whether this node runs the instance (its session lease). Only owned instances'
   * lanes run; a lane picks up from its persisted cursor when its instance is acquired.
   */
  owns?: (instanceId: string) => boolean;
}

export interface WebhookWorker {
  start(): Promise<void>;
  /** Stops: aborts requests in flight (their attempt is not recorded) and waits for the lanes. */
  stop(): Promise<void>;
  /** Looks at every lane now (after a subscription changed, or a test moved the clock). */
  wake(): void;
  /** Resolves once no lane is working (a retry may still be scheduled). */
  idle(): Promise<void>;
  /**
   * Cluster mode, before an instance is handed over: its lanes start nothing new, and this resolves
   * once the deliveries in flight are recorded, so the next owner does not send them again.
   */
  release(instanceId: string): Promise<void>;
  /** Cluster mode, once an instance is acquired: its lanes run again (from their persisted cursors). */
  resume(instanceId: string): void;
}

/** Creates the worker; call `start()` once the database is open. */
export function createWebhookWorker(deps: WorkerDeps): WebhookWorker {
  const { repo, store, events, logger, transport } = deps;
  const now = deps.now ?? Date.now;
  const sweepMs = deps.sweepMs ?? 60_000;
  const concurrency = deps.concurrency ?? 16;
  const subs = new Map<string, WebhookSubscription>();
  const ownsInstance = deps.owns ?? (() => true);
  const releasing = new Set<string>();
  const runs = (instanceId: string) => ownsInstance(instanceId) && !releasing.has(instanceId);
  const lanes = new Map<string, Lane>();
  const inflight = new Set<Promise<void>>();
  const abort = new AbortController();
  let stopped = false;
  let started = false;
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let sweeping: Promise<void> | undefined;
  let sweepAgain = false;

  // A small semaphore: many lanes, a bounded number of sockets.
  let active = 0;
  const waiting: (() => void)[] = [];
  async function withSlot<T>(fn: () => Promise<T>): Promise<T> {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  }

  function scheduleAt(ms: number): void {
    if (stopped) return;
    const at = Math.min(ms, now() + sweepMs);
    if (at >= timerAt) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(
      () => {
        timer = undefined;
        timerAt = Infinity;
        sweep();
      },
      Math.max(0, at - now()),
    );
    timer.unref();
  }

  async function refresh(): Promise<void> {
    const list = await repo.listSubscriptions();
    subs.clear();
    for (const s of list) subs.set(s.id, s);
  }

  const covers = (s: WebhookSubscription, instanceId: string) => s.enabled && (s.instances === null || s.instances.includes(instanceId));

  /**
   * Reloads the subscriptions and kicks every lane; coalesces calls that arrive meanwhile. Every
   * lane reads its state again: a wake means a subscription, a cursor (replay) or a delivery
   * (manual retry) may have changed under it.
   */
  function sweep(): void {
    if (stopped) return;
    for (const lane of lanes.values()) lane.markStale();
    if (sweeping) {
      sweepAgain = true;
      return;
    }
    sweeping = (async () => {
      do {
        sweepAgain = false;
        try {
          await refresh();
          const instanceIds = (await store.instances.list()).map((i) => i.id);
          for (const [key, lane] of lanes) {
            const s = subs.get(lane.subscriptionId);
            if (!lane.busy && (!s || !covers(s, lane.instanceId) || !instanceIds.includes(lane.instanceId))) lanes.delete(key);
          }
          for (const s of subs.values()) {
            for (const id of s.instances ?? instanceIds) if (covers(s, id) && instanceIds.includes(id) && runs(id)) kick(s.id, id);
          }
        } catch (err) {
          if (!stopped) logger.error({ err }, 'webhook sweep failed');
        }
      } while (sweepAgain && !stopped);
      scheduleAt(now() + sweepMs);
    })().finally(() => {
      sweeping = undefined;
    });
    track(sweeping);
  }

  function track(p: Promise<void>): void {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }

  const laneDeps: LaneDeps = {
    repo,
    store,
    formats: deps.formats,
    logger,
    now,
    retryBaseMs: deps.retryBaseMs,
    random: deps.random,
    send: (sub, message) => withSlot(() => transport.send(sub, message, abort.signal)),
    prepare: (sub, message) => {
      const prepared = transport.prepare?.(sub, message);
      return {
        at: message.at,
        // A method rather than an arrow property: run through tsx (keepNames), an arrow would be renamed for every message.
        send() {
          return withSlot(() => (prepared ? prepared.send(abort.signal) : transport.send(sub, message, abort.signal)));
        },
      };
    },
    subscription: (id) => subs.get(id),
    stopped: () => stopped,
    scheduleAt,
    writer: new OutboxWriter(repo),
  };

  /** The lane of (subscription, instance); lanes outlive their runs so what they read stays warm. */
  function laneOf(subscriptionId: string, instanceId: string): Lane {
    const key = `${subscriptionId}\u0000${instanceId}`;
    let lane = lanes.get(key);
    if (!lane) {
      // A lane of an instance being handed over (or no longer owned) starts nothing new.
      lane = new Lane(subscriptionId, instanceId, deps.owns ? { ...laneDeps, paused: () => !runs(instanceId) } : laneDeps);
      lanes.set(key, lane);
    }
    return lane;
  }

  function kick(subscriptionId: string, instanceId: string): void {
    if (stopped) return;
    const run = laneOf(subscriptionId, instanceId).kick();
    if (run) track(run);
  }

  return {
    async start() {
      if (started) return;
      started = true;
      unsubscribe = events.subscribe((event) => {
        // A subscription for every instance also covers instances created after the last sweep.
        for (const s of subs.values()) {
          if (!covers(s, event.instanceId) || !runs(event.instanceId)) continue;
          laneOf(s.id, event.instanceId).hear(event);
          kick(s.id, event.instanceId);
        }
      });
      sweep();
      await sweeping;
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      if (timer) clearTimeout(timer);
      abort.abort();
      while (inflight.size) await Promise.allSettled([...inflight]);
    },
    wake: () => sweep(),
    async release(instanceId) {
      releasing.add(instanceId);
      const mine = () => [...lanes.values()].filter((l) => l.instanceId === instanceId);
      const until = now() + 10_000;
      while (mine().some((l) => l.busy) && now() < until) await new Promise((r) => setTimeout(r, 20));
      for (const lane of mine()) lane.markStale();
    },
    resume(instanceId) {
      releasing.delete(instanceId);
      for (const lane of lanes.values()) if (lane.instanceId === instanceId) lane.markStale();
      sweep();
    },
    async idle() {
      while (inflight.size) await Promise.allSettled([...inflight]);
    },
  };
}
