/**
 * The domain records the core works with. Plain data; the store keeps them, the HTTP layer shapes
 * them for each dialect.
 */
import type { ConnectionStatus, GroupSettings, ParticipantRole } from '../engines/port.js';

export type EngineKind = 'sandbox' | 'baileys';
export type InstanceStatus = ConnectionStatus;

/** Per-instance settings kept as one JSON object; each feature owns its own key. */
export interface InstanceSettings {
  pacing?: Record<string, unknown>;
  greenApi?: Record<string, unknown>;
  zapiClientTokenHash?: string;
  [key: string]: unknown;
}

export interface Instance {
  id: string;
  idInstance: string;
  name: string;
  engine: EngineKind;
  /** Digits only (E.164 without '+'), once known. */
  phone: string | null;
  status: InstanceStatus;
  statusReason: string;
  tokenHash: string;
  createdAt: string;
  settings: InstanceSettings;
}

export interface ApiKey {
  id: string;
  name: string;
  keyHash: string;
  /** null = admin key (sees every instance). */
  instances: string[] | null;
  createdAt: string;
}

export interface StoredParticipant {
  phoneJid: string | null;
  lid: string | null;
  role: ParticipantRole;
}

export interface StoredGroup {
  instanceId: string;
  id: string;
  subject: string;
  description: string;
  owner: string | null;
  createdAt: string;
  subjectOwner: string | null;
  subjectTime: string | null;
  settings: GroupSettings;
  myRole: ParticipantRole;
  inviteCode: string | null;
  size: number;
  addressingMode: 'pn' | 'lid';
  participants: StoredParticipant[];
}

/** One entry of an instance's event log. */
export interface EventRecord {
  /** ULID: globally unique, time-sortable, the same wherever the event is delivered. */
  id: string;
  /** Gapless, increasing per instance, from 1. */
  seq: number;
  type: string;
  instanceId: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** Event types the log carries. */
export const EVENT_TYPES = [
  'group.created',
  'group.joined',
  'group.left',
  'group.updated',
  'group.participants.added',
  'group.participants.removed',
  'group.participants.promoted',
  'group.participants.demoted',
  'group.participants.left',
  'group.join_request.created',
  'group.join_request.approved',
  'group.join_request.rejected',
  'group.join_request.revoked',
  'group.invite_code.changed',
  'message.sent',
  'message.received',
  'instance.status',
  'operation.succeeded',
  'operation.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
