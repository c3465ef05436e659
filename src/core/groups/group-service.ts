/**
 * Group services: every group rule the native API and the provider dialects share. Reads come from
 * the local group store; changes go to the engine, and its answer is applied to the store and the
 * event log through GroupSync (the same path as the engine's notifications).
 */
import type { EngineSession, GroupParticipant, ParticipantRole, SettingsChange } from '../ports/engine.js';
import type { Store } from '../ports/store.js';
import { DomainError, isDomainError } from '../common/errors.js';
import type { GroupSync } from './group-sync.js';
import { OWN_RESULT } from './group-sync.js';
import { personView, type PersonView } from './group-records.js';
import type { InstanceService } from '../instances/instance-service.js';
import type { Instance } from '../instances/instance-model.js';
import type { StoredGroup } from './group-model.js';
import { mapEngineError } from '../outcomes/outcomes.js';
import { inviteLink, normalizeGroupId, normalizeInviteCode, phoneToJid } from '../common/phone.js';

export interface GroupParticipantView extends PersonView {
  role: ParticipantRole;
}

/** The group object every API is shaped from. */
export interface GroupView {
  id: string;
  name: string;
  description: string;
  owner: string | null;
  createdAt: string;
  size: number;
  settings: StoredGroup['settings'];
  participants: GroupParticipantView[];
  myRole: ParticipantRole;
  subjectOwner: string | null;
  subjectTime: string | null;
  inviteLink?: string;
}

export function groupView(g: Readonly<StoredGroup>): GroupView {
  return {
    id: g.id,
    name: g.subject,
    description: g.description,
    owner: g.owner,
    createdAt: g.createdAt,
    size: g.size,
    settings: { ...g.settings },
    participants: g.participants.map((p) => ({ ...personView(p), role: p.role })),
    myRole: g.myRole,
    subjectOwner: g.subjectOwner,
    subjectTime: g.subjectTime,
    ...(g.inviteCode ? { inviteLink: inviteLink(g.inviteCode) } : {}),
  };
}

type ListQuery = { limit?: number; offset?: number; search?: string };
/** A page of groups, newest first. */
export interface GroupPage<V> {
  groups: V[];
  total: number;
  limit: number;
  offset: number;
}

/** A group as lists show it: its view without participants. */
function summaryView(g: Readonly<StoredGroup>): GroupView {
  return { ...groupView(g), participants: [] as GroupParticipantView[] };
}

export const SUBJECT_MAX = 100;
export const DESCRIPTION_MAX = 2048;
export const EPHEMERAL_VALUES = [0, 86400, 604800, 7776000];

export interface GroupServiceDeps {
  store: Store;
  instances: InstanceService;
  sync: GroupSync;
}

/** Parses a group id from a path or body, or `invalid_group_id`. */
export function parseGroupId(input: unknown): string {
  const id = normalizeGroupId(input);
  if (!id) throw new DomainError('invalid_group_id', `invalid group id: ${JSON.stringify(input)}; use <digits>@g.us`);
  return id;
}

