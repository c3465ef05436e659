/**
 * What a client can see and do about deliveries: the history, a manual retry, a replay from an
 * event or a time, a test ping (sent through the transport port), and the lag of each
 * (subscription, instance) lane. The background sending is the worker in `delivery/`.
 */
import type { Store } from '../ports/store.js';
import type { Principal } from '../access/access-service.js';
import { DomainError } from '../common/errors.js';
import { ulid } from '../common/ids.js';
import type { DeliveryQuery, WebhookCursor, WebhookDelivery, WebhookSubscription } from './webhook-model.js';
import type { WebhookRepository } from '../ports/webhook-repository.js';
import type { SendResult, WebhookTransport } from '../ports/webhook-transport.js';
import { isEventId } from './webhook-rules.js';

/** A delivery as the API shows it. */
export type DeliveryView = Omit<WebhookDelivery, 'updatedAt'>;

export interface LagEntry {
  subscriptionId: string;
  instanceId: string;
  /** Events of the instance's log not yet delivered (or dead-lettered, or skipped) to the subscription. */
  lag: number;
}

export interface DeliveryService {
  deliveries(principal: Principal, id: string, query: DeliveryQuery): Promise<DeliveryView[]>;
  /** Sends a delivery again as soon as possible (it goes before later events of its instance). */
  retry(principal: Principal, id: string, deliveryId: string): Promise<DeliveryView>;
  /** Delivers again every event from an event id or an ISO time; pending deliveries are cancelled. */
  replay(principal: Principal, id: string, from: string): Promise<{ instances: { instanceId: string; fromSeq: number }[]; cancelled: number }>;
  /** Sends a `webhook.test` message now and answers what the receiver said. */
  test(principal: Principal, id: string): Promise<SendResult & { deliveryId: string }>;
  /** Lag of one subscription's lanes. */
  lagOf(principal: Principal, id: string): Promise<LagEntry[]>;
  /** Lag of every enabled subscription's lanes (for metrics). */
  lag(): Promise<LagEntry[]>;
}

export const deliveryView = ({ updatedAt: _updatedAt, ...view }: WebhookDelivery): DeliveryView => view;

