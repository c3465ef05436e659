/**
 * Applies what an engine reports (its own results and other members' actions) to the group store
 * and the event log, in one transaction per change. Idempotent on state: applying what the store
 * already shows changes nothing and logs nothing, so an action reported twice (once as the result
 * of our own request, once as the engine's notification) is logged once.
 */
import type { EngineEvent, GroupParticipant, ParticipantRole } from '../ports/engine.js';
import type { Store } from '../ports/store.js';
import type { Emit, EventLog } from '../events/event-log.js';
import type { Instance } from '../instances/instance-model.js';
import type { StoredGroup, StoredParticipant } from './group-model.js';
import { actorView, fromMetadata, isMe, personView, sameFields, sameParticipants, samePerson, toStoredParticipant } from './group-records.js';

export { fromMetadata, isMe, personView, type PersonView } from './group-records.js';

/** Thrown by the dry run of `apply` at its first write: the event would change something. */
class WouldWrite extends Error {}

export interface ApplyOptions {
  /**
   * The event may already be applied: it is the core's own result of a call whose engine
   * notification usually arrives (and is applied) before the call returns. The committed state is
   * read first, outside any write transaction, and the event is applied only if it would change it.
   */
  maybeApplied?: boolean;
}

/** What the core passes when it applies the result of its own engine call. */
export const OWN_RESULT: ApplyOptions = { maybeApplied: true };

export interface GroupSync {
  /** Applies one engine event for an instance. */
  apply(instance: Instance, event: EngineEvent, options?: ApplyOptions): Promise<void>;
  /**
   * Applies engine notifications in order, in one transaction: as one `apply` each would. When one
   * fails, each is applied on its own (the others still land) and the first error is thrown.
   */
  applyAll(instance: Instance, events: EngineEvent[]): Promise<void>;
  /** Stores a new invite code the instance obtained itself. */
  setInviteCode(instance: Instance, groupId: string, code: string | null): Promise<void>;
}