export function createGroupService(deps: GroupServiceDeps) {
  const { store, instances, sync } = deps;

  // Views of the store's shared (never changed) group objects, made once per object.
  const views = new WeakMap<object, GroupView>();
  const summaries = new WeakMap<object, GroupView>();
  const once = (made: WeakMap<object, GroupView>, g: Readonly<StoredGroup>, make: (g: Readonly<StoredGroup>) => GroupView): GroupView => {
    let v = made.get(g);
    if (!v) made.set(g, (v = make(g)));
    return v;
  };
  const myJid = (instance: Instance) => (instance.phone ? phoneToJid(instance.phone) : undefined);

  async function stored(instanceId: string, groupId: string): Promise<StoredGroup> {
    const g = await store.groups.get(instanceId, groupId);
    if (!g) throw new DomainError('group_not_found', `group ${groupId} not found, or the instance is not a member`);
    return g;
  }

  async function listGroups(instanceId: string, query: ListQuery, shared: boolean): Promise<GroupPage<GroupView>> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const offset = Math.max(query.offset ?? 0, 0);
    const q = { limit, offset, search: query.search || undefined };
    const read = shared && store.groups.readPage;
    const { items, total } = read ? await store.groups.readPage!(instanceId, q) : await store.groups.list(instanceId, q);
    // Stored groups imply their instance (see `get`): only an empty answer needs to tell a missing instance.
    if (total === 0) await instances.get(instanceId);
    const groups = read ? items.map((g) => once(summaries, g, summaryView)) : items.map(summaryView);
    return { groups, total, limit, offset };
  }

  /** Runs an engine call, mapping refusals to domain errors. */
  async function call<T>(fn: () => Promise<T>, context: Parameters<typeof mapEngineError>[1] = 'group'): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      return mapEngineError(err, context);
    }
  }

  async function refreshFromEngine(instance: Instance, session: EngineSession, groupId: string, reason: 'joined' | 'sync') {
    const meta = await call(() => session.groupMetadata(groupId));
    await sync.apply(instance, { type: 'group.upsert', group: meta, reason, actor: reason === 'joined' ? myJid(instance) : undefined }, OWN_RESULT);
  }

  /** The invite code (admins only); cached in the store until it changes. */
  async function inviteCode(instanceId: string, groupId: string): Promise<{ code: string; link: string }> {
    const { instance, session } = await instances.session(instanceId);
    const g = await store.groups.get(instanceId, groupId);
    if (g?.inviteCode && g.myRole !== 'member') return { code: g.inviteCode, link: inviteLink(g.inviteCode) };
    const code = await call(() => session.inviteCode(groupId));
    await sync.setInviteCode(instance, groupId, code);
    return { code, link: inviteLink(code) };
  }

  return {
    stored,

    /** One group from the store. */
    async get(instanceId: string, groupId: string): Promise<GroupView> {
      // A stored group implies its instance (deleting an instance deletes its groups in the same
      // transaction), so the instance is looked up only to tell which of the two is missing.
      // Read-only (shared with the store's cache): groupView copies what it keeps.
      const g = store.groups.read ? await store.groups.read(instanceId, groupId) : await store.groups.get(instanceId, groupId);
      if (g) return groupView(g);
      await instances.get(instanceId);
      return groupView(await stored(instanceId, groupId));
    },

    /**
     * One group from the store, as a view shared between readers (never change it): a group the
     * store's cache holds is turned into its view once, not on every read.
     */
    async view(instanceId: string, groupId: string): Promise<Readonly<GroupView>> {
      const g = store.groups.read ? await store.groups.read(instanceId, groupId) : await store.groups.get(instanceId, groupId);
      if (!g) {
        // As in `get`: the instance is looked up only to tell which of the two is missing.
        await instances.get(instanceId);
        return groupView(await stored(instanceId, groupId));
      }
      return once(views, g, groupView);
    },

    /** Groups from the store, newest first. */
    list: (instanceId: string, query: ListQuery) => listGroups(instanceId, query, false),

    /**
     * As `list`, with views shared between readers (never change them): a row the store's cache
     * holds is turned into its view once, not on every page.
     */
    page: (instanceId: string, query: ListQuery): Promise<GroupPage<Readonly<GroupView>>> => listGroups(instanceId, query, true),

    /** Renames and/or re-describes a group. */
    async update(instanceId: string, groupId: string, input: { name?: string; description?: string }): Promise<GroupView> {
      const { instance, session } = await instances.session(instanceId);
      if (input.name !== undefined) {
        validateSubject(input.name);
        const name = input.name;
        await call(() => session.setSubject(groupId, name), 'subject');
        await sync.apply(instance, { type: 'group.update', groupId, changes: { subject: name }, actor: myJid(instance) }, OWN_RESULT);
      }
      if (input.description !== undefined) {
        validateDescription(input.description);
        const description = input.description;
        await call(() => session.setDescription(groupId, description), 'description');
        await sync.apply(instance, { type: 'group.update', groupId, changes: { description }, actor: myJid(instance) }, OWN_RESULT);
      }
      return groupView(await stored(instanceId, groupId));
    },

    /** Leaves a group; the store forgets it. */
    async leave(instanceId: string, groupId: string): Promise<void> {
      const { instance, session } = await instances.session(instanceId);
      await call(() => session.leaveGroup(groupId));
      await sync.apply(instance, { type: 'group.gone', groupId, reason: 'left', actor: myJid(instance) }, OWN_RESULT);
    },

    inviteCode,

    /**
     * The invite link of a group the instance administers: the stored one, else asked of WhatsApp;
     * undefined for a plain member or when WhatsApp will not give it.
     */
    async adminInviteLink(instanceId: string, g: GroupView): Promise<string | undefined> {
      if (g.myRole === 'member') return undefined;
      if (g.inviteLink) return g.inviteLink;
      try {
        return (await inviteCode(instanceId, g.id)).link;
      } catch (err) {
        if (isDomainError(err)) return undefined;
        throw err;
      }
    },

    /** Revokes the invite code; the old one stops working at once. */
    async revokeInvite(instanceId: string, groupId: string): Promise<{ code: string; link: string }> {
      const { instance, session } = await instances.session(instanceId);
      const code = await call(() => session.revokeInvite(groupId));
      await sync.apply(instance, { type: 'group.invite_code', groupId, code, actor: myJid(instance) }, OWN_RESULT);
      return { code, link: inviteLink(code) };
    },

    /** Changes group settings in the order given. */
    async updateSettings(instanceId: string, groupId: string, change: SettingsChange): Promise<GroupView> {
      const { instance, session } = await instances.session(instanceId);
      if (change.ephemeralSeconds !== undefined && !EPHEMERAL_VALUES.includes(change.ephemeralSeconds)) {
        throw new DomainError('invalid_setting', 'ephemeralSeconds must be 0, 86400, 604800 or 7776000');
      }
      await call(() => session.updateSettings(groupId, change), 'settings');
      await sync.apply(instance, { type: 'group.update', groupId, changes: change, actor: myJid(instance) }, OWN_RESULT);
      return groupView(await stored(instanceId, groupId));
    },

    /** Pending join requests (asked of the engine). */
    async joinRequests(instanceId: string, groupId: string) {
      const { session } = await instances.session(instanceId);
      const requests = await call(() => session.joinRequests(groupId));
      return requests.map((r) => ({
        ...personView({ phoneJid: r.phoneJid ?? (r.jid.endsWith('@lid') ? undefined : r.jid), lid: r.lid ?? (r.jid.endsWith('@lid') ? r.jid : undefined) }),
        requestedAt: new Date(r.requestTime * 1000).toISOString(),
        method: r.method,
      }));
    },

    /** Sets (image) or removes (null) the group picture. */
    async setPicture(instanceId: string, groupId: string, image: Buffer | null): Promise<void> {
      const { session } = await instances.session(instanceId);
      await call(() => session.setPicture(groupId, image));
    },

    /** Joins by code or link: joined, or pending approval. */
    async join(instanceId: string, codeOrLink: unknown): Promise<{ status: 'joined' | 'pending_approval'; groupId: string }> {
      const code = normalizeInviteCode(codeOrLink);
      if (!code) throw new DomainError('invalid_invite_code', 'code must be an invite code or a https://chat.whatsapp.com/<code> link');
      const { instance, session } = await instances.session(instanceId);
      const result = await call(() => session.joinByCode(code), 'join');
      if (result.pendingApproval) return { status: 'pending_approval', groupId: result.groupId };
      if (!(await store.groups.get(instanceId, result.groupId))) await refreshFromEngine(instance, session, result.groupId, 'joined');
      return { status: 'joined', groupId: result.groupId };
    },

    /** Previews a group from its invite code. */
    async joinInfo(instanceId: string, codeOrLink: unknown) {
      const code = normalizeInviteCode(codeOrLink);
      if (!code) throw new DomainError('invalid_invite_code', 'code must be an invite code or a https://chat.whatsapp.com/<code> link');
      const { session } = await instances.session(instanceId);
      const info = await call(() => session.inviteInfo(code), 'invite-info');
      return {
        id: info.id,
        name: info.subject,
        description: info.description,
        owner: info.owner ?? null,
        createdAt: new Date(info.creation * 1000).toISOString(),
        size: info.size,
        approvalMode: info.approvalMode,
      };
    },

    /** Resyncs the store from the engine: every group the number is in, and forgets the others. */
    async refresh(instanceId: string): Promise<{ groups: number; removed: number }> {
      const { instance, session } = await instances.session(instanceId);
      const all = await call(() => session.listGroups());
      for (const g of all) await sync.apply(instance, { type: 'group.upsert', group: g, reason: 'sync' }, OWN_RESULT);
      const live = new Set(all.map((g) => g.id));
      const gone = (await store.groups.listIds(instanceId)).filter((id) => !live.has(id));
      for (const id of gone) await sync.apply(instance, { type: 'group.gone', groupId: id, reason: 'sync' }, OWN_RESULT);
      return { groups: all.length, removed: gone.length };
    },
  };
}

export type GroupService = ReturnType<typeof createGroupService>;

export function validateSubject(name: string): void {
  if (typeof name !== 'string' || name.trim().length === 0 || [...name].length > SUBJECT_MAX) {
    throw new DomainError('subject_too_long', `the group name must be 1 to ${SUBJECT_MAX} characters`);
  }
}

export function validateDescription(description: string): void {
  if ([...description].length > DESCRIPTION_MAX) {
    throw new DomainError('description_too_long', `the description must be at most ${DESCRIPTION_MAX} characters`);
  }
}

export type { GroupParticipant };
