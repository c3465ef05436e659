/**
 * Sending text, the receipts of what was sent, and checking which numbers are on WhatsApp. Every
 * sent message is logged as `message.sent` (WhatsApp's server took it); receipts the engine reports
 * later (`delivered`, `read`, `failed`) follow as `message.status`, never before the message they
 * are about, even when the engine reports them while the send is still in flight.
 */
import { DomainError } from '../common/errors.js';
import type { Instance } from '../instances/instance-model.js';
import type { EngineEvent } from '../ports/engine.js';
import type { EventLog } from '../events/event-log.js';
import type { EventRecord } from '../events/event-model.js';
import type { InstanceService } from '../instances/instance-service.js';
import { mapEngineError } from '../outcomes/outcomes.js';
import { normalizeGroupId, normalizePeople, normalizePhone } from '../common/phone.js';

export const TEXT_MAX = 20_000;

/** The message events a journal reads. */
const MESSAGE_EVENTS = new Set(['message.received', 'message.sent', 'message.status']);
const JOURNAL_PAGE = 500;

type Receipt = Extract<EngineEvent, { type: 'message.status' }>;

/** Receipts held back per instance while a send is in flight, at most this many. */
const MAX_EARLY_RECEIPTS = 1000;

export function createMessageService(deps: { instances: InstanceService; events: EventLog }) {
  const { instances, events } = deps;
  /** Sends in flight per instance, and receipts that arrived during them (for messages not logged yet). */
  const inFlight = new Map<string, { count: number; early: Receipt[] }>();

  const logReceipt = (instanceId: string, r: Receipt) =>
    events.transact((_tx, emit) =>
      emit(instanceId, 'message.status', { messageId: r.id, chatId: r.chatId, status: r.status, timestamp: new Date(r.timestamp * 1000).toISOString() }),
    );

  /** Marks a send in flight; the returned function ends it and answers the receipts held for it. */
  function begin(instanceId: string): () => Receipt[] {
    const entry = inFlight.get(instanceId) ?? { count: 0, early: [] };
    entry.count++;
    inFlight.set(instanceId, entry);
    return () => {
      entry.count--;
      const held = entry.early;
      entry.early = [];
      if (entry.count === 0) inFlight.delete(instanceId);
      return held;
    };
  }

  /** Resolves a chat id: a group id, or a person in any accepted phone form. */
  function chat(chatId: unknown): string {
    const group = normalizeGroupId(chatId);
    if (group && typeof chatId === 'string' && chatId.includes('@g.us')) return group;
    const [person] = (() => {
      try {
        return normalizePeople([chatId]);
      } catch {
        return [];
      }
    })();
    if (person) return person.jid;
    if (group) return group;
    throw new DomainError('validation_failed', `invalid chatId: ${JSON.stringify(chatId)}; use <digits>@g.us or a phone`);
  }

  return {
    chat,

    /** Logs a receipt the engine reported (held back while a send of the instance is in flight). */
    async applyReceipt(instance: Instance, receipt: Receipt): Promise<void> {
      const entry = inFlight.get(instance.id);
      if (entry) {
        if (entry.early.length < MAX_EARLY_RECEIPTS) entry.early.push(receipt);
        return;
      }
      await logReceipt(instance.id, receipt);
    },

    /** Sends a text to a group or a person; logs `message.sent`. */
    async sendText(instanceId: string, chatId: unknown, text: string): Promise<{ id: string; chatId: string; timestamp: string }> {
      if (typeof text !== 'string' || text.length === 0 || text.length > TEXT_MAX) {
        throw new DomainError('validation_failed', `text must be 1 to ${TEXT_MAX} characters`);
      }
      const to = chat(chatId);
      const { session } = await instances.session(instanceId);
      const end = begin(instanceId);
      let held: Receipt[] = [];
      try {
        let sent;
        try {
          sent = await session.sendText(to, text);
        } catch (err) {
          return mapEngineError(err, 'message');
        }
        const timestamp = new Date(sent.timestamp * 1000).toISOString();
        await events.transact((_tx, emit) => emit(instanceId, 'message.sent', { messageId: sent.id, chatId: to, timestamp, text }));
        return { id: sent.id, chatId: to, timestamp };
      } finally {
        held = end();
        for (const r of held) await logReceipt(instanceId, r);
      }
    },

    /**
     * The instance's message events (received, sent, status) that occurred at or after `since` (ms),
     * oldest first, from the event log (so no older than its retention).
     */
    async journal(instanceId: string, since: number): Promise<EventRecord[]> {
      await instances.get(instanceId);
      const out: EventRecord[] = [];
      let after = 0;
      for (;;) {
        const page = await events.list(instanceId, { seq: after }, JOURNAL_PAGE);
        for (const e of page) if (MESSAGE_EVENTS.has(e.type) && Date.parse(e.occurredAt) >= since) out.push(e);
        if (page.length < JOURNAL_PAGE) return out;
        after = page[page.length - 1]!.seq;
      }
    },

    /** Which of these numbers are on WhatsApp, with their canonical jid. */
    async checkContacts(instanceId: string, phones: unknown[]) {
      const invalid = phones.filter((p) => !normalizePhone(p));
      if (invalid.length) {
        throw new DomainError('invalid_participant', `invalid phone${invalid.length > 1 ? 's' : ''}: ${invalid.map((p) => JSON.stringify(p)).join(', ')}`, { invalid });
      }
      const digits = [...new Set(phones.map((p) => normalizePhone(p)!))];
      const { session } = await instances.session(instanceId);
      const found = await session.onWhatsApp(digits).catch((err) => mapEngineError(err, 'group'));
      return {
        results: digits.map((d) => {
          const r = found.find((f) => f.phone === d);
          return { phone: `+${d}`, registered: !!r?.registered, ...(r?.registered && r.jid ? { jid: r.jid } : {}), ...(r?.lid ? { lid: r.lid } : {}) };
        }),
      };
    },
  };
}

export type MessageService = ReturnType<typeof createMessageService>;
