import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { GROUP_SETTING_KEYS, type ParticipantRole } from '../../../core/ports/engine.js';
import type { StoredGroup, StoredParticipant } from '../../../core/groups/group-model.js';
import type { GroupRepository } from '../../../core/ports/store.js';
import type { Database } from '../schema.js';
import { prepared, preparedPerCount, preparedRows } from './prepared.js';

type GroupRow = Database['groups'];

/** The columns of `groups`, in the order the prepared upsert binds them. */
const GROUP_COLUMNS = [
  'instance_id',
  'group_id',
  'subject',
  'description',
  'owner',
  'created_at',
  'subject_owner',
  'subject_time',
  'announcement',
  'locked',
  'member_add_mode',
  'approval_mode',
  'ephemeral_seconds',
  'my_role',
  'invite_code',
  'size',
  'addressing_mode',
  'updated_at',
] as const satisfies readonly (keyof GroupRow)[];
const PARTICIPANT_COLUMNS = ['instance_id', 'group_id', 'pkey', 'phone_jid', 'lid', 'role', 'position'] as const;

// The hot statements, built once (see prepared.ts).
const readGroup = prepared((db: Kysely<Database>, instanceId: string, groupId: string) =>
  db
    .selectFrom('groups as g')
    .leftJoin('group_participants as p', (join) => join.onRef('p.instance_id', '=', 'g.instance_id').onRef('p.group_id', '=', 'g.group_id'))
    .selectAll('g')
    .select(['p.pkey as p_pkey', 'p.phone_jid as p_phone_jid', 'p.lid as p_lid', 'p.role as p_role'])
    .where('g.instance_id', '=', instanceId)
    .where('g.group_id', '=', groupId)
    .orderBy('p.position'),
);
type ReadRow = GroupRow & { p_pkey: string | null; p_phone_jid: string | null; p_lid: string | null; p_role: string | null };
const upsertGroup = prepared((db: Kysely<Database>, ...values: unknown[]) => {
  const row = Object.fromEntries(GROUP_COLUMNS.map((c, i) => [c, values[i]])) as unknown as GroupRow;
  const update = Object.fromEntries(GROUP_COLUMNS.slice(2).map((c, i) => [c, values[i + 2]])) as Partial<GroupRow>;
  return db
    .insertInto('groups')
    .values(row)
    .onConflict((oc) => oc.columns(['instance_id', 'group_id']).doUpdateSet(update));
});
const insertGroupIfAbsent = prepared((db: Kysely<Database>, ...values: unknown[]) => {
  const row = Object.fromEntries(GROUP_COLUMNS.map((c, i) => [c, values[i]])) as unknown as GroupRow;
  return db
    .insertInto('groups')
    .values(row)
    .onConflict((oc) => oc.columns(['instance_id', 'group_id']).doNothing());
});
/**
 * PostgreSQL: the group and its `count` participants in one statement (one round trip), the
 * participants only if the group was inserted. Answers `inserted` (0 or 1).
 */
const insertNewPostgres = preparedPerCount((count) => (_db: Kysely<Database>, ...values: unknown[]) => {
  const group = values.slice(0, GROUP_COLUMNS.length);
  const people = Array.from({ length: count }, (_, r) =>
    values.slice(GROUP_COLUMNS.length + r * PARTICIPANT_COLUMNS.length, GROUP_COLUMNS.length + (r + 1) * PARTICIPANT_COLUMNS.length),
  );
  const columns = (names: readonly string[]) => sql.join(names.map((c) => sql.ref(c)));
  return sql`with g as (
      insert into groups (${columns(GROUP_COLUMNS)}) values (${sql.join(group)})
      on conflict (instance_id, group_id) do nothing returning 1
    ), p as (
      insert into group_participants (${columns(PARTICIPANT_COLUMNS)})
      select * from (values ${sql.join(people.map(([i, g, k, j, l, r, n]) => sql`(${i}::text, ${g}::text, ${k}::text, ${j}::text, ${l}::text, ${r}::text, ${n}::integer)`))}) as v
      where exists (select 1 from g)
    )
    select count(*)::integer as inserted from g`;
});
const deleteGroupParticipants = prepared((db: Kysely<Database>, instanceId: string, groupId: string) =>
  db.deleteFrom('group_participants').where('instance_id', '=', instanceId).where('group_id', '=', groupId),
);
const upsertParticipants = preparedRows(PARTICIPANT_COLUMNS.length, (db: Kysely<Database>, rows) =>
  db
    .insertInto('group_participants')
    .values(rows.map((r) => Object.fromEntries(PARTICIPANT_COLUMNS.map((c, i) => [c, r[i]])) as unknown as Database['group_participants']))
    .onConflict((oc) =>
      oc.columns(['instance_id', 'group_id', 'pkey']).doUpdateSet((eb) => ({
        phone_jid: eb.ref('excluded.phone_jid'),
        lid: eb.ref('excluded.lid'),
        role: eb.ref('excluded.role'),
      })),
    ),
);
/** Groups by id, prepared per count of ids (a list page asks for the same count every time). */
const groupsByIds = preparedPerCount(
  (count) =>
    (q: Kysely<Database>, instanceId: unknown, ...ids: unknown[]) =>
      q
        .selectFrom('groups')
        .selectAll()
        .where('instance_id', '=', instanceId as string)
        .where('group_id', 'in', (ids as string[]).slice(0, count)),
);
/**
 * Deleting participant rows: by key (`pkey in`), or by phone JID or LID (`phone_jid in ... or lid
 * in ...`). A participant request names a few people, so up to `PREPARED_PEOPLE` of each the
 * statement is prepared per count (`keys`, or `phones * 100 + lids`); a larger sync builds its own.
 */
