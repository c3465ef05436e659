/**
 * The delivery worker: reads the durable event log and delivers it to every enabled subscription,
 * one lane per (subscription, instance). A lane sends one event at a time, in seq order; a failing
 * event holds back its own lane only, and is retried with backoff until 24 h after its first
 * attempt, then dead-lettered. Cursors and attempts live in the database, so a restart resumes where
 * delivery stood (an attempt cut short by a crash is sent again: delivery is at least once).
 *
 * The API never waits for it: a committed event only wakes the lane.
 */
import type { Logger } from 'pino';
import type { EventLog } from '../core/events.js';
import { ulid } from '../core/ids.js';
import type { EventRecord } from '../core/model.js';
import type { SendResult } from '../core/webhooks-deliveries.js';
import type { WebhookDelivery, WebhookRepository, WebhookSubscription } from '../core/webhooks-model.js';
import { afterFailure, matchesEventFilters } from '../core/webhooks-rules.js';
import type { Store } from '../store/port.js';
import { formatBody } from './formats.js';

export interface WorkerDeps {
  repo: WebhookRepository;
  store: Store;
  events: EventLog;
  send: (sub: WebhookSubscription, message: { id: string; body: unknown; at: number }, signal?: AbortSignal) => Promise<SendResult>;
  logger: Logger;
  now?: () => number;
  retryBaseMs: number;
  /** Deliveries in flight at once, over every lane. */
  concurrency?: number;
  random?: () => number;
  /** Longest sleep between two sweeps of every lane (a safety net for missed wake-ups). */
  sweepMs?: number;
}

export interface WebhookWorker {
  start(): Promise<void>;
  /** Stops: aborts requests in flight (their attempt is not recorded) and waits for the lanes. */
  stop(): Promise<void>;
  /** Looks at every lane now (after a subscription changed, or a test moved the clock). */
  wake(): void;
  /** Resolves once no lane is working (a retry may still be scheduled). */
  idle(): Promise<void>;
}

interface Lane {
  running: boolean;
  again: boolean;
}