export function createGroupSync(deps: { events: EventLog; store?: Store }): GroupSync {
  const { events, store } = deps;

  async function upsert(tx: Store, emit: Emit, instance: Instance, ev: Extract<EngineEvent, { type: 'group.upsert' }>) {
    // A group we just created, joined or were added to is usually new here: stored without a read first.
    if (ev.reason !== 'sync' && tx.groups.insertNew) {
      const next = fromMetadata(instance, ev.group, null);
      if (await tx.groups.insertNew(next)) return emitNew(emit, instance, ev, next);
    }
    const existing = await tx.groups.get(instance.id, ev.group.id);
    const next = fromMetadata(instance, ev.group, existing?.inviteCode ?? null);
    if (!existing || !sameParticipants(existing.participants, next.participants)) {
      await tx.groups.put(next, { isNew: !existing });
    } else {
      // Same people in the same order: rewrite only the group row, and only when a field changed.
      const { instanceId: _i, id: _g, participants: _p, ...fields } = next;
      if (!sameFields(existing, next)) await tx.groups.update(instance.id, next.id, fields);
    }
    if (!existing) return emitNew(emit, instance, ev, next);
    await emitDiff(emit, instance, existing, next, ev.actor);
  }

  async function emitNew(emit: Emit, instance: Instance, ev: Extract<EngineEvent, { type: 'group.upsert' }>, group: StoredGroup) {
    await emit(instance.id, ev.reason === 'created' ? 'group.created' : 'group.joined', {
      groupId: group.id,
      name: group.subject,
      reason: ev.reason,
      actor: actorView(ev.actor),
      size: group.size,
      participants: group.participants.map((p) => ({ ...personView(p), role: p.role })),
    });
  }

  async function emitDiff(emit: Emit, instance: Instance, before: StoredGroup, after: StoredGroup, actor?: string) {
    const groupId = after.id;
    const changes: Record<string, unknown> = {};
    if (before.subject !== after.subject) changes.name = after.subject;
    if (before.description !== after.description) changes.description = after.description;
    for (const k of Object.keys(after.settings) as (keyof StoredGroup['settings'])[]) {
      if (before.settings[k] !== after.settings[k]) changes[k] = after.settings[k];
    }
    if (Object.keys(changes).length) await emit(instance.id, 'group.updated', { groupId, changes, actor: actorView(actor) });
    const added = after.participants.filter((p) => !before.participants.some((q) => samePerson(p, q)));
    const removed = before.participants.filter((p) => !after.participants.some((q) => samePerson(p, q)));
    const promoted = after.participants.filter((p) => before.participants.some((q) => samePerson(p, q) && q.role === 'member' && p.role !== 'member'));
    const demoted = after.participants.filter((p) => before.participants.some((q) => samePerson(p, q) && q.role !== 'member' && p.role === 'member'));
    const list = (ps: StoredParticipant[]) => ps.map(personView);
    if (added.length) await emit(instance.id, 'group.participants.added', { groupId, participants: list(added), actor: actorView(actor) });
    if (removed.length) await emit(instance.id, 'group.participants.removed', { groupId, participants: list(removed), actor: actorView(actor) });
    if (promoted.length) await emit(instance.id, 'group.participants.promoted', { groupId, participants: list(promoted), actor: actorView(actor) });
    if (demoted.length) await emit(instance.id, 'group.participants.demoted', { groupId, participants: list(demoted), actor: actorView(actor) });
  }

  async function participants(tx: Store, emit: Emit, instance: Instance, ev: Extract<EngineEvent, { type: 'group.participants' }>) {
    const group = await tx.groups.get(instance.id, ev.groupId);
    if (!group) return; // not (yet) known here: our own membership arrives as group.upsert
    const actor = actorView(ev.actor);
    const groupId = group.id;
    const present = (p: GroupParticipant) => group.participants.find((q) => samePerson(p, q));
    switch (ev.action) {
      case 'add': {
        const fresh = ev.participants.filter((p) => !present(p));
        // Known people whose other identifier we just learned are updated silently.
        const learned = ev.participants.filter((p) => {
          const q = present(p);
          return q && ((!q.lid && p.lid) || (!q.phoneJid && p.phoneJid));
        });
        if (fresh.length + learned.length === 0) return;
        await tx.groups.putParticipants(instance.id, groupId, [...fresh, ...learned].map(toStoredParticipant));
        if (fresh.length) await emit(instance.id, 'group.participants.added', { groupId, participants: fresh.map(personView), actor });
        return;
      }
      case 'remove':
      case 'leave': {
        const gone = ev.participants.filter((p) => present(p));
        if (gone.length === 0) return;
        if (gone.some((p) => isMe(instance, p))) {
          await tx.groups.delete(instance.id, groupId);
          await emit(instance.id, 'group.left', { groupId, name: group.subject, reason: ev.action === 'leave' ? 'left' : 'removed', actor });
          return;
        }
        await tx.groups.deleteParticipants(instance.id, groupId, gone);
        await emit(instance.id, ev.action === 'leave' ? 'group.participants.left' : 'group.participants.removed', {
          groupId,
          participants: gone.map(personView),
          actor,
        });
        return;
      }
      case 'promote':
      case 'demote': {
        const changed: StoredParticipant[] = [];
        for (const p of ev.participants) {
          const q = present(p);
          if (!q) continue;
          const role: ParticipantRole = ev.action === 'promote' ? (q.role === 'superadmin' ? 'superadmin' : 'admin') : 'member';
          if (q.role !== role) changed.push({ ...q, role });
        }
        if (changed.length === 0) return;
        await tx.groups.putParticipants(instance.id, groupId, changed);
        const mine = changed.find((p) => isMe(instance, p));
        if (mine) await tx.groups.update(instance.id, groupId, { myRole: mine.role, ...(mine.role === 'member' ? { inviteCode: null } : {}) });
        await emit(instance.id, ev.action === 'promote' ? 'group.participants.promoted' : 'group.participants.demoted', {
          groupId,
          participants: changed.map(personView),
          actor,
        });
        return;
      }
    }
  }

  async function update(tx: Store, emit: Emit, instance: Instance, ev: Extract<EngineEvent, { type: 'group.update' }>) {
    const group = await tx.groups.get(instance.id, ev.groupId);
    if (!group) return;
    const { subject, description, ...settingsChange } = ev.changes;
    const next: StoredGroup = {
      ...group,
      subject: subject ?? group.subject,
      description: description ?? group.description,
      settings: { ...group.settings, ...Object.fromEntries(Object.entries(settingsChange).filter(([, v]) => v !== undefined)) },
    };
    const changes: Record<string, unknown> = {};
    if (next.subject !== group.subject) changes.name = next.subject;
    if (next.description !== group.description) changes.description = next.description;
    for (const k of Object.keys(next.settings) as (keyof StoredGroup['settings'])[]) {
      if (next.settings[k] !== group.settings[k]) changes[k] = next.settings[k];
    }
    if (Object.keys(changes).length === 0) return;
    const subjectChanged = changes.name !== undefined;
    await tx.groups.update(instance.id, group.id, {
      subject: next.subject,
      description: next.description,
      settings: next.settings,
      ...(subjectChanged ? { subjectOwner: ev.actor ?? null, subjectTime: new Date().toISOString() } : {}),
    });
    await emit(instance.id, 'group.updated', { groupId: group.id, changes, actor: actorView(ev.actor) });
  }

  /** A read-only view of the committed store whose writes (and emits) stop the dry run. */
  function dryRun(base: Store): { tx: Store; emit: Emit } {
    const stop = async (): Promise<never> => {
      throw new WouldWrite();
    };
    const groups = {
      ...base.groups,
      // Inserting nothing is no write: a group that exists is not inserted.
      insertNew: async (group: StoredGroup) => ((await base.groups.get(group.instanceId, group.id)) ? false : stop()),
      put: stop,
      update: stop,
      putParticipants: stop,
      deleteParticipants: stop,
      delete: stop,
      deleteAll: stop,
    };
    return { tx: { ...base, groups, transaction: stop }, emit: stop };
  }

  /** Whether applying the event to the committed state would change nothing (no write, no event). */
  async function isNoop(base: Store, instance: Instance, event: EngineEvent): Promise<boolean> {
    const { tx, emit } = dryRun(base);
    try {
      await run(tx, emit, instance, event);
      return true;
    } catch (err) {
      if (err instanceof WouldWrite) return false;
      throw err;
    }
  }

  async function run(tx: Store, emit: Emit, instance: Instance, event: EngineEvent): Promise<void> {
    switch (event.type) {
      case 'connection':
        return; // the instance service handles connection status
      case 'message.status':
        return; // the message service logs receipts, after the message they are about
      case 'group.upsert':
        return upsert(tx, emit, instance, event);
      case 'group.gone': {
        const group = await tx.groups.get(instance.id, event.groupId);
        if (!group) return;
        await tx.groups.delete(instance.id, event.groupId);
        await emit(instance.id, 'group.left', { groupId: event.groupId, name: group.subject, reason: event.reason, actor: actorView(event.actor) });
        return;
      }
      case 'group.participants':
        return participants(tx, emit, instance, event);
      case 'group.update':
        return update(tx, emit, instance, event);
      case 'group.invite_code': {
        const group = await tx.groups.get(instance.id, event.groupId);
        if (!group) return;
        // The same reset reported twice (our own result, then the notification) is one change.
        if (event.code !== undefined && group.inviteCode === event.code) return;
        // Only admins may read the code; without the new code the next read asks the engine.
        const code = group.myRole !== 'member' ? (event.code ?? null) : null;
        if (group.inviteCode !== code) await tx.groups.update(instance.id, group.id, { inviteCode: code });
        await emit(instance.id, 'group.invite_code.changed', { groupId: group.id, actor: actorView(event.actor) });
        return;
      }
      case 'group.join_request': {
        await emit(instance.id, `group.join_request.${event.action}`, {
          groupId: event.groupId,
          participant: personView(event.participant),
          actor: actorView(event.actor),
          ...(event.method ? { method: event.method } : {}),
        });
        return;
      }
      case 'message': {
        if (event.fromMe) return;
        // The chat's name as the account sees it: the group's subject, or the sender's push name.
        const group = event.chatId.endsWith('@g.us') ? await tx.groups.get(instance.id, event.chatId) : undefined;
        const chatName = group ? group.subject : (event.pushName ?? '');
        await emit(instance.id, 'message.received', {
          messageId: event.id,
          chatId: event.chatId,
          from: actorView(event.from),
          senderName: event.pushName ?? '',
          chatName,
          timestamp: new Date(event.timestamp * 1000).toISOString(),
          ...(event.text !== undefined ? { text: event.text } : {}),
          ...(event.groupInvite
            ? {
                groupInvite: {
                  groupId: event.groupInvite.groupId,
                  code: event.groupInvite.code,
                  expiration: new Date(event.groupInvite.expiration * 1000).toISOString(),
                  groupName: event.groupInvite.groupName,
                },
              }
            : {}),
        });
        return;
      }
    }
  }

  async function apply(instance: Instance, event: EngineEvent, options?: ApplyOptions): Promise<void> {
    if (event.type === 'connection' || event.type === 'message.status') return;
    // Reading the committed state and finding nothing to do is the same as applying the event at
    // that moment; skipping it also keeps a stale result from undoing a later notification.
    if (options?.maybeApplied && store && event.type !== 'message' && event.type !== 'group.join_request' && (await isNoop(store, instance, event))) return;
    await events.transact((tx, emit) => run(tx, emit, instance, event), instance.id);
  }

  return {
    apply,

    async applyAll(instance, list) {
      const applicable = list.filter((event) => event.type !== 'connection' && event.type !== 'message.status');
      if (applicable.length <= 1) {
        for (const event of applicable) await apply(instance, event);
        return;
      }
      try {
        await events.transact(async (tx, emit) => {
          for (const event of applicable) await run(tx, emit, instance, event);
        }, instance.id);
      } catch {
        let first: unknown;
        for (const event of applicable) {
          try {
            await apply(instance, event);
          } catch (error) {
            first ??= error;
          }
        }
        if (first !== undefined) throw first;
      }
    },

    async setInviteCode(instance, groupId, code) {
      await events.transact(async (tx) => {
        if (await tx.groups.get(instance.id, groupId)) await tx.groups.update(instance.id, groupId, { inviteCode: code });
      });
    },
  };
}
