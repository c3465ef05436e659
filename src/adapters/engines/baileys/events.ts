/**
 * Baileys events -> the engine port's events. Runs one batch at a time (a serial queue), so events
 * leave in the order WhatsApp sent them and `settled()` tells when everything seen was delivered.
 *
 * Rules (see the WhatsApp reference): groups.upsert is "you created / were added / joined";
 * group-participants.update with yourself removed is `group.gone`; a partial groups.update is never
 * trusted (Baileys keeps only the first of several in one buffer window): the metadata is re-read and
 * diffed against what we held; ephemeral changes arrive as chats.update and are handled the same way.
 */
import type { BaileysEventMap, BinaryNode, GroupMetadata as WaGroupMetadata } from 'baileys';
import { GROUP_SETTING_KEYS, type EngineEvent, type EngineSink, type GroupMetadata, type Jid, type SettingsChange } from '../../../core/ports/engine.js';
import { isLid, isPn, normalizeJid, personPhone, toMetadata, toParticipant } from './convert.js';
import type { LidMap } from './lid-map.js';

export interface TranslatorContext {
  sink: EngineSink;
  lids: LidMap;
  cache: Map<string, WaGroupMetadata>;
  me: () => Jid;
  /** Re-reads one group's metadata (an IQ); rejects when we are no longer in it. */
  fetchMetadata: (groupId: Jid) => Promise<WaGroupMetadata>;
  onError: (err: unknown, what: string) => void;
}

/** Attributes of the latest `w:gp2` notification per group, read at the stanza level. */
interface NotificationHint {
  actor?: Jid;
  createType?: string;
  createReason?: string;
}

