/**
 * One delivery lane, a (subscription, instance) pair, as one unit that owns its state: it sends the
 * instance's events in seq order, one request at a time. The lane keeps in memory what it already
 * read (the events after its position, the instance), so the steady state costs one read of the log
 * per batch; its `LaneOutbox` holds the cursor with its version and writes outcomes after the POST,
 * batched: "delivered + cursor moved", or on failure "pending with its retry time + cursor moved"
 * (the lane then waits for that write). A crash before that write sends the events again with the
 * same webhook-id (at least once). The cursor only moves at the version the lane read, so a replay
 * or a deleted subscription always wins over an attempt in flight; whatever might have changed the
 * database marks the lane stale, and it commits what it holds and reads everything again.
 *
 * The worker creates lanes, routes committed events (`hear`) and wakes (`markStale`, `kick`) to them.
 */
import type { Logger } from '../../ports/logger.js';
import { ulid } from '../../common/ids.js';
import type { EventRecord } from '../../events/event-model.js';
import type { Instance } from '../../instances/instance-model.js';
import type { WebhookDelivery, WebhookSubscription } from '../webhook-model.js';
import type { WebhookRepository } from '../../ports/webhook-repository.js';
import type { SendResult, WebhookMessage } from '../../ports/webhook-transport.js';
import type { Store } from '../../ports/store.js';
import { afterFailure, matchesEventFilters } from '../webhook-rules.js';
import type { WebhookFormats } from '../webhook-formats.js';
import { LaneOutbox, MAX_OUTBOX, OutboxWriter } from './lane-outbox.js';

/** Events read from the log at once. */
const READ_BATCH = 100;
/** Events a lane holds in memory at most; beyond, it reads the log again when it gets there. */
const MAX_BUFFER = 1000;

/** What every lane of a worker shares. */
export interface LaneDeps {
  repo: WebhookRepository;
  store: Store;
  formats: WebhookFormats;
  logger: Logger;
  now: () => number;
  retryBaseMs: number;
  random?: () => number;
  /** Sends one message (bounded by the worker's in-flight limit). */
  send: (sub: WebhookSubscription, message: WebhookMessage) => Promise<SendResult>;
  /** Signs and serialises a message now, sent later (bounded as `send`); without it, `send` at once. */
  prepare?: (sub: WebhookSubscription, message: WebhookMessage) => Prepared;
  /** The subscription as the worker last loaded it. */
  subscription: (id: string) => WebhookSubscription | undefined;
  stopped: () => boolean;
  /** Cluster mode: the lane's instance runs on another node (or is being handed over): start nothing new, but record what is in flight. */
  paused?: () => boolean;
  /** Asks for a sweep at `ms` (a retry falls due). */
  scheduleAt: (ms: number) => void;
  /** Commits the outboxes of every lane together; a lane without one commits alone. */
  writer?: OutboxWriter;
}

const iso = (ms: number) => new Date(ms).toISOString();
const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

/** A message ready to go: signed at `at`; `send` POSTs it once. */
export interface Prepared {
  at: number;
  send: () => Promise<SendResult>;
}

/** How long a message prepared ahead stays good to send (its signing time is its attempt time). */
const AHEAD_MAX_AGE_MS = 1000;

/** The next event's message, prepared while the POST before it is in flight. */
interface Ahead {
  event: EventRecord;
  sub: WebhookSubscription;
  instance: Instance;
  /** undefined while its body is being formatted; null when the format has no shape for it. */
  message?: Prepared | null;
}

/** A POST sent, its outcome not recorded yet. */
interface Flight {
  event: EventRecord;
  sub: WebhookSubscription;
  at: number;
  result: Promise<SendResult>;
}

/**
 * The `webhook-id` of an event's message to a subscription: the event id, the same on every attempt.
 * A provider slot other than "default" adds its name, so two kinds of callback made from one event
 * (Z-API's delivery and received URLs pointed at one address) stay two distinct messages.
 */
export function webhookIdOf(sub: Pick<WebhookSubscription, 'providerSlot'>, eventId: string): string {
  return sub.providerSlot && sub.providerSlot !== 'default' ? `${eventId}.${sub.providerSlot}` : eventId;
}

