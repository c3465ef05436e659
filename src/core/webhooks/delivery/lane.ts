/**
 * One delivery lane, a (subscription, instance) pair: sends the instance's events in seq order, one
 * request at a time. The lane keeps in memory what it already read (the cursor with its version,
 * the events after it, the instance), so the steady state costs one read of the log per batch,
 * and outcomes are written after the POST, batched (`lane-writer.ts`): "delivered + cursor moved",
 * or on failure "pending with its retry time + cursor moved" (the lane then waits for that write).
 * A crash before that write sends the events again with the same webhook-id (at least once). The
 * cursor only moves at the version the lane read, so a replay or a deleted subscription always wins
 * over an attempt in flight; whatever might have changed the database marks the lane stale, and it
 * commits what it holds and reads everything again.
 */
import type { Logger } from '../../ports/logger.js';
import { ulid } from '../../common/ids.js';
import type { EventRecord } from '../../events/event-model.js';
import type { Instance } from '../../instances/instance-model.js';
import type { SendResult } from '../webhook-deliveries.js';
import type { WebhookDelivery, WebhookSubscription } from '../webhook-model.js';
import type { WebhookRepository } from '../../ports/webhook-repository.js';
import { afterFailure, matchesEventFilters } from '../webhook-rules.js';
import type { Store } from '../../ports/store.js';
import { formatBody } from '../webhook-formats.js';
import { createLaneWriter, MAX_OUTBOX } from './lane-writer.js';

/** Events read from the log at once. */
const READ_BATCH = 100;
/** Events a lane holds in memory at most; beyond, it reads the log again when it gets there. */
const MAX_BUFFER = 1000;

export interface Lane {
  subscriptionId: string;
  instanceId: string;
  running: boolean;
  again: boolean;
  /** The database may have changed under the lane (wake, sweep, a lost cursor race): read it all again. */
  stale: boolean;
  /** No pending delivery heads the lane (checked since the last reset). */
  clear: boolean;
  /** The cursor as the lane last read or wrote it. */
  cursor?: { afterSeq: number; version: number };
  /** Seq of the last event handled (delivered, recorded or filtered out); >= cursor.afterSeq. */
  pos: number;
  /** Events after `pos`, read or heard but not handled yet, in seq order without gaps. */
  buffer: EventRecord[];
  /** The buffer reaches the end of the log: nothing to read while it is empty. */
  complete: boolean;
  /** A read of the log is in flight; events heard meanwhile are not trusted to follow the buffer. */
  reading: boolean;
  missed: boolean;
  instance?: Instance;
  /** Outcomes sent but not committed yet, and the seq the cursor moves to with them. */
  outbox: WebhookDelivery[];
  outSeq: number;
  writing?: Promise<void>;
  writeError?: unknown;
  /** Someone waits for the writer: commit without lingering. */
  urgent?: boolean;
  /** Ends the writer's current linger early. */
  hurry?: () => void;
}

/** A lane that reads everything on its first run. */
export function newLane(subscriptionId: string, instanceId: string): Lane {
  return { subscriptionId, instanceId, running: false, again: false, stale: true, clear: false, pos: 0, buffer: [], complete: false, reading: false, missed: false, outbox: [], outSeq: 0 };
}

/** Hands a committed event to the lane: appended when it follows the buffer, else read later. */
export function hear(lane: Lane, event: EventRecord): void {
  if (lane.reading) {
    lane.missed = true;
    return;
  }
  if (lane.stale || !lane.cursor || !lane.complete) return;
  const tail = lane.buffer.length ? lane.buffer[lane.buffer.length - 1]!.seq : lane.pos;
  if (event.seq <= tail) return;
  if (event.seq === tail + 1 && lane.buffer.length < MAX_BUFFER) lane.buffer.push(event);
  else lane.complete = false;
}

/** Drops what the lane holds in memory (kept small while it waits for a retry). */
export function forget(lane: Lane): void {
  lane.buffer = [];
  lane.complete = false;
}

function reset(lane: Lane): void {
  lane.stale = false;
  lane.clear = false;
  lane.cursor = undefined;
  lane.pos = 0;
  lane.outbox = [];
  lane.outSeq = 0;
  lane.instance = undefined;
  forget(lane);
}

export interface LaneDeps {
  repo: WebhookRepository;
  store: Store;
  logger: Logger;
  now: () => number;
  retryBaseMs: number;
  random?: () => number;
  /** Sends one message (bounded by the worker's in-flight limit). */
  send: (sub: WebhookSubscription, message: { id: string; body: unknown; at: number }) => Promise<SendResult>;
  subscription: (id: string) => WebhookSubscription | undefined;
  stopped: () => boolean;
  /** Asks for a sweep at `ms` (a retry falls due). */
  scheduleAt: (ms: number) => void;
}

