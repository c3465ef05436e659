/**
 * One operation's unit of work: drafts of the records it touches, and the events it will send.
 *
 * An operation reads through the Tx, edits drafts (copies), and queues events; the network then
 * saves and installs the drafts (`pending`) and delivers the events. If the operation throws, the drafts and events are
 * dropped and the network is exactly as before: WhatsApp never half-applies a refused request.
 */
import type { EngineEvent } from '../../../../core/ports/engine.js';
import { engineError } from '../../../../core/ports/engine.js';
import { newLid, normalizePhone, parsePersonJid } from './ids.js';
import type { CodeEntry, NetworkState } from './state.js';
import type { SandboxAccountRecord, SandboxAccountView, SandboxChanges, SandboxGroupRecord, SandboxNotice } from './types.js';

/** A never-seen number counts as a registered account that anyone may add. */
const DEFAULT_SETTINGS = { registered: true, groupAddPrivacy: 'everyone', contacts: [] } as const;

export class Tx {
  private readonly accountDrafts = new Map<string, SandboxAccountRecord>();
  private readonly groupDrafts = new Map<string, SandboxGroupRecord>();
  private readonly deletedGroups = new Set<string>();
  private readonly outbox: SandboxNotice[] = [];

  constructor(readonly state: NetworkState) {}

  get config() {
    return this.state.config;
  }

  nowMs(): number {
    return this.config.now();
  }

  /** Epoch seconds, as WhatsApp reports times. */
  nowSec(): number {
    return Math.floor(this.config.now() / 1000);
  }

  // --- accounts ---

  /** The account if the network has seen the number (read-only). */
  findAccount(phone: string): SandboxAccountRecord | undefined {
    return this.accountDrafts.get(phone) ?? this.state.accounts.get(phone);
  }

  /** Settings of any number, seen or not (never-seen = registered, privacy `everyone`). */
  view(phone: string): SandboxAccountView {
    const account = this.findAccount(phone);
    if (!account) return { phone, ...DEFAULT_SETTINGS, contacts: [] };
    return {
      phone,
      lid: account.lid,
      registered: account.registered,
      groupAddPrivacy: account.groupAddPrivacy,
      contacts: [...account.contacts],
      ...(account.name ? { name: account.name } : {}),
    };
  }

  /** A draft of the account, created with a fresh LID the first time the number is seen. */
  account(phone: string): SandboxAccountRecord {
    const draft = this.accountDrafts.get(phone);
    if (draft) return draft;
    const committed = this.state.accounts.get(phone);
    const created: SandboxAccountRecord = committed
      ? structuredClone(committed)
      : {
          phone,
          lid: newLid(this.config.random, (lid) => this.phoneOfLid(lid) !== undefined),
          ...DEFAULT_SETTINGS,
          contacts: [],
          groupCreationsMs: [],
        };
    this.accountDrafts.set(phone, created);
    return created;
  }

  /** The LID of a number, giving it one if it has none yet. */
  lidOf(phone: string): string {
    return this.findAccount(phone)?.lid ?? this.account(phone).lid;
  }

  private phoneOfLid(lid: string): string | undefined {
    for (const draft of this.accountDrafts.values()) if (draft.lid === lid) return draft.phone;
    return this.state.lids.get(lid);
  }

  /** The phone a person jid names; undefined for a malformed jid or a LID nobody has. */
  resolvePerson(jid: string): string | undefined {
    const parsed = parsePersonJid(jid);
    if (!parsed) return undefined;
    return 'phone' in parsed ? normalizePhone(parsed.phone) : this.phoneOfLid(parsed.lid);
  }

  // --- groups ---

  /** The group (read-only) or undefined. */
  findGroup(id: string): SandboxGroupRecord | undefined {
    if (this.deletedGroups.has(id)) return undefined;
    return this.groupDrafts.get(id) ?? this.state.groups.get(id);
  }

  /** The group for reading only; EngineError 404 when there is no such group. */
  readGroup(id: string): SandboxGroupRecord {
    const group = this.findGroup(id);
    if (!group) throw engineError(404, `no group ${id}`);
    return group;
  }