export class Lane {
  /** A drain is in progress. */
  private running = false;
  /** Kicked while running: drain once more. */
  private again = false;
  /** The database may have changed under the lane (wake, sweep, a failed run): read it all again. */
  private stale = true;
  /** No pending delivery heads the lane (checked since the last reset). */
  private clear = false;
  /** Seq of the last event handled (delivered, recorded or filtered out); >= the cursor. */
  private pos = 0;
  /** Events after `pos`, read or heard but not handled yet, in seq order without gaps. */
  private buffer: EventRecord[] = [];
  /** The buffer reaches the end of the log: nothing to read while it is empty. */
  private complete = false;
  /** A read of the log is in flight; events heard meanwhile are not trusted to follow the buffer. */
  private reading = false;
  private missed = false;
  private instance?: Instance;
  private readonly outbox: LaneOutbox;
  /** The POST in flight (its event is handled: `pos` is its seq); landed first by the run loop. */
  private flight?: Flight;
  /** The buffer's first event, prepared while `flight` was in the air. */
  private ahead?: Ahead;
  /** Bumped whenever the buffer is dropped: a read begun before does not fill it. */
  private generation = 0;
  /** The next batch, read while the POST of the buffer's last event is in flight. */
  private prefetching?: Promise<void>;

  /** A lane that reads everything on its first run. */
  constructor(
    readonly subscriptionId: string,
    readonly instanceId: string,
    private readonly deps: LaneDeps,
  ) {
    this.outbox = new LaneOutbox(deps.writer ?? new OutboxWriter(deps.repo), subscriptionId, instanceId);
  }

  /** Whether a drain is in progress (the lane must not be dropped). */
  get busy(): boolean {
    return this.running;
  }

  /** Hands a committed event to the lane: appended when it follows the buffer, else read later. */
  hear(event: EventRecord): void {
    if (this.reading) {
      this.missed = true;
      return;
    }
    if (this.isStale() || !this.outbox.opened || !this.complete) return;
    const tail = this.buffer.length ? this.buffer[this.buffer.length - 1]!.seq : this.pos;
    if (event.seq <= tail) return;
    if (event.seq === tail + 1 && this.buffer.length < MAX_BUFFER) this.buffer.push(event);
    else this.complete = false;
  }

  /** The database may have changed under the lane: its next run commits what it holds and reads it all again. */
  markStale(): void {
    this.stale = true;
  }

  /**
   * Drains the lane, and again while it is kicked meanwhile; answers the run's promise, or
   * undefined when a run is already in progress (it drains once more). A failed run marks the lane
   * stale and asks for a sweep later.
   */
  kick(): Promise<void> | undefined {
    if (this.running) {
      this.again = true;
      return undefined;
    }
    this.running = true;
    const { deps } = this;
    return (async () => {
      do {
        this.again = false;
        try {
          await this.drain();
        } catch (err) {
          this.markStale();
          if (deps.stopped()) return;
          deps.logger.error({ err, subscriptionId: this.subscriptionId, instanceId: this.instanceId }, 'webhook delivery lane failed; retrying later');
          deps.scheduleAt(deps.now() + Math.max(deps.retryBaseMs, 1000));
          return;
        }
      } while (this.again && !deps.stopped() && !deps.paused?.());
    })().finally(() => {
      this.running = false;
    });
  }

  /** Delivers until the lane is empty or must wait, then commits what it holds. */
  async drain(): Promise<void> {
    try {
      await this.run();
    } finally {
      // A run cut short by an error: the POST in flight ends before the lane is idle (not recorded,
      // its event is sent again after the reset).
      const flight = this.flight;
      this.flight = undefined;
      if (flight) await flight.result;
      await this.prefetching;
      await this.flush();
    }
  }

  /** Waits until every outcome the lane holds is committed (or dropped); throws a failed write's error. */
  flush(): Promise<void> {
    return this.outbox.flush();
  }

  /** Drops what the lane holds in memory (kept small while it waits for a retry). */
  forget(): void {
    this.buffer = [];
    this.complete = false;
    this.ahead = undefined;
    this.generation++;
  }

