/**
 * A lane's durable position and its writes, owned by one `Lane`: the cursor with the version the
 * lane read, and the outcomes of sent events not committed yet. A writer commits them (with the
 * cursor move) in one transaction per batch while the lane sends the next events; it lingers a few
 * milliseconds so a batch gathers several outcomes, and whoever must see them stored (a failed
 * attempt's retry row, the lane going idle, shutdown) flushes at once. Every write moves the cursor
 * only at the version held: when that fails (a replay, a deleted subscription) the batch is dropped
 * and the outbox is `lost` until reopened, so the lane reads everything again; the events are then
 * sent again, which at-least-once delivery allows.
 *
 * The outboxes of one worker share an `OutboxWriter`: their lingers end on one shared tick, and the
 * writes that arrive together are committed in one transaction (`moveCursors`), each cursor move
 * still checked on its own.
 */
import type { WebhookDelivery } from '../webhook-model.js';
import type { WebhookRepository } from '../../ports/webhook-repository.js';

/** Outcomes queued at most before the lane waits for the writer. */
export const MAX_OUTBOX = 500;
/**
 * Outcomes that make the writer commit without lingering. A delivery row costs less in a bigger
 * transaction (each index page is written once per commit, and the WAL grows slower, so
 * checkpoints come less often): a lane at full speed commits every LINGER_MS, not every few events.
 */
const BATCH = 250;
/** How long the writer waits for more outcomes before it commits (the cursor lags by at most this, plus the write). */
const LINGER_MS = 25;

type CursorMove = Parameters<WebhookRepository['moveCursors']>[0][number];

/** Commits the cursor moves of many lanes together: one transaction for those that arrive at once. */
export class OutboxWriter {
  private queue: { move: CursorMove; resolve: (v: number | undefined) => void; reject: (err: unknown) => void }[] = [];
  private writing = false;
  private ticking?: Promise<void>;

  constructor(private readonly repo: WebhookRepository) {}

  /** Resolves on the writer's next linger tick, shared by every outbox waiting for it. */
  tick(): Promise<void> {
    this.ticking ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.ticking = undefined;
        resolve();
      }, LINGER_MS);
      timer.unref();
    });
    return this.ticking;
  }

  /** Moves one lane's cursor with its deliveries (as `moveCursor`), batched with the others queued meanwhile. */
  move(move: CursorMove): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ move, resolve, reject });
      if (!this.writing) this.start();
    });
  }

  private start(): void {
    this.writing = true;
    // After the current turn of the loop: the lanes woken by the same tick queue their moves first.
    setImmediate(() => {
      void (async () => {
        try {
          while (this.queue.length) {
            const batch = this.queue;
            this.queue = [];
            try {
              const versions =
                batch.length === 1 ? [await this.repo.moveCursor(batch[0]!.move.cursor, batch[0]!.move.deliveries)] : await this.repo.moveCursors(batch.map((b) => b.move));
              batch.forEach((b, i) => b.resolve(versions[i]));
            } catch (err) {
              for (const b of batch) b.reject(err);
            }
          }
        } finally {
          this.writing = false;
        }
      })();
    });
  }
}

export class LaneOutbox {
  /** The cursor as last read or written; undefined until `open`. */
  private cursor?: { afterSeq: number; version: number };
  /** Outcomes sent but not committed yet. */
  private queued: WebhookDelivery[] = [];
  /** The seq the cursor moves to with them. */
  private upTo = 0;
  private writing?: Promise<void>;
  private writeError?: unknown;
  /** Someone waits for the writer: commit without lingering. */
  private urgent = false;
  /** Ends the writer's current linger early. */
  private hurry?: () => void;
  private dropped = false;

  constructor(
    private readonly writer: OutboxWriter,
    private readonly subscriptionId: string,
    private readonly instanceId: string,
  ) {}

  /** Whether a cursor is held (the lane read it since its last reset). */
  get opened(): boolean {
    return this.cursor !== undefined;
  }

  /** A write failed or the cursor changed under the lane: what it holds is dropped, read again. */
  get lost(): boolean {
    return this.dropped;
  }

  /** Outcomes waiting for the writer. */
  get size(): number {
    return this.queued.length;
  }

  /** Starts from the cursor just read. */
  open(cursor: { afterSeq: number; version: number }): void {
    this.cursor = cursor;
    this.upTo = cursor.afterSeq;
  }

  /** Forgets the cursor and what is queued (the lane reads everything again); call once flushed. */
  reset(): void {
    this.dropped = false;
    this.cursor = undefined;
    this.queued = [];
    this.upTo = 0;
  }

  /** Queues the outcome of the event at `seq` (none for a filtered event) and wakes the writer. */
  record(seq: number, delivery?: WebhookDelivery): void {
    if (delivery) this.queued.push(delivery);
    this.upTo = Math.max(this.upTo, seq);
    this.start();
    if (this.queued.length >= BATCH) this.hurry?.();
  }

  /** Waits until everything queued is committed (or dropped); throws a failed write's error. */
  async flush(): Promise<void> {
    if (this.cursor && (this.queued.length || this.upTo > this.cursor.afterSeq)) this.start();
    this.urgent = true;
    try {
      this.hurry?.();
      while (this.writing) await this.writing;
    } finally {
      this.urgent = false;
    }
    const err = this.writeError;
    if (err !== undefined) {
      this.writeError = undefined;
      throw err;
    }
  }

  /** Commits the queue once; false when the cursor changed under the lane (lost, queue dropped). */
  private async commit(): Promise<boolean> {
    const deliveries = this.queued;
    const afterSeq = this.upTo;
    this.queued = [];
    const cursor = this.cursor!;
    if (afterSeq <= cursor.afterSeq && !deliveries.length) return true;
    const version = await this.writer.move({ cursor: { subscriptionId: this.subscriptionId, instanceId: this.instanceId, afterSeq, expectedVersion: cursor.version }, deliveries });
    if (version === undefined) {
      this.drop();
      return false;
    }
    this.cursor = { afterSeq, version };
    return true;
  }

  private drop(): void {
    this.dropped = true;
    this.queued = [];
    this.upTo = this.cursor!.afterSeq;
  }

  private start(): void {
    if (this.writing) return;
    this.writing = (async () => {
      try {
        while (this.queued.length || this.upTo > this.cursor!.afterSeq) {
          if (!this.urgent && this.queued.length < BATCH) await this.linger();
          if (!(await this.commit())) break;
        }
      } catch (err) {
        // Kept for `flush` to throw: nobody may be awaiting this promise right now.
        this.writeError = err;
        this.drop();
      } finally {
        this.writing = undefined;
      }
    })();
  }

  /** Waits for the writer's shared tick (at most LINGER_MS), or less when hurried (a flush, a full batch). */
  private linger(): Promise<void> {
    return new Promise((resolve) => {
      let waiting = true;
      const done = () => {
        if (!waiting) return;
        waiting = false;
        if (this.hurry === done) this.hurry = undefined;
        resolve();
      };
      this.hurry = done;
      void this.writer.tick().then(done);
    });
  }
}