  /** A draft of the group; EngineError 404 when there is no such group. */
  group(id: string): SandboxGroupRecord {
    const draft = this.groupDrafts.get(id);
    if (draft) return draft;
    const committed = this.findGroup(id);
    if (!committed) throw engineError(404, `no group ${id}`);
    const copy = copyGroup(committed);
    this.groupDrafts.set(id, copy);
    return copy;
  }

  /** Adds a brand-new group record to the drafts. */
  addGroup(record: SandboxGroupRecord): void {
    this.groupDrafts.set(record.id, record);
  }

  /** Deletes the group when this operation commits (the last member is gone). */
  deleteGroup(id: string): void {
    this.groupDrafts.delete(id);
    this.deletedGroups.add(id);
  }

  /** Every committed group, with this operation's drafts in place of their originals. */
  allGroups(): SandboxGroupRecord[] {
    const ids = new Set([...this.state.groups.keys(), ...this.groupDrafts.keys()]);
    return [...ids].map((id) => this.findGroup(id)).filter((group) => group !== undefined);
  }

  /** Where an invite-link code points (drafts first, since a revoke in this Tx changes codes). */
  lookupCode(code: string): CodeEntry | undefined {
    for (const group of this.groupDrafts.values()) {
      if (group.inviteCode === code) return { groupId: group.id, revoked: false };
      if (group.revokedInviteCodes.includes(code)) return { groupId: group.id, revoked: true };
    }
    const entry = this.state.codes.get(code);
    return entry && !this.deletedGroups.has(entry.groupId) ? entry : undefined;
  }

  // --- events ---

  /** Queues an event for one account; it is delivered only if that account is attached at commit. */
  emit(phone: string, event: EngineEvent): void {
    this.outbox.push({ phone, event });
  }

  /** What this operation would save and send. */
  pending(): { changes: SandboxChanges; notices: SandboxNotice[] } {
    return {
      changes: { accounts: [...this.accountDrafts.values()], groups: [...this.groupDrafts.values()], deletedGroupIds: [...this.deletedGroups] },
      notices: this.outbox,
    };
  }
}

/** A deep copy of plain data (objects, arrays, primitives), several times faster than structuredClone; anything else is cloned by structuredClone. */
function copyData<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyData) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = copyData((value as Record<string, unknown>)[key]);
  return out as T;
}

/** A deep copy of a group record, by its known shape (structuredClone serialises, several times slower). */
function copyGroup(group: SandboxGroupRecord): SandboxGroupRecord {
  return {
    ...group,
    settings: { ...group.settings },
    participants: group.participants.map((p) => ({ ...p })),
    revokedInviteCodes: [...group.revokedInviteCodes],
    picture: group.picture && { ...group.picture },
    leftAtMs: { ...group.leftAtMs },
    joinRequests: group.joinRequests.map((r) => ({ ...r })),
    addRequests: group.addRequests.map((r) => ({ ...r })),
  };
}

export function hasChanges(changes: SandboxChanges): boolean {
  return changes.accounts.length + changes.groups.length + changes.deletedGroupIds.length > 0;
}

/** Delivers notices to the sinks attached in this process, each account in order, accounts concurrently; waits for every sink. */
export async function deliver(state: NetworkState, notices: readonly SandboxNotice[]): Promise<void> {
  const perPhone = new Map<string, EngineEvent[]>();
  for (const { phone, event } of notices) {
    const list = perPhone.get(phone) ?? [];
    list.push(event);
    perPhone.set(phone, list);
  }
  await Promise.all([...perPhone].map(([phone, events]) => deliverTo(state, phone, events)));
}

/**
 * Delivers events to one account's sink (if attached), one after another, or all in one call of a
 * sink that takes several; waits for the sink.
 */
export async function deliverTo(state: NetworkState, phone: string, events: readonly EngineEvent[]): Promise<void> {
  const sink = state.sinks.get(phone);
  if (sink?.many && events.length > 1) {
    try {
      // A copy per recipient: events share objects while queued, sinks must not see each other's edits.
      await sink.many(events.map((event) => copyData(event)));
    } catch (error) {
      state.config.onSinkError(error, phone, events[0]!);
    }
    return;
  }
  for (const event of events) {
    const sink = state.sinks.get(phone);
    if (!sink) return;
    try {
      // A copy per recipient: events share objects while queued, sinks must not see each other's edits.
      await sink(copyData(event));
    } catch (error) {
      state.config.onSinkError(error, phone, event);
    }
  }
}