/** The lane runner: `drain(lane)` delivers until the lane is empty or must wait. */
export function createLaneRunner(deps: LaneDeps): { drain(lane: Lane): Promise<void> } {
  const { repo, store, logger, now } = deps;
  const iso = (ms: number) => new Date(ms).toISOString();
  const writer = createLaneWriter(repo);

  /** Records an outcome unless the delivery changed meanwhile (a replay or a manual retry wins). */
  async function settle(head: WebhookDelivery, patch: Partial<WebhookDelivery>): Promise<boolean> {
    let at = iso(now());
    // updated_at is the version stamp: make sure the new one differs from the old.
    if (at === head.updatedAt) at = iso(now() + 1);
    return repo.updatePending(head.id, { ...patch, updatedAt: at }, head.updatedAt);
  }

  /** One attempt at a pending head (a retry); answers whether the lane may go on now. */
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
    const result = await deps.send(sub, { id: event.id, body, at: t });
    // A request cut short by shutdown is not an attempt: the next start sends it again.
    if (deps.stopped()) return false;
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
    deps.scheduleAt(next.nextAttemptAt);
    return false;
  }

  /** Loads the cursor (creating it for an instance added after the subscription); false when gone. */
  async function loadCursor(lane: Lane): Promise<boolean> {
    let cursor = await repo.getCursor(lane.subscriptionId, lane.instanceId);
    if (!cursor) {
      if (!(await repo.getSubscription(lane.subscriptionId))) return false;
      await repo.advance(lane.subscriptionId, lane.instanceId, 0);
      cursor = await repo.getCursor(lane.subscriptionId, lane.instanceId);
      if (!cursor) return false;
    }
    lane.cursor = { afterSeq: cursor.afterSeq, version: cursor.version ?? 0 };
    lane.pos = cursor.afterSeq;
    lane.outSeq = cursor.afterSeq;
    forget(lane);
    return true;
  }

  /** Reads the next batch of the log after `pos`, and the instance once per batch. */
  async function read(lane: Lane): Promise<void> {
    lane.reading = true;
    lane.missed = false;
    try {
      const batch = await store.events.listAfter(lane.instanceId, lane.pos, READ_BATCH);
      lane.instance = batch.length ? await store.instances.get(lane.instanceId) : lane.instance;
      lane.buffer = batch;
      lane.complete = batch.length < READ_BATCH && !lane.missed;
    } finally {
      lane.reading = false;
    }
  }

  function outcome(lane: Lane, event: EventRecord, t: number): WebhookDelivery {
    const at = iso(t);
    return {
      id: ulid(t),
      subscriptionId: lane.subscriptionId,
      instanceId: lane.instanceId,
      eventId: event.id,
      eventSeq: event.seq,
      eventType: event.type,
      status: 'skipped',
      attempts: 0,
      firstAttemptAt: null,
      lastAttemptAt: null,
      nextAttemptAt: null,
      lastStatusCode: null,
      lastError: null,
      createdAt: at,
      updatedAt: at,
    };
  }

  /** Handles the buffer's first event; answers whether the lane may go on now. */
  async function next(sub: WebhookSubscription, lane: Lane): Promise<boolean> {
    const event = lane.buffer.shift()!;
    lane.pos = event.seq;
    if (!matchesEventFilters(sub.events, event.type)) {
      writer.record(lane, event.seq);
      return true;
    }
    const body = formatBody(sub.format, lane.instance!, event);
    const t = now();
    if (body === null) {
      writer.record(lane, event.seq, outcome(lane, event, t));
      return true;
    }
    if (lane.outbox.length >= MAX_OUTBOX) await writer.flush(lane);
    const result = await deps.send(sub, { id: event.id, body, at: t });
    // A request cut short by shutdown is not an attempt: the next start sends it again.
    if (deps.stopped()) return false;
    const done = now();
    const attempted = { ...outcome(lane, event, t), attempts: 1, firstAttemptAt: iso(t), lastAttemptAt: iso(t), lastStatusCode: result.statusCode, lastError: result.error, updatedAt: iso(done) };
    const retry = result.ok ? undefined : afterFailure({ attempts: 1, firstAttemptAt: t, now: done, baseMs: deps.retryBaseMs, random: deps.random });
    const delivery: WebhookDelivery = result.ok
      ? { ...attempted, status: 'delivered' }
      : retry!.dead
        ? { ...attempted, status: 'failed' }
        : { ...attempted, status: 'pending', nextAttemptAt: iso(retry!.nextAttemptAt) };
    writer.record(lane, event.seq, delivery);
    if (delivery.status !== 'pending') return true;
    // The pending row must exist before the lane waits for its retry.
    await writer.flush(lane);
    if (lane.stale) return true;
    logger.debug({ subscriptionId: sub.id, eventId: event.id, attempts: 1, statusCode: result.statusCode }, 'webhook delivery failed; will retry');
    lane.clear = false;
    forget(lane);
    deps.scheduleAt(Date.parse(delivery.nextAttemptAt!));
    return false;
  }

  /** Delivers until the lane is empty or must wait, then commits what it holds. */
  async function drain(lane: Lane): Promise<void> {
    try {
      await run(lane);
    } finally {
      await writer.flush(lane);
    }
  }

  async function run(lane: Lane): Promise<void> {
    for (;;) {
      if (deps.stopped()) return;
      const sub = deps.subscription(lane.subscriptionId);
      if (!sub || !sub.enabled) return forget(lane);
      if (lane.stale) {
        await writer.flush(lane);
        reset(lane);
      }
      if (!lane.clear) {
        const head = await repo.firstPending(lane.subscriptionId, lane.instanceId);
        if (head) {
          const due = head.nextAttemptAt ? Date.parse(head.nextAttemptAt) : 0;
          if (due > now()) {
            deps.scheduleAt(due);
            return forget(lane);
          }
          if (!(await attempt(sub, head))) return forget(lane);
          continue;
        }
        lane.clear = true;
      }
      if (!lane.cursor && !(await loadCursor(lane))) return;
      if (!lane.buffer.length) {
        if (lane.complete) return;
        await read(lane);
        if (!lane.buffer.length) return;
        if (!lane.instance) return forget(lane);
      }
      if (!(await next(sub, lane))) return;
    }
  }

  return { drain };
}
