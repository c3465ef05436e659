/**
 * A lane's writes: outcomes of sent events queue in the lane's outbox and one writer per lane
 * commits them (with the cursor move) in one transaction per batch, while the lane sends the next
 * events. The writer lingers a few milliseconds so a batch gathers several outcomes; whoever must
 * see them stored (a failed attempt's retry row, the lane going idle, shutdown) flushes at once. Every write moves the cursor only at the version the lane holds: when that fails (a
 * replay, a deleted subscription) the batch is dropped and the lane reads everything again; the
 * events are then sent again, which at-least-once delivery allows.
 */
import type { WebhookDelivery } from '../webhook-model.js';
import type { WebhookRepository } from '../../ports/webhook-repository.js';
import type { Lane } from './lane.js';

/** Outcomes queued at most before the lane waits for the writer. */
export const MAX_OUTBOX = 200;
/** Outcomes that make the writer commit without lingering. */
const BATCH = 100;
/** How long the writer waits for more outcomes before it commits. */
const LINGER_MS = 10;

/** Waits LINGER_MS, or less when the lane hurries the writer (a flush, a full batch). */
function linger(lane: Lane): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, LINGER_MS);
    timer.unref();
    function done() {
      clearTimeout(timer);
      lane.hurry = undefined;
      resolve();
    }
    lane.hurry = done;
  });
}

/** The writer of one repository. */
export function createLaneWriter(repo: WebhookRepository) {
  /** Commits the outbox once; false when the cursor changed under the lane (lane stale, outbox dropped). */
  async function commit(lane: Lane): Promise<boolean> {
    const deliveries = lane.outbox;
    const afterSeq = lane.outSeq;
    lane.outbox = [];
    const cursor = lane.cursor!;
    if (afterSeq <= cursor.afterSeq && !deliveries.length) return true;
    const version = await repo.moveCursor({ subscriptionId: lane.subscriptionId, instanceId: lane.instanceId, afterSeq, expectedVersion: cursor.version }, deliveries);
    if (version === undefined) {
      lane.stale = true;
      lane.outbox = [];
      lane.outSeq = cursor.afterSeq;
      return false;
    }
    lane.cursor = { afterSeq, version };
    return true;
  }

  function start(lane: Lane): void {
    if (lane.writing) return;
    lane.writing = (async () => {
      try {
        while (lane.outbox.length || lane.outSeq > lane.cursor!.afterSeq) {
          if (!lane.urgent && lane.outbox.length < BATCH) await linger(lane);
          if (!(await commit(lane))) break;
        }
      } catch (err) {
        // Kept for the lane to throw: nobody may be awaiting this promise right now.
        lane.writeError = err;
        lane.outbox = [];
        lane.outSeq = lane.cursor!.afterSeq;
        lane.stale = true;
      } finally {
        lane.writing = undefined;
      }
    })();
  }

  return {
    /** Queues the outcome of the event at `seq` (none for a filtered event) and wakes the writer. */
    record(lane: Lane, seq: number, delivery?: WebhookDelivery): void {
      if (delivery) lane.outbox.push(delivery);
      lane.outSeq = Math.max(lane.outSeq, seq);
      start(lane);
      if (lane.outbox.length >= BATCH) lane.hurry?.();
    },
    /** Waits until everything queued is committed (or dropped); throws a failed write's error. */
    async flush(lane: Lane): Promise<void> {
      if (lane.cursor && (lane.outbox.length || lane.outSeq > lane.cursor.afterSeq)) start(lane);
      lane.urgent = true;
      try {
        lane.hurry?.();
        while (lane.writing) await lane.writing;
      } finally {
        lane.urgent = false;
      }
      const err = lane.writeError;
      if (err !== undefined) {
        lane.writeError = undefined;
        throw err;
      }
    },
  };
}