/** Builds the delivery side of the webhook service. */
export function createDeliveryService(deps: {
  repo: WebhookRepository;
  store: Store;
  find: (principal: Principal, id: string) => Promise<WebhookSubscription>;
  now: () => number;
  transport: WebhookTransport;
  changed: (id: string) => void;
}): DeliveryService {
  const { repo, store, find, now, changed } = deps;
  const iso = () => new Date(now()).toISOString();

  async function lanes(sub: WebhookSubscription): Promise<string[]> {
    if (sub.instances) {
      const found = await store.instances.list(sub.instances);
      return sub.instances.filter((id) => found.some((i) => i.id === id));
    }
    return (await store.instances.list()).map((i) => i.id);
  }

  async function lagFor(subs: WebhookSubscription[]): Promise<LagEntry[]> {
    if (!subs.length) return [];
    const cursors = await repo.listCursors(subs.length === 1 ? subs[0]!.id : undefined);
    const pending = await repo.pendingCounts();
    const lastSeq = new Map<string, number>();
    const out: LagEntry[] = [];
    for (const sub of subs) {
      for (const instanceId of await lanes(sub)) {
        if (!lastSeq.has(instanceId)) lastSeq.set(instanceId, await store.events.lastSeq(instanceId));
        const cursor = cursors.find((c) => c.subscriptionId === sub.id && c.instanceId === instanceId)?.afterSeq ?? 0;
        const waiting = pending.find((p) => p.subscriptionId === sub.id && p.instanceId === instanceId)?.count ?? 0;
        out.push({ subscriptionId: sub.id, instanceId, lag: Math.max(0, lastSeq.get(instanceId)! - cursor) + waiting });
      }
    }
    return out;
  }

  return {
    async deliveries(principal, id, query) {
      await find(principal, id);
      return (await repo.listDeliveries(id, query)).map(deliveryView);
    },

    async retry(principal, id, deliveryId) {
      await find(principal, id);
      const d = await repo.getDelivery(deliveryId);
      if (!d || d.subscriptionId !== id) throw new DomainError('delivery_not_found', `no such delivery: ${deliveryId}`);
      if (d.status === 'skipped') throw new DomainError('conflict', 'this event has no shape in the subscription format: there is nothing to send');
      if (d.instanceId === null) throw new DomainError('conflict', 'a test ping is not retried; send a new one with POST /api/webhooks/{id}/test');
      let at = iso();
      if (at === d.updatedAt) at = new Date(now() + 1).toISOString();
      // A retried delivery gets a fresh 24 h window from now.
      const patch: Partial<WebhookDelivery> = { status: 'pending', nextAttemptAt: at, firstAttemptAt: null, lastError: null, updatedAt: at };
      await repo.updateDelivery(deliveryId, patch);
      changed(id);
      return deliveryView({ ...d, ...patch });
    },

    async replay(principal, id, from) {
      const sub = await find(principal, id);
      let anchor: { id?: string; at?: string };
      let anchorEvent: { instanceId: string; seq: number } | undefined;
      if (isEventId(from)) {
        const event = await repo.getEvent(from);
        if (!event || !(await lanes(sub)).includes(event.instanceId)) throw new DomainError('event_not_found', `no such event in this subscription's log: ${from}`);
        anchor = { id: from };
        anchorEvent = event;
      } else {
        const t = Date.parse(from);
        if (!/^\d{4}-\d{2}-\d{2}T/.test(from) || Number.isNaN(t)) {
          throw new DomainError('validation_failed', 'from must be an event id or an ISO-8601 time such as 2026-11-22T10:00:00Z');
        }
        anchor = { at: new Date(t).toISOString() };
      }
      const cursors: WebhookCursor[] = [];
      for (const instanceId of await lanes(sub)) {
        const afterSeq = anchorEvent?.instanceId === instanceId ? anchorEvent.seq - 1 : await repo.seqBefore(instanceId, anchor);
        cursors.push({ subscriptionId: id, instanceId, afterSeq });
      }
      const cancelled = await repo.rewind(id, cursors, iso());
      changed(id);
      return { instances: cursors.map((c) => ({ instanceId: c.instanceId, fromSeq: c.afterSeq + 1 })), cancelled };
    },

    async test(principal, id) {
      const sub = await find(principal, id);
      // A disabled subscription sends nothing, the ping included (else it is a probe that ignores the switch).
      if (!sub.enabled) throw new DomainError('conflict', 'this subscription is disabled; enable it before sending a test ping');
      const t = now();
      const message = { id: ulid(t), body: { id: '', type: 'webhook.test', instanceId: null, occurredAt: new Date(t).toISOString(), data: { subscriptionId: id } }, at: t };
      message.body.id = message.id;
      const result = await deps.transport.send(sub, message);
      const at = new Date(now()).toISOString();
      const delivery: WebhookDelivery = {
        id: ulid(t),
        subscriptionId: id,
        instanceId: null,
        eventId: message.id,
        eventSeq: null,
        eventType: 'webhook.test',
        status: result.ok ? 'delivered' : 'failed',
        attempts: 1,
        firstAttemptAt: at,
        lastAttemptAt: at,
        nextAttemptAt: null,
        lastStatusCode: result.statusCode,
        lastError: result.error,
        createdAt: at,
        updatedAt: at,
      };
      await repo.insertDelivery(delivery);
      return { ...result, deliveryId: delivery.id };
    },

    async lagOf(principal, id) {
      return lagFor([await find(principal, id)]);
    },

    async lag() {
      return lagFor((await repo.listSubscriptions()).filter((s) => s.enabled));
    },
  };
}