const PREPARED_PEOPLE = 8;
function deleteRows(q: Kysely<Database>, instanceId: string, groupId: string, by: { keys: string[] } | { phones: string[]; lids: string[] }) {
  const base = q.deleteFrom('group_participants').where('instance_id', '=', instanceId).where('group_id', '=', groupId);
  if ('keys' in by) return base.where('pkey', 'in', by.keys);
  return base.where((eb) => eb.or([...(by.phones.length ? [eb('phone_jid', 'in', by.phones)] : []), ...(by.lids.length ? [eb('lid', 'in', by.lids)] : [])]));
}
const deleteByKeys = preparedPerCount(
  (count) =>
    (q: Kysely<Database>, instanceId: unknown, groupId: unknown, ...keys: unknown[]) =>
      deleteRows(q, instanceId as string, groupId as string, { keys: (keys as string[]).slice(0, count) }),
);
const deleteByPerson = preparedPerCount((counts) => (q: Kysely<Database>, instanceId: unknown, groupId: unknown, ...values: unknown[]) => {
  const phones = Math.floor(counts / 100);
  return deleteRows(q, instanceId as string, groupId as string, {
    phones: (values as string[]).slice(0, phones),
    lids: (values as string[]).slice(phones, phones + (counts % 100)),
  });
});
/** Deletes the rows of these keys: prepared for a few, built for more. */
const deleteKeys = (q: Kysely<Database>, instanceId: string, groupId: string, keys: string[]): Promise<unknown> =>
  keys.length <= PREPARED_PEOPLE ? deleteByKeys(keys.length)(q, instanceId, groupId, ...keys) : deleteRows(q, instanceId, groupId, { keys }).execute();
/** Deletes the rows of these phone JIDs and LIDs: prepared for a few, built for more. */
const deletePeople = (q: Kysely<Database>, instanceId: string, groupId: string, phones: string[], lids: string[]): Promise<unknown> =>
  phones.length <= PREPARED_PEOPLE && lids.length <= PREPARED_PEOPLE
    ? deleteByPerson(phones.length * 100 + lids.length)(q, instanceId, groupId, ...phones, ...lids)
    : deleteRows(q, instanceId, groupId, { phones, lids }).execute();
const maxPosition = prepared((db: Kysely<Database>, instanceId: string, groupId: string) =>
  db
    .selectFrom('group_participants')
    .select((eb) => eb.fn.max<number>('position').as('m'))
    .where('instance_id', '=', instanceId)
    .where('group_id', '=', groupId),
);
const refreshSizeOf = prepared((db: Kysely<Database>, updatedAt: string, instanceId: string, groupId: string) =>
  // One statement: the count runs inside the update.
  db
    .updateTable('groups')
    .set((eb) => ({
      size: eb
        .selectFrom('group_participants')
        .select((sub) => sub.fn.countAll<number>().as('n'))
        .whereRef('group_participants.instance_id', '=', 'groups.instance_id')
        .whereRef('group_participants.group_id', '=', 'groups.group_id'),
      updated_at: updatedAt,
    }))
    .where('instance_id', '=', instanceId)
    .where('group_id', '=', groupId),
);

