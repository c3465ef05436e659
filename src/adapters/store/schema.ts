/**
 * Table shapes as Kysely sees them. The same on SQLite and PostgreSQL: timestamps are ISO-8601
 * text, booleans are integers 0/1, structured values are JSON text.
 */
import type { OperationTables } from './schema-operations.js';
import type { WebhookTables } from './schema-webhooks.js';
import type { BaileysTables } from '../engines/baileys/tables.js';

export interface SettingsTable {
  key: string;
  value: string;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  key_hash: string;
  /** JSON array of instance ids, or null for an admin key. */
  instances: string | null;
  created_at: string;
}

export interface InstancesTable {
  id: string;
  id_instance: string;
  name: string;
  engine: string;
  phone: string | null;
  status: string;
  status_reason: string;
  token_hash: string;
  created_at: string;
  /** Last event sequence number appended for this instance. */
  last_seq: number;
  /** JSON object of per-instance settings (pacing, provider settings, ...). */
  settings: string;
}

export interface GroupsTable {
  instance_id: string;
  group_id: string;
  subject: string;
  description: string;
  owner: string | null;
  created_at: string;
  subject_owner: string | null;
  subject_time: string | null;
  announcement: number;
  locked: number;
  member_add_mode: string;
  approval_mode: number;
  ephemeral_seconds: number;
  my_role: string;
  invite_code: string | null;
  size: number;
  addressing_mode: string;
  updated_at: string;
}

export interface GroupParticipantsTable {
  instance_id: string;
  group_id: string;
  /** The person's phone jid when known, else the LID: one row per person. */
  pkey: string;
  phone_jid: string | null;
  lid: string | null;
  role: string;
  /** Order of arrival, to list participants stably. */
  position: number;
}

export interface EventsTable {
  instance_id: string;
  seq: number;
  id: string;
  type: string;
  occurred_at: string;
  data: string;
}

export interface SandboxAccountsTable {
  phone: string;
  data: string;
}

export interface SandboxGroupsTable {
  id: string;
  data: string;
}

export interface CoreTables {
  settings: SettingsTable;
  api_keys: ApiKeysTable;
  instances: InstancesTable;
  groups: GroupsTable;
  group_participants: GroupParticipantsTable;
  events: EventsTable;
  sandbox_accounts: SandboxAccountsTable;
  sandbox_groups: SandboxGroupsTable;
}

/**
 * Every table the core's adapters use. Each feature declares its tables in `schema-<feature>.ts` and
 * is added here; a dialect declares its own tables in its folder and reaches them through the
 * composition root (`tables<T>()`), while the one migration set creates them all.
 */
export interface Database extends CoreTables, OperationTables, WebhookTables, BaileysTables {}