  private isStale(): boolean {
    return this.stale || this.outbox.lost;
  }

  private reset(): void {
    this.stale = false;
    this.clear = false;
    this.pos = 0;
    this.outbox.reset();
    this.instance = undefined;
    this.forget();
  }

  private async run(): Promise<void> {
    const { deps } = this;
    for (;;) {
      // The POST in flight is landed before anything else: its outcome is recorded first.
      if (this.flight) {
        if (!(await this.land())) return;
        continue;
      }
      if (deps.stopped() || deps.paused?.()) return;
      const sub = deps.subscription(this.subscriptionId);
      if (!sub || !sub.enabled) return this.forget();
      if (this.isStale()) {
        await this.flush();
        this.reset();
      }
      if (!this.clear) {
        const head = await deps.repo.firstPending(this.subscriptionId, this.instanceId);
        if (head) {
          const due = head.nextAttemptAt ? Date.parse(head.nextAttemptAt) : 0;
          if (due > deps.now()) {
            deps.scheduleAt(due);
            return this.forget();
          }
          if (!(await this.attempt(sub, head))) return this.forget();
          continue;
        }
        this.clear = true;
      }
      if (!this.outbox.opened && !(await this.loadCursor())) return;
      if (!this.buffer.length && this.prefetching) await this.prefetching;
      if (!this.buffer.length) {
        if (this.complete) return;
        await this.read();
        if (!this.buffer.length) return;
      }
      // Live events reach the buffer without a read (after an idle reset, too): the instance the
      // formats need is loaded before the first of them is formatted.
      this.instance ??= await deps.store.instances.get(this.instanceId);
      if (!this.instance) return this.forget();
      if (!(await this.next(sub))) return;
    }
  }

  /** Records an outcome unless the delivery changed meanwhile (a replay or a manual retry wins). */
  private async settle(head: WebhookDelivery, patch: Partial<WebhookDelivery>): Promise<boolean> {
    let at = iso(this.deps.now());
    // updated_at is the version stamp: make sure the new one differs from the old.
    if (at === head.updatedAt) at = iso(this.deps.now() + 1);
    return this.deps.repo.updatePending(head.id, { ...patch, updatedAt: at }, head.updatedAt);
  }

  /** One attempt at a pending head (a retry); answers whether the lane may go on now. */
  private async attempt(sub: WebhookSubscription, head: WebhookDelivery): Promise<boolean> {
    const { deps } = this;
    const event = await deps.repo.getEvent(head.eventId);
    if (!event) {
      await this.settle(head, { status: 'failed', nextAttemptAt: null, lastError: 'the event is no longer in the log' });
      return true;
    }
    const instance = await deps.store.instances.get(event.instanceId);
    const body = instance ? await deps.formats.body(sub.format, instance, event, sub) : null;
    if (!instance || body === null) {
      await this.settle(head, { status: instance ? 'skipped' : 'cancelled', nextAttemptAt: null, lastError: instance ? null : 'the instance was deleted' });
      return true;
    }
    const t = deps.now();
    const result = await deps.send(sub, { id: webhookIdOf(sub, event.id), body, at: t });
    // A request cut short by shutdown is not an attempt: the next start sends it again.
    if (deps.stopped()) return false;
    const attempts = head.attempts + 1;
    const firstAttemptAt = head.firstAttemptAt ?? iso(t);
    const common = { attempts, firstAttemptAt, lastAttemptAt: iso(t), lastStatusCode: result.statusCode, lastError: result.error };
    if (result.ok) {
      await this.settle(head, { ...common, status: 'delivered', nextAttemptAt: null });
      return true;
    }
    const next = afterFailure({ attempts, firstAttemptAt: Date.parse(firstAttemptAt), now: deps.now(), baseMs: deps.retryBaseMs, random: deps.random });
    if (next.dead) {
      deps.logger.warn({ subscriptionId: sub.id, eventId: event.id, attempts, statusCode: result.statusCode }, 'webhook delivery failed for 24 h: dead-lettered');
      await this.settle(head, { ...common, status: 'failed', nextAttemptAt: null });
      return true;
    }
    deps.logger.debug({ subscriptionId: sub.id, eventId: event.id, attempts, statusCode: result.statusCode }, 'webhook delivery failed; will retry');
    if (!(await this.settle(head, { ...common, nextAttemptAt: iso(next.nextAttemptAt) }))) return true;
    deps.scheduleAt(next.nextAttemptAt);
    return false;
  }

