import type { Store } from '../ports/store.js';
import { ulid } from '../common/ids.js';
import type { EventRecord, EventType } from './event-model.js';
import type { ClusterBus } from '../ports/cluster.js';

/** Appends events inside a store transaction; they reach listeners only after the commit. */
export type Emit = (instanceId: string, type: EventType, data: Record<string, unknown>) => Promise<EventRecord>;

export type EventListener = (event: EventRecord) => void;

export interface EventLog {
  /**
   * Runs `fn` in one store transaction with an `emit` that appends to the event log in that same
   * transaction. Listeners hear the appended events after the commit, in order.
   */
  transact<T>(fn: (tx: Store, emit: Emit) => Promise<T>, instanceId?: string): Promise<T>;
  /** Subscribes to committed events; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
  /** Reads an instance's log after a seq (or after an event id), ascending. */
  list(instanceId: string, after: { seq?: number; id?: string }, limit: number): Promise<EventRecord[]>;
  /** Events of several instances (null: all) with id > afterId (ULID order), ascending. */
  listAcross(instanceIds: string[] | null, afterId: string, limit: number): Promise<EventRecord[]>;
  /** The seq of an instance's last event (0 when none). */
  lastSeq(instanceId: string): Promise<number>;
}

/** Creates the event log over the store. `now` is injectable for tests. */
export function createEventLog(deps: {
  store: Store;
  now?: () => number;
  /**
   * Cluster mode: committed events are announced to the other nodes, whose listeners (event
   * streams, long polls, webhook lanes) hear them as if committed there. `nodeId` names this node.
   */
  bus?: ClusterBus;
  nodeId?: string;
}): EventLog {
  const { store, bus } = deps;
  const now = deps.now ?? Date.now;
  const listeners = new Set<EventListener>();
  const tell = (event: EventRecord) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not undo or block a committed change.
      }
    }
  };
  const CHANNEL = 'events.committed';
  bus?.subscribe(CHANNEL, (message) => {
    const { from, event } = JSON.parse(message) as { from: string; event: EventRecord };
    if (from !== deps.nodeId) tell(event);
  });

  return {
    async transact(fn, instanceId) {
      const appended: EventRecord[] = [];
      const result = await store.transaction(
        (tx) =>
          fn(tx, async (instanceId, type, data) => {
            const t = now();
            const record = await tx.events.append({ id: ulid(t), type, instanceId, occurredAt: new Date(t).toISOString(), data });
            appended.push(record);
            return record;
          }),
        instanceId,
      );
      for (const event of appended) {
        tell(event);
        bus?.publish(CHANNEL, JSON.stringify({ from: deps.nodeId, event }));
      }
      return result;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async list(instanceId, after, limit) {
      let afterSeq = after.seq ?? 0;
      if (after.id !== undefined) {
        const anchor = await store.events.getById(after.id);
        afterSeq = anchor && anchor.instanceId === instanceId ? anchor.seq : afterSeq;
      }
      return store.events.listAfter(instanceId, afterSeq, limit);
    },
    listAcross: (instanceIds, afterId, limit) => store.events.listAcross(instanceIds, afterId, limit),
    lastSeq: (instanceId) => store.events.lastSeq(instanceId),
  };
}