/** Creates the worker; call `start()` once the database is open. */
export function createWebhookWorker(deps: WorkerDeps): WebhookWorker {
  const { repo, store, events, logger } = deps;
  const now = deps.now ?? Date.now;
  const iso = (ms: number) => new Date(ms).toISOString();
  const sweepMs = deps.sweepMs ?? 60_000;
  const concurrency = deps.concurrency ?? 16;
  const subs = new Map<string, WebhookSubscription>();
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
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Infinity;
      sweep();
    }, Math.max(0, at - now()));
    timer.unref();
  }

  async function refresh(): Promise<void> {
    const list = await repo.listSubscriptions();
    subs.clear();
    for (const s of list) subs.set(s.id, s);
  }

  const covers = (s: WebhookSubscription, instanceId: string) => s.enabled && (s.instances === null || s.instances.includes(instanceId));

  /** Reloads the subscriptions and kicks every lane; coalesces calls that arrive meanwhile. */
  function sweep(): void {
    if (stopped) return;
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
          for (const s of subs.values()) {
            for (const id of s.instances ?? instanceIds) if (covers(s, id) && instanceIds.includes(id)) kick(s.id, id);
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

  function kick(subscriptionId: string, instanceId: string): void {
    if (stopped) return;
    const key = `${subscriptionId}\u0000${instanceId}`;
    let lane = lanes.get(key);
    if (!lane) {
      lane = { running: false, again: false };
      lanes.set(key, lane);
    }
    if (lane.running) {
      lane.again = true;
      return;
    }
    lane.running = true;
    const l = lane;
    const p = (async () => {
      do {
        l.again = false;
        try {
          await drain(subscriptionId, instanceId);
        } catch (err) {
          if (stopped) return;
          logger.error({ err, subscriptionId, instanceId }, 'webhook delivery lane failed; retrying later');
          scheduleAt(now() + Math.max(deps.retryBaseMs, 1000));
          return;
        }
      } while (l.again && !stopped);
    })().finally(() => {
      l.running = false;
      if (!l.again) lanes.delete(key);
    });
    track(p);
  }

  /** Records an outcome unless the delivery changed meanwhile (a replay or a manual retry wins). */
  async function settle(head: WebhookDelivery, patch: Partial<WebhookDelivery>): Promise<boolean> {
    let at = iso(now());
    // updated_at is the version stamp: make sure the new one differs from the old.
    if (at === head.updatedAt) at = iso(now() + 1);
    return repo.updatePending(head.id, { ...patch, updatedAt: at }, head.updatedAt);
  }

  /** One attempt at the lane's head; answers whether the lane may go on now. */
  async function attempt(sub: WebhookSubscription, head: WebhookDelivery): Promise<boolean> {
    const event = await repo.getEvent(head.eventId);
    if (!event) {
      await settle(head, { status: 'failed', nextAttemptAt: null, lastError: 'the event is no longer in the log' });
      return true;
    }
    const instance = await store.instances.get(event.instanceId);
    const body = instance ? formatBody(sub.format, instance, event) : null;
    if (!instance || body === null) {
      await settle(head, { status: instance ? 'skipped' : 'cancelled', nextAttemptAt: null, lastError: instance ? null : 'the instance was deleted' });
      return true;
    }
    const t = now();
    const result = await withSlot(() => deps.send(sub, { id: event.id, body, at: t }, abort.signal));
    // A request cut short by shutdown is not an attempt: the next start sends it again.
    if (stopped) return false;
    const attempts = head.attempts + 1;
    const firstAttemptAt = head.firstAttemptAt ?? iso(t);
    const common = { attempts, firstAttemptAt, lastAttemptAt: iso(t), lastStatusCode: result.statusCode, lastError: result.error };
    if (result.ok) {
      await settle(head, { ...common, status: 'delivered', nextAttemptAt: null });
      return true;
    }
    const next = afterFailure({ attempts, firstAttemptAt: Date.parse(firstAttemptAt), now: now(), baseMs: deps.retryBaseMs, random: deps.random });
    if (next.dead) {
      logger.warn({ subscriptionId: sub.id, eventId: event.id, attempts, statusCode: result.statusCode }, 'webhook delivery failed for 24 h: dead-lettered');
      await settle(head, { ...common, status: 'failed', nextAttemptAt: null });
      return true;
    }
    logger.debug({ subscriptionId: sub.id, eventId: event.id, attempts, statusCode: result.statusCode }, 'webhook delivery failed; will retry');
    if (!(await settle(head, { ...common, nextAttemptAt: iso(next.nextAttemptAt) }))) return true;
    scheduleAt(next.nextAttemptAt);
    return false;
  }

  /** Turns the next events after the cursor into a delivery (skipping filtered ones); false when none. */
  async function materialize(sub: WebhookSubscription, instanceId: string): Promise<boolean> {
    const cursor = await repo.getCursor(sub.id, instanceId);
    const after = cursor?.afterSeq ?? 0;
    const batch: EventRecord[] = await store.events.listAfter(instanceId, after, 100);
    if (!batch.length) return false;
    let passed = after;
    for (const event of batch) {
      if (!matchesEventFilters(sub.events, event.type)) {
        passed = event.seq;
        continue;
      }
      const instance = await store.instances.get(instanceId);
      if (!instance) return false;
      const body = formatBody(sub.format, instance, event);
      const at = iso(now());
      await repo.advance(sub.id, instanceId, event.seq, {
        id: ulid(now()),
        subscriptionId: sub.id,
        instanceId,
        eventId: event.id,
        eventSeq: event.seq,
        eventType: event.type,
        status: body === null ? 'skipped' : 'pending',
        attempts: 0,
        firstAttemptAt: null,
        lastAttemptAt: null,
        nextAttemptAt: body === null ? null : at,
        lastStatusCode: null,
        lastError: null,
        createdAt: at,
        updatedAt: at,
      });
      if (body !== null) return true;
      passed = event.seq;
    }
    if (passed > after) await repo.advance(sub.id, instanceId, passed);
    return true;
  }

  async function drain(subscriptionId: string, instanceId: string): Promise<void> {
    for (;;) {
      if (stopped) return;
      const sub = subs.get(subscriptionId);
      if (!sub || !sub.enabled) return;
      const head = await repo.firstPending(subscriptionId, instanceId);
      if (head) {
        const due = head.nextAttemptAt ? Date.parse(head.nextAttemptAt) : 0;
        if (due > now()) {
          scheduleAt(due);
          return;
        }
        if (!(await attempt(sub, head))) return;
        continue;
      }
      if (!(await materialize(sub, instanceId))) return;
    }
  }

  return {
    async start() {
      if (started) return;
      started = true;
      unsubscribe = events.subscribe((event) => {
        for (const s of subs.values()) if (covers(s, event.instanceId)) kick(s.id, event.instanceId);
        // A subscription for every instance also covers instances created after the last sweep.
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
    async idle() {
      while (inflight.size) await Promise.allSettled([...inflight]);
    },
  };
}