/** Creates the translator; feed it with `push(events)` from `sock.ev.process`. */
export function createEventTranslator(ctx: TranslatorContext) {
  const { lids, cache } = ctx;
  const hints = new Map<string, NotificationHint>();
  let chain: Promise<void> = Promise.resolve();

  const emit = (event: EngineEvent) => ctx.sink(event);
  const isMe = (phoneJid: string | undefined) => !!phoneJid && phoneJid === ctx.me();

  /** The stanza-level view of a group notification (create type/reason, actor with its phone). */
  function observeNotification(node: BinaryNode): void {
    const groupId = normalizeJid(node.attrs.from);
    if (!groupId) return;
    const child = Array.isArray(node.content) ? node.content[0] : undefined;
    // The stanza names each person in both forms (LID groups: jid + phone_number; phone-number
    // groups: jid + lid); Baileys keeps only one of them for some notifications.
    for (const p of Array.isArray(child?.content) ? child.content : []) {
      if (p.tag !== 'participant') continue;
      const id = normalizeJid(p.attrs.jid);
      lids.learn(isLid(id) ? id : normalizeJid(p.attrs.lid), isLid(id) ? normalizeJid(p.attrs.phone_number) : id);
    }
    hints.set(groupId, {
      actor: node.attrs.participant || node.attrs.participant_pn ? personPhone(node.attrs.participant, node.attrs.participant_pn, lids) : undefined,
      createType: child?.tag === 'create' ? child.attrs.type : undefined,
      createReason: child?.tag === 'create' ? child.attrs.reason : undefined,
    });
  }

  async function upsert(m: BaileysEventMap['groups.upsert'][number]): Promise<void> {
    cache.set(m.id, m);
    const hint = hints.get(m.id);
    const actor = m.author || m.authorPn ? personPhone(m.author, m.authorPn, lids) : hint?.actor;
    const group = toMetadata(m, lids);
    let reason: 'created' | 'added' | 'joined';
    if (hint?.createType === 'new') reason = 'created';
    else if (hint?.createReason === 'invite' || isMe(actor)) reason = 'joined';
    else reason = 'added';
    await emit({ type: 'group.upsert', group, reason, ...(actor ? { actor } : {}) });
  }

  async function participants(u: BaileysEventMap['group-participants.update']): Promise<void> {
    const actor = u.author || u.authorPn ? personPhone(u.author, u.authorPn, lids) : hints.get(u.id)?.actor;
    const people = u.participants.map((p) => toParticipant(p, lids));
    const meIncluded = people.some((p) => isMe(p.phoneJid));
    const meta = cache.get(u.id);
    if (u.action === 'remove' && meIncluded) {
      cache.delete(u.id);
      await emit({ type: 'group.gone', groupId: u.id, reason: isMe(actor) ? 'left' : 'removed', ...(actor ? { actor } : {}) });
      return;
    }
    if (u.action === 'add' && meIncluded) return; // our own arrival is the groups.upsert
    if (meta) patchCache(meta, u.action, people);
    if (u.action !== 'add' && u.action !== 'remove' && u.action !== 'promote' && u.action !== 'demote') return;
    const action = u.action === 'remove' && people.length === 1 && actor && people[0]!.phoneJid === actor ? 'leave' : u.action;
    await emit({ type: 'group.participants', groupId: u.id, action, participants: people, ...(actor ? { actor } : {}) });
  }

  function patchCache(meta: WaGroupMetadata, action: string, people: ReturnType<typeof toParticipant>[]): void {
    const same = (p: WaGroupMetadata['participants'][number], q: (typeof people)[number]) => {
      const id = normalizeJid(p.id);
      return id === q.lid || id === q.phoneJid || normalizeJid(p.phoneNumber) === q.phoneJid;
    };
    if (action === 'add') {
      for (const q of people) {
        if (meta.participants.some((p) => same(p, q))) continue;
        // In the group's own addressing, as WhatsApp lists members: Baileys sends to these ids.
        const byLid = meta.addressingMode === 'lid';
        const id = byLid ? (q.lid ?? q.phoneJid) : (q.phoneJid ?? q.lid);
        if (!id) continue;
        meta.participants.push({ id, ...(byLid ? (q.phoneJid ? { phoneNumber: q.phoneJid } : {}) : q.lid ? { lid: q.lid } : {}), admin: null });
      }
    } else if (action === 'remove') {
      meta.participants = meta.participants.filter((p) => !people.some((q) => same(p, q)));
    } else if (action === 'promote' || action === 'demote') {
      for (const p of meta.participants) if (people.some((q) => same(p, q))) p.admin = action === 'promote' ? 'admin' : null;
    }
  }

  /** Re-reads a group and reports what changed since the metadata we held. */
  async function refresh(groupId: Jid, actor: Jid | undefined): Promise<void> {
    const before = cache.get(groupId);
    let fresh: WaGroupMetadata;
    try {
      fresh = await ctx.fetchMetadata(groupId);
    } catch (err) {
      ctx.onError(err, `re-reading ${groupId}`);
      return;
    }
    cache.set(groupId, fresh);
    if (!before) return;
    const changes = diff(toMetadata(before, lids), toMetadata(fresh, lids));
    if (Object.keys(changes).length === 0) return;
    await emit({ type: 'group.update', groupId, changes, ...(actor ? { actor } : {}) });
  }

  async function groupsUpdate(updates: BaileysEventMap['groups.update']): Promise<void> {
    const seen = new Set<string>();
    for (const u of updates) {
      if (!u.id) continue;
      // A full refresh (Baileys refetches every group when WhatsApp flags them "dirty"): report each
      // group as seen, so the core compares it with what it stored.
      if (Array.isArray(u.participants)) {
        const meta = u as WaGroupMetadata;
        cache.set(meta.id, meta);
        await emit({ type: 'group.upsert', group: toMetadata(meta, lids), reason: 'sync' });
        continue;
      }
      const actor = u.author || u.authorPn ? personPhone(u.author, u.authorPn, lids) : hints.get(u.id)?.actor;
      if (u.inviteCode !== undefined) {
        await emit({ type: 'group.invite_code', groupId: u.id, ...(u.inviteCode ? { code: u.inviteCode } : {}), ...(actor ? { actor } : {}) });
        continue;
      }
      if (seen.has(u.id)) continue;
      seen.add(u.id);
      await refresh(u.id, actor);
    }
  }

  async function joinRequest(r: BaileysEventMap['group.join-request']): Promise<void> {
    const actor = r.author || r.authorPn ? personPhone(r.author, r.authorPn, lids) : undefined;
    // In a phone-number-addressed group Baileys' `participant` is the phone jid, not a LID.
    const named = normalizeJid(r.participant);
    const phoneJid = normalizeJid(r.participantPn) ?? (isPn(named) ? named : lids.phoneOf(named));
    const lid = isLid(named) ? named : lids.lidOf(phoneJid);
    lids.learn(lid, phoneJid);
    let action: 'created' | 'revoked' | 'approved' | 'rejected' = r.action === 'created' ? 'created' : r.action === 'revoked' ? 'revoked' : 'rejected';
    // WhatsApp closes a request the same way whether an admin approved or rejected it: an approved
    // person is a member by now (the add notification comes first).
    if (action === 'rejected') {
      const meta = cache.get(r.id);
      if (meta?.participants.some((p) => normalizeJid(p.id) === lid || normalizeJid(p.phoneNumber) === phoneJid || (phoneJid && normalizeJid(p.id) === phoneJid)))
        action = 'approved';
    }
    const participant = { ...(phoneJid ? { phoneJid } : {}), ...(lid && isLid(lid) ? { lid } : {}) };
    await emit({ type: 'group.join_request', groupId: r.id, action, participant, ...(actor ? { actor } : {}), ...(r.method ? { method: r.method } : {}) });
  }

  async function messages(u: BaileysEventMap['messages.upsert']): Promise<void> {
    if (u.type !== 'notify') return;
    for (const msg of u.messages) {
      const key = msg.key;
      const m = msg.message;
      if (!key?.remoteJid || key.fromMe || !m || msg.messageStubType) continue;
      const text = m.conversation ?? m.extendedTextMessage?.text ?? undefined;
      const inv = m.groupInviteMessage;
      if (text == null && !inv) continue;
      const remote = normalizeJid(key.remoteJid)!;
      const chatId = remote.endsWith('@g.us') ? remote : (personPhone(remote, (key as { remoteJidAlt?: string }).remoteJidAlt, lids) ?? remote);
      const from = remote.endsWith('@g.us') ? (personPhone(key.participant ?? undefined, (key as { participantAlt?: string }).participantAlt, lids) ?? remote) : chatId;
      const ts = msg.messageTimestamp;
      const timestamp = typeof ts === 'number' ? ts : ts ? Number(ts.toString()) : 0;
      await emit({
        type: 'message',
        id: key.id ?? '',
        chatId,
        from,
        fromMe: false,
        timestamp,
        ...(msg.pushName ? { pushName: msg.pushName } : {}),
        ...(text != null ? { text } : {}),
        ...(inv
          ? {
              groupInvite: {
                groupId: inv.groupJid ?? '',
                code: inv.inviteCode ?? '',
                expiration: Number(inv.inviteExpiration ?? 0),
                groupName: inv.groupName ?? '',
                ...(inv.caption ? { caption: inv.caption } : {}),
              },
            }
          : {}),
      });
    }
  }

  /** Receipts of messages this account sent: WhatsApp's delivery (3), read (4) and played (5) acks, and errors. */
  async function receipts(updates: BaileysEventMap['messages.update']): Promise<void> {
    for (const { key, update } of updates) {
      if (!key?.fromMe || !key.id || !key.remoteJid || update.status == null) continue;
      const status = update.status >= 4 ? 'read' : update.status === 3 ? 'delivered' : update.status === 0 ? 'failed' : undefined;
      if (!status) continue; // pending and server acks: the send itself answered those
      const remote = normalizeJid(key.remoteJid)!;
      const chatId = remote.endsWith('@g.us') ? remote : (personPhone(remote, (key as { remoteJidAlt?: string }).remoteJidAlt, lids) ?? remote);
      await emit({ type: 'message.status', id: key.id, chatId, status, timestamp: Math.floor(Date.now() / 1000) });
    }
  }

  async function handle(events: Partial<BaileysEventMap>): Promise<void> {
    // Order matters: arrivals before changes before departures within one flushed batch.
    for (const m of events['groups.upsert'] ?? []) await upsert(m);
    if (events['group-participants.update']) await participants(events['group-participants.update']);
    if (events['groups.update']) await groupsUpdate(events['groups.update']);
    if (events['group.join-request']) await joinRequest(events['group.join-request']);
    for (const chat of events['chats.update'] ?? []) {
      if (chat.id?.endsWith('@g.us') && chat.ephemeralExpiration !== undefined) await refresh(chat.id, hints.get(chat.id)?.actor);
    }
    if (events['messages.upsert']) await messages(events['messages.upsert']);
    if (events['messages.update']) await receipts(events['messages.update']);
  }

  return {
    observeNotification,
    /** Runs `work` after everything queued so far (one at a time, in order). */
    enqueue(work: () => Promise<void>): void {
      chain = chain.then(work).catch((err) => ctx.onError(err, 'handling WhatsApp events'));
    },
    /** Translates a flushed batch of Baileys events (call from inside `enqueue`). */
    handle,
    /** Resolves once every batch pushed so far has been delivered to the sink. */
    settled: async (): Promise<void> => {
      let current: Promise<void>;
      do {
        current = chain;
        await current;
      } while (current !== chain);
    },
  };
}

/** The port-level changes between two metadata snapshots (only what changed). */
export function diff(before: GroupMetadata, after: GroupMetadata): Partial<Pick<GroupMetadata, 'subject' | 'description'>> & SettingsChange {
  const changes: Partial<Pick<GroupMetadata, 'subject' | 'description'>> & SettingsChange = {};
  if (before.subject !== after.subject) changes.subject = after.subject;
  if (before.description !== after.description) changes.description = after.description;
  for (const key of GROUP_SETTING_KEYS) {
    if (before.settings[key] !== after.settings[key]) (changes as Record<string, unknown>)[key] = after.settings[key];
  }
  return changes;
}

export type EventTranslator = ReturnType<typeof createEventTranslator>;
