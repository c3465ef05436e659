/**
 * Green API's notification queue, served from the instance's event log: FIFO, one receipt per
 * event (its seq), items older than 24 hours never served, deleted receipts remembered in the store.
 * A long poll subscribes to the log before looking, so an event committed while it waits wakes it at
 * once. While the instance's Green API webhookUrl is set, the queue stays empty (webhooks carry them).
 */
import type { EventLog } from '../../core/events/event-log.js';
import type { Instance } from '../../core/instances/instance-model.js';
import type { InstanceService } from '../../core/instances/instance-service.js';
import type { GreenApiQueueRepository } from './tables.js';
import { greenApiWebhookBody, greenSettings } from './wire-format.js';

const RETENTION_MS = 24 * 60 * 60 * 1000;
const PAGE = 200;

export interface QueueItem {
  receiptId: number;
  body: Record<string, unknown>;
}

export interface GreenQueueDeps {
  events: EventLog;
  instances: Pick<InstanceService, 'get'>;
  repo: GreenApiQueueRepository;
  now: () => number;
}

export function createGreenQueue(deps: GreenQueueDeps) {
  const { events, instances, repo, now } = deps;
  const polls = new Set<AbortController>();

  /** The oldest item still to serve, raising the floor past everything that can never be served. */
  async function next(instance: Instance): Promise<QueueItem | null> {
    if (greenSettings(instance).webhookUrl) return null;
    const { floor, deleted } = await repo.state(instance.id);
    const cutoff = now() - RETENTION_MS;
    let after = floor;
    let done = floor;
    let found: QueueItem | null = null;
    while (!found) {
      const page = await events.list(instance.id, { seq: after }, PAGE);
      for (const event of page) {
        after = event.seq;
        const body = deleted.has(event.seq) || Date.parse(event.occurredAt) < cutoff ? null : greenApiWebhookBody(instance, event);
        if (body) {
          found = { receiptId: event.seq, body };
          break;
        }
        // Deleted, expired or a kind Green API does not send: never served, so the floor may pass it
        // (everything before the first servable item is such an event).
        done = event.seq;
      }
      if (page.length < PAGE) break;
    }
    if (done > floor) await repo.raiseFloor(instance.id, done);
    return found;
  }

  return {
    next,

    /** Waits up to `timeoutSeconds` for an item; null when none arrived or the poll was aborted. */
    async receive(instanceId: string, timeoutSeconds: number, signal?: AbortSignal): Promise<QueueItem | null> {
      const controller = new AbortController();
      const abort = () => controller.abort();
      signal?.addEventListener('abort', abort);
      polls.add(controller);
      let wake: () => void = () => {};
      // Looked up at call time, so a test can watch the subscription.
      const unsubscribe = events.subscribe((event) => {
        if (event.instanceId === instanceId) wake();
      });
      const deadline = Date.now() + timeoutSeconds * 1000;
      let timer: NodeJS.Timeout | undefined;
      controller.signal.addEventListener('abort', () => wake(), { once: true });
      try {
        for (;;) {
          const woken = new Promise<void>((resolve) => {
            wake = resolve;
          });
          const item = await next(await instances.get(instanceId));
          if (item) return item;
          const remaining = deadline - Date.now();
          if (remaining <= 0 || controller.signal.aborted) return null;
          let timedOut = false;
          await Promise.race([
            woken,
            new Promise<void>((resolve) => {
              timer = setTimeout(() => {
                timedOut = true;
                resolve();
              }, remaining);
            }),
          ]);
          clearTimeout(timer);
          if (timedOut || controller.signal.aborted) return null;
        }
      } finally {
        clearTimeout(timer);
        unsubscribe();
        polls.delete(controller);
        signal?.removeEventListener('abort', abort);
      }
    },

    /** Deletes a receipt; false when it is unknown or already deleted. */
    async delete(instanceId: string, receiptId: number): Promise<boolean> {
      if (!Number.isSafeInteger(receiptId) || receiptId < 1) return false;
      if (receiptId > (await events.lastSeq(instanceId))) return false;
      return repo.markDeleted(instanceId, receiptId, new Date(now()).toISOString());
    },

    /** Drops everything queued so far (the webhook took over, or was just removed). */
    async skipAll(instanceId: string): Promise<void> {
      await repo.raiseFloor(instanceId, await events.lastSeq(instanceId));
    },

    /** Ends every waiting poll (shutdown). */
    abortAll(): void {
      for (const c of polls) c.abort();
    },
  };
}

export type GreenQueue = ReturnType<typeof createGreenQueue>;
