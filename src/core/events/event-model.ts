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
  'message.status',
  'instance.status',
  'operation.succeeded',
  'operation.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