function toGroup(row: GroupRow, participants: StoredParticipant[]): StoredGroup {
  return {
    instanceId: row.instance_id,
    id: row.group_id,
    subject: row.subject,
    description: row.description,
    owner: row.owner,
    createdAt: row.created_at,
    subjectOwner: row.subject_owner,
    subjectTime: row.subject_time,
    settings: {
      announcement: row.announcement === 1,
      locked: row.locked === 1,
      memberAddMode: row.member_add_mode as 'admins' | 'all',
      approvalMode: row.approval_mode === 1,
      ephemeralSeconds: row.ephemeral_seconds,
    },
    myRole: row.my_role as ParticipantRole,
    inviteCode: row.invite_code,
    size: row.size,
    addressingMode: row.addressing_mode as 'pn' | 'lid',
    participants,
  };
}

function toRow(g: StoredGroup, now: string): GroupRow {
  return {
    instance_id: g.instanceId,
    group_id: g.id,
    subject: g.subject,
    description: g.description,
    owner: g.owner,
    created_at: g.createdAt,
    subject_owner: g.subjectOwner,
    subject_time: g.subjectTime,
    announcement: g.settings.announcement ? 1 : 0,
    locked: g.settings.locked ? 1 : 0,
    member_add_mode: g.settings.memberAddMode,
    approval_mode: g.settings.approvalMode ? 1 : 0,
    ephemeral_seconds: g.settings.ephemeralSeconds,
    my_role: g.myRole,
    invite_code: g.inviteCode,
    size: g.participants.length,
    addressing_mode: g.addressingMode,
    updated_at: now,
  };
}

/** What `get` answers right after `put(group)` commits; undefined when that is not certain (a person listed twice). */
export function readBack(group: StoredGroup): StoredGroup | undefined {
  const keys = new Set(group.participants.map((p) => pkeyOf(p)));
  if (keys.size !== group.participants.length) return undefined;
  const participants = group.participants.map((p) => ({ phoneJid: p.phoneJid ?? null, lid: p.lid ?? null, role: p.role }));
  return toGroup(toRow(group, ''), participants);
}

const pkeyOf = (p: { phoneJid?: string | null; lid?: string | null }): string => (p.phoneJid ?? p.lid)!;

/** A participant's row, its values in the order of PARTICIPANT_COLUMNS. */
const participantRow = (instanceId: string, groupId: string, p: StoredParticipant, position: number): unknown[] => [
  instanceId,
  groupId,
  pkeyOf(p),
  p.phoneJid ?? null,
  p.lid ?? null,
  p.role,
  position,
];

/*
 * What `get` answers after a change, computed from what it answered before, for the read cache
 * (group-cache.ts): each mirrors the statements of the method it is named after. Undefined where
 * the outcome is not certain; the cache then reads again.
 */

/** After `putParticipants(participants)`: rows upserted by key in place, new ones appended in order. */
export function afterPutParticipants(before: StoredGroup, participants: StoredParticipant[]): StoredGroup | undefined {
  if (participants.length === 0) return before;
  const keys = new Set(participants.map(pkeyOf));
  if (keys.size !== participants.length) return undefined;
  // Rows known by LID alone of people now known by phone too are replaced (one row per person).
  const lidKeys = new Set(participants.filter((p) => p.phoneJid && p.lid).map((p) => p.lid!));
  const people = before.participants.filter((q) => !lidKeys.has(pkeyOf(q)));
  for (const p of participants) {
    const row: StoredParticipant = { phoneJid: p.phoneJid ?? null, lid: p.lid ?? null, role: p.role };
    const at = people.findIndex((q) => pkeyOf(q) === pkeyOf(p));
    if (at >= 0) people[at] = row;
    else people.push(row);
  }
  return { ...before, settings: { ...before.settings }, participants: people, size: people.length };
}

/** After `deleteParticipants(people)`. */
export function afterDeleteParticipants(before: StoredGroup, people: { phoneJid?: string | null; lid?: string | null }[]): StoredGroup {
  const phones = new Set(people.map((p) => p.phoneJid).filter((x): x is string => !!x));
  const lids = new Set(people.map((p) => p.lid).filter((x): x is string => !!x));
  if (phones.size === 0 && lids.size === 0) return before;
  const kept = before.participants.filter((p) => !((p.phoneJid && phones.has(p.phoneJid)) || (p.lid && lids.has(p.lid))));
  return { ...before, settings: { ...before.settings }, participants: kept, size: kept.length };
}

