/**
 * The store port: what the core needs from persistence, grouped by topic. One Kysely adapter serves
 * SQLite and PostgreSQL; the repository conformance suites (test/adapters/store) run against both.
 *
 * Conventions: `get*` returns `undefined` when not found; `delete*` is idempotent (deleting what is
 * absent is not an error); `put*` is an upsert.
 */
import type { ApiKey } from '../access/access-model.js';
import type { EventRecord } from '../events/event-model.js';
import type { Instance, InstanceSettings } from '../instances/instance-model.js';
import type { StoredGroup, StoredParticipant } from '../groups/group-model.js';

export interface SettingsRepository {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
}

export interface KeyRepository {
  insert(key: ApiKey): Promise<void>;
  get(id: string): Promise<ApiKey | undefined>;
  getByHash(keyHash: string): Promise<ApiKey | undefined>;
  list(): Promise<ApiKey[]>;
  /** Returns false when the key did not exist. */
  updateHash(id: string, keyHash: string): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** Drops an instance id from every scoped key (the instance was deleted). */
  removeInstance(instanceId: string): Promise<void>;
}

export interface InstanceRepository {
  insert(instance: Instance): Promise<void>;
  get(id: string): Promise<Instance | undefined>;
  getByIdInstance(idInstance: string): Promise<Instance | undefined>;
  getByTokenHash(tokenHash: string): Promise<Instance | undefined>;
  getByPhone(phone: string): Promise<Instance | undefined>;
  /** Every instance, oldest first; `ids` restricts the list. */
  list(ids?: string[]): Promise<Instance[]>;
  update(id: string, patch: Partial<Pick<Instance, 'name' | 'phone' | 'status' | 'statusReason' | 'tokenHash'>>): Promise<void>;
  /** Replaces the value of one top-level settings key (null removes it). */
  putSetting(id: string, key: keyof InstanceSettings & string, value: unknown): Promise<void>;
  delete(id: string): Promise<boolean>;
}

export interface GroupListQuery {
  limit: number;
  offset: number;
  /** Case-insensitive substring of the subject, or a substring of the id. */
  search?: string;
}

export interface GroupRepository {
  /** The group with its participants. */
  get(instanceId: string, groupId: string): Promise<StoredGroup | undefined>;
  /**
   * Like `get`, but the answer may be shared with a cache: the caller must never change it. A cache
   * hit then costs no copy. Where absent, `get` serves.
   */
  read?(instanceId: string, groupId: string): Promise<Readonly<StoredGroup> | undefined>;
  /** Newest first, without participants (`participants` is empty). */
  list(instanceId: string, query: GroupListQuery): Promise<{ items: StoredGroup[]; total: number }>;
  /** Like `list`, but the items may be shared with a cache: the caller must never change them. Where absent, `list` serves. */
  readPage?(instanceId: string, query: GroupListQuery): Promise<{ items: readonly Readonly<StoredGroup>[]; total: number }>;
  listIds(instanceId: string): Promise<string[]>;
  /**
   * Inserts the group with its participants unless the instance has one with its id; answers
   * whether it did. A group that is probably new is then stored without reading first. Where
   * absent, `get` and `put` serve.
   */
  insertNew?(group: StoredGroup): Promise<boolean>;
  /** Replaces the whole group, participants included. */
  /** `isNew`: the caller, inside this transaction, found no such group, so there are no participants to clear first. */
  put(group: StoredGroup, options?: { isNew?: boolean }): Promise<void>;
  /** Updates group fields (not participants). */
  update(instanceId: string, groupId: string, patch: Partial<Omit<StoredGroup, 'instanceId' | 'id' | 'participants'>>): Promise<void>;
  /** Upserts these participants (matched by phone jid, else LID) and refreshes `size`. */
  putParticipants(instanceId: string, groupId: string, participants: StoredParticipant[]): Promise<void>;
  /** Removes these participants (matched by phone jid or LID) and refreshes `size`. */
  deleteParticipants(instanceId: string, groupId: string, people: { phoneJid?: string | null; lid?: string | null }[]): Promise<void>;
  delete(instanceId: string, groupId: string): Promise<void>;
  deleteAll(instanceId: string): Promise<void>;
}

export interface EventRepository {
  /** Appends with the next gapless seq of the instance. Call inside a transaction. */
  append(event: Omit<EventRecord, 'seq'>): Promise<EventRecord>;
  /** Events with seq > afterSeq, ascending. */
  listAfter(instanceId: string, afterSeq: number, limit: number): Promise<EventRecord[]>;
  getById(id: string): Promise<EventRecord | undefined>;
  /** Events of several instances with id > afterId (ULID order), ascending. */
  listAcross(instanceIds: string[] | null, afterId: string, limit: number): Promise<EventRecord[]>;
  lastSeq(instanceId: string): Promise<number>;
  deleteAll(instanceId: string): Promise<void>;
  /** Deletes events that occurred before `before` (ISO), returning how many went. */
  pruneBefore(before: string): Promise<number>;
}

/** Every repository, plus transactions. Inside `transaction`, the repos given run in that transaction. */
export interface Store {
  settings: SettingsRepository;
  keys: KeyRepository;
  instances: InstanceRepository;
  groups: GroupRepository;
  events: EventRepository;
  /**
   * Runs `fn` in one transaction. `instanceId` names the instance it writes for, when known: the
   * store may then keep transactions of one instance from waiting on each other's locks.
   */
  transaction<T>(fn: (tx: Store) => Promise<T>, instanceId?: string): Promise<T>;
}