  /** Loads the cursor (creating it for an instance added after the subscription); false when gone. */
  private async loadCursor(): Promise<boolean> {
    const { repo } = this.deps;
    let cursor = await repo.getCursor(this.subscriptionId, this.instanceId);
    if (!cursor) {
      if (!(await repo.getSubscription(this.subscriptionId))) return false;
      await repo.advance(this.subscriptionId, this.instanceId, 0);
      cursor = await repo.getCursor(this.subscriptionId, this.instanceId);
      if (!cursor) return false;
    }
    this.outbox.open({ afterSeq: cursor.afterSeq, version: cursor.version ?? 0 });
    this.pos = cursor.afterSeq;
    this.forget();
    return true;
  }

  /** Reads the next batch of the log after `pos`, and the instance once per batch. */
  private async read(): Promise<void> {
    const { store } = this.deps;
    const generation = this.generation;
    this.reading = true;
    this.missed = false;
    try {
      const batch = await store.events.listAfter(this.instanceId, this.pos, READ_BATCH);
      const instance = batch.length ? await store.instances.get(this.instanceId) : this.instance;
      // Dropped meanwhile (a failed delivery, a reset): the lane reads again from where it stands.
      if (generation !== this.generation) return;
      this.instance = instance;
      this.buffer = batch;
      this.complete = batch.length < READ_BATCH && !this.missed;
    } finally {
      this.reading = false;
    }
  }