const PATCHED_FIELDS = ['subject', 'description', 'owner', 'subjectOwner', 'subjectTime', 'myRole', 'inviteCode', 'addressingMode', 'createdAt'] as const;

/** After `update(patch)`. */
export function afterUpdate(before: StoredGroup, patch: Partial<Omit<StoredGroup, 'instanceId' | 'id' | 'participants'>>): StoredGroup | undefined {
  const next: StoredGroup = { ...before, settings: { ...before.settings } };
  for (const field of PATCHED_FIELDS) if (patch[field] !== undefined) (next as unknown as Record<string, unknown>)[field] = patch[field];
  if (patch.settings) {
    const s = patch.settings;
    // `update` writes each setting as given: one left out would be written as nothing.
    if (GROUP_SETTING_KEYS.some((k) => s[k] === undefined)) return undefined;
    next.settings = { announcement: !!s.announcement, locked: !!s.locked, memberAddMode: s.memberAddMode, approvalMode: !!s.approvalMode, ephemeralSeconds: s.ephemeralSeconds };
  }
  return next;
}

/** What the read cache builds list pages from: the list order alone, and rows by key. */
export interface GroupPageSource {
  /** Every group id of the instance in list order (newest first), read from the index alone. */
  listOrder(instanceId: string): Promise<string[]>;
  /** These groups without participants, in the order asked (missing ones left out). */
  listByIds(instanceId: string, groupIds: string[]): Promise<StoredGroup[]>;
}

/** The group store over `groups` and `group_participants`. */
export function createGroupRepository(db: Kysely<Database>): GroupRepository & GroupPageSource {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  async function refreshSize(instanceId: string, groupId: string): Promise<void> {
    await refreshSizeOf(db, new Date().toISOString(), instanceId, groupId);
  }

  async function insertParticipants(instanceId: string, groupId: string, people: StoredParticipant[], start: number): Promise<void> {
    // Chunked so a 1024-member group stays under SQLite's bound-parameter limit.
    for (let i = 0; i < people.length; i += 100) {
      const chunk = people.slice(i, i + 100).map((p, j) => participantRow(instanceId, groupId, p, start + i + j));
      await upsertParticipants(db, chunk);
    }
  }

  return {
    async get(instanceId, groupId) {
      // One round trip: the group row repeated per participant (or once, with nulls, when empty).
      const rows = (await readGroup(db, instanceId, groupId)).rows as ReadRow[];
      if (rows.length === 0) return undefined;
      const people = rows.filter((r) => r.p_pkey !== null).map((p) => ({ phoneJid: p.p_phone_jid, lid: p.p_lid, role: p.p_role as ParticipantRole }));
      const { p_pkey: _k, p_phone_jid: _j, p_lid: _l, p_role: _r, ...row } = rows[0];
      return toGroup(row as GroupRow, people);
    },
    async list(instanceId, query) {
      let q = db.selectFrom('groups').where('instance_id', '=', instanceId);
      if (query.search) {
        const pattern = `%${query.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q = q.where((eb) => eb.or([sql<boolean>`lower(subject) like ${pattern} escape '\\'`, sql<boolean>`group_id like ${pattern} escape '\\'`]));
      }
      const [rows, count] = await Promise.all([
        q.selectAll().orderBy('created_at', 'desc').orderBy('group_id', 'desc').limit(query.limit).offset(query.offset).execute(),
        q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { items: rows.map((r) => toGroup(r, [])), total: Number(count.n) };
    },
    async listOrder(instanceId) {
      const rows = await db.selectFrom('groups').select('group_id').where('instance_id', '=', instanceId).orderBy('created_at', 'desc').orderBy('group_id', 'desc').execute();
      return rows.map((r) => r.group_id);
    },
    async listByIds(instanceId, groupIds) {
      if (groupIds.length === 0) return [];
      const byId = new Map<string, StoredGroup>();
      for (let i = 0; i < groupIds.length; i += 500) {
        const chunk = groupIds.slice(i, i + 500);
        const rows = (await groupsByIds(chunk.length)(db, instanceId, ...chunk)).rows as GroupRow[];
        for (const r of rows) byId.set(r.group_id, toGroup(r, []));
      }
      return groupIds.map((id) => byId.get(id)).filter((g): g is StoredGroup => g !== undefined);
    },
    async listIds(instanceId) {
      const rows = await db.selectFrom('groups').select('group_id').where('instance_id', '=', instanceId).execute();
      return rows.map((r) => r.group_id);
    },
    async put(group, options) {
      const now = new Date().toISOString();
      const row = toRow(group, now);
      await upsertGroup(db, ...GROUP_COLUMNS.map((c) => row[c]));
      if (!options?.isNew) await deleteGroupParticipants(db, group.instanceId, group.id);
      await insertParticipants(group.instanceId, group.id, group.participants, 0);
    },
    async insertNew(group) {
      const row = toRow(group, new Date().toISOString());
      const values = GROUP_COLUMNS.map((c) => row[c]);
      const people = group.participants.map((p, i) => participantRow(group.instanceId, group.id, p, i));
      if (postgres && people.length > 0 && people.length <= 100 && new Set(people.map((p) => p[2])).size === people.length) {
        const { rows } = await insertNewPostgres(people.length)(db, ...values, ...people.flat());
        return Number((rows[0] as { inserted: number } | undefined)?.inserted ?? 0) === 1;
      }
      const inserted = await insertGroupIfAbsent(db, ...values);
      if (Number(inserted.numAffectedRows ?? 0) === 0) return false;
      await insertParticipants(group.instanceId, group.id, group.participants, 0);
      return true;
    },
    async update(instanceId, groupId, patch) {
      const set: Partial<GroupRow> = { updated_at: new Date().toISOString() };
      if (patch.subject !== undefined) set.subject = patch.subject;
      if (patch.description !== undefined) set.description = patch.description;
      if (patch.owner !== undefined) set.owner = patch.owner;
      if (patch.subjectOwner !== undefined) set.subject_owner = patch.subjectOwner;
      if (patch.subjectTime !== undefined) set.subject_time = patch.subjectTime;
      if (patch.myRole !== undefined) set.my_role = patch.myRole;
      if (patch.inviteCode !== undefined) set.invite_code = patch.inviteCode;
      if (patch.addressingMode !== undefined) set.addressing_mode = patch.addressingMode;
      if (patch.createdAt !== undefined) set.created_at = patch.createdAt;
      if (patch.settings) {
        set.announcement = patch.settings.announcement ? 1 : 0;
        set.locked = patch.settings.locked ? 1 : 0;
        set.member_add_mode = patch.settings.memberAddMode;
        set.approval_mode = patch.settings.approvalMode ? 1 : 0;
        set.ephemeral_seconds = patch.settings.ephemeralSeconds;
      }
      await db.updateTable('groups').set(set).where('instance_id', '=', instanceId).where('group_id', '=', groupId).execute();
    },
    async putParticipants(instanceId, groupId, participants) {
      if (participants.length === 0) return;
      const max = (await maxPosition(db, instanceId, groupId)).rows[0] as { m: number | null } | undefined;
      // A person first known by LID only and now by phone too must stay one row.
      const lidKeys = participants.filter((p) => p.phoneJid && p.lid).map((p) => p.lid!);
      if (lidKeys.length) {
        await deleteKeys(db, instanceId, groupId, lidKeys);
      }
      await insertParticipants(instanceId, groupId, participants, Number(max?.m ?? -1) + 1);
      await refreshSize(instanceId, groupId);
    },
    async deleteParticipants(instanceId, groupId, people) {
      const phones = people.map((p) => p.phoneJid).filter((x): x is string => !!x);
      const lids = people.map((p) => p.lid).filter((x): x is string => !!x);
      if (phones.length === 0 && lids.length === 0) return;
      await deletePeople(db, instanceId, groupId, phones, lids);
      await refreshSize(instanceId, groupId);
    },
    async delete(instanceId, groupId) {
      await db.deleteFrom('group_participants').where('instance_id', '=', instanceId).where('group_id', '=', groupId).execute();
      await db.deleteFrom('groups').where('instance_id', '=', instanceId).where('group_id', '=', groupId).execute();
    },
    async deleteAll(instanceId) {
      await db.deleteFrom('group_participants').where('instance_id', '=', instanceId).execute();
      await db.deleteFrom('groups').where('instance_id', '=', instanceId).execute();
    },
  };
}