  /** A new delivery row for an event of this lane, not attempted yet (`skipped` until said otherwise). */
  private outcome(event: EventRecord, t: number): WebhookDelivery {
    const at = iso(t);
    return {
      id: ulid(t),
      subscriptionId: this.subscriptionId,
      instanceId: this.instanceId,
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

  /** Handles the buffer's first event: filtered, skipped, or sent (landed by the run loop). */
  private async next(sub: WebhookSubscription): Promise<boolean> {
    const { deps, outbox } = this;
    const event = this.buffer.shift()!;
    this.pos = event.seq;
    if (!matchesEventFilters(sub.events, event.type)) {
      outbox.record(event.seq);
      return true;
    }
    const ahead = this.takeAhead(sub, event);
    const message = ahead !== undefined ? ahead : await this.prepare(sub, this.instance!, event);
    if (message === null) {
      outbox.record(event.seq, this.outcome(event, deps.now()));
      return true;
    }
    if (outbox.size >= MAX_OUTBOX) await outbox.flush();
    this.launch(sub, event, message);
    return true;
  }

  /** The message of `event`: formatted and signed now; null when the format has no shape for it. */
  private async prepare(sub: WebhookSubscription, instance: Instance, event: EventRecord): Promise<Prepared | null> {
    const { deps } = this;
    const body = await deps.formats.body(sub.format, instance, event, sub);
    if (body === null) return null;
    const message = { id: webhookIdOf(sub, event.id), body, at: deps.now() };
    return deps.prepare ? deps.prepare(sub, message) : { at: message.at, send: () => deps.send(sub, message) };
  }

  /** The message prepared ahead for `event`, if it still holds (same event, subscription and instance, fresh). */
  private takeAhead(sub: WebhookSubscription, event: EventRecord): Prepared | null | undefined {
    const ahead = this.ahead;
    this.ahead = undefined;
    if (!ahead || ahead.message === undefined || ahead.event !== event || ahead.sub !== sub || ahead.instance !== this.instance) return undefined;
    if (ahead.message && this.deps.now() - ahead.message.at > AHEAD_MAX_AGE_MS) return undefined;
    return ahead.message;
  }

  /** Sends `event`'s message; while it is in flight, the next event's message is prepared. */
  private launch(sub: WebhookSubscription, event: EventRecord, message: Prepared): void {
    this.flight = { event, sub, at: message.at, result: message.send() };
    // On the next tick, once the request is written (the HTTP client writes on the tick it queued).
    process.nextTick(() => this.prepareAhead(sub));
  }

  /**
   * Formats and signs the buffer's first event ahead (a filtered event needs nothing); with the
   * buffer empty, reads the next batch first (the run loop waits for that read rather than making its own).
   */
  private prepareAhead(sub: WebhookSubscription): void {
    if (!this.buffer.length) {
      if (this.complete || this.reading || this.prefetching || !this.outbox.opened || this.isStale()) return;
      const generation = this.generation;
      const prefetching: Promise<void> = this.read()
        .then(
          () => {
            if (this.generation === generation && this.buffer.length) this.prepareAhead(sub);
          },
          // The run loop reads again, where the error surfaces.
          () => undefined,
        )
        .finally(() => {
          if (this.prefetching === prefetching) this.prefetching = undefined;
        });
      this.prefetching = prefetching;
      return;
    }
    const event = this.buffer[0];
    const instance = this.instance;
    if (!event || !instance || this.ahead?.event === event || !matchesEventFilters(sub.events, event.type)) return;
    const ahead: Ahead = { event, sub, instance };
    this.ahead = ahead;
    this.prepare(sub, instance, event).then(
      (message) => {
        ahead.message = message;
      },
      () => {
        // Formatted again when its turn comes, where the error surfaces.
        if (this.ahead === ahead) this.ahead = undefined;
      },
    );
  }

  /**
   * Sends the event prepared ahead at once, before the answer just in is recorded, when nothing
   * stands in the way (the same checks as the run loop's).
   */
  private launchAhead(sub: WebhookSubscription): boolean {
    const { deps } = this;
    const ahead = this.ahead;
    const event = this.buffer[0];
    if (!ahead?.message || ahead.event !== event || !event) return false;
    if (deps.stopped() || deps.paused?.() || this.isStale() || !this.clear || this.outbox.size >= MAX_OUTBOX) return false;
    if (deps.subscription(this.subscriptionId) !== sub || !sub.enabled || ahead.sub !== sub || ahead.instance !== this.instance) return false;
    if (deps.now() - ahead.message.at > AHEAD_MAX_AGE_MS) return false;
    this.ahead = undefined;
    this.buffer.shift();
    this.pos = event.seq;
    this.launch(sub, event, ahead.message);
    return true;
  }

  /** Waits for the POST in flight and records its outcome; answers whether the lane may go on now. */
  private async land(): Promise<boolean> {
    const { deps, outbox } = this;
    const { event, sub, at: t, result: sending } = this.flight!;
    const result = await sending;
    this.flight = undefined;
    // A request cut short by shutdown is not an attempt: the next start sends it again.
    if (deps.stopped()) return false;
    // Delivered: the next POST goes out before this outcome is written down (after the tick the
    // HTTP client writes the request on).
    if (result.ok && this.launchAhead(sub)) await nextTick();
    const done = deps.now();
    const delivery = this.outcome(event, t);
    delivery.status = 'delivered';
    delivery.attempts = 1;
    delivery.firstAttemptAt = delivery.lastAttemptAt = delivery.createdAt;
    delivery.lastStatusCode = result.statusCode;
    delivery.lastError = result.error;
    delivery.updatedAt = iso(done);
    if (!result.ok) {
      const retry = afterFailure({ attempts: 1, firstAttemptAt: t, now: done, baseMs: deps.retryBaseMs, random: deps.random });
      if (retry.dead) delivery.status = 'failed';
      else {
        delivery.status = 'pending';
        delivery.nextAttemptAt = iso(retry.nextAttemptAt);
      }
    }
    outbox.record(event.seq, delivery);
    if (delivery.status !== 'pending') return true;
    // The pending row must exist before the lane waits for its retry.
    await outbox.flush();
    if (this.isStale()) return true;
    deps.logger.debug({ subscriptionId: sub.id, eventId: event.id, attempts: 1, statusCode: result.statusCode }, 'webhook delivery failed; will retry');
    this.clear = false;
    this.forget();
    deps.scheduleAt(Date.parse(delivery.nextAttemptAt!));
    return false;
  }
}
