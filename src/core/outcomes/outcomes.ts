/**
 * The one place where WhatsApp's numeric codes become domain outcomes and domain errors.
 */
import { EngineError, type ParticipantResult } from '../ports/engine.js';
import { DomainError, type ErrorCode } from '../common/errors.js';
import type { PersonRef } from '../common/phone.js';

/** Per-participant outcome: a closed set every dialect maps from. */
export const OUTCOME_STATUSES = [
  'added',
  'removed',
  'promoted',
  'demoted',
  'approved',
  'rejected',
  'invited',
  'privacy_refused',
  'not_on_whatsapp',
  'already_member',
  'not_member',
  'recently_left',
  'group_full',
  'no_request',
  'not_allowed',
  'failed',
] as const;
export type OutcomeStatus = (typeof OUTCOME_STATUSES)[number];

export interface Outcome {
  /** The participant as the client wrote it. */
  participant: string;
  /** Canonical jid (phone jid when known). */
  jid: string;
  lid?: string;
  status: OutcomeStatus;
  /** True when a private invite (invite v4, or a text with the link) went out. */
  inviteSent: boolean;
  /** WhatsApp's per-participant code, for dialects that expose it. */
  code: number;
}

export type ParticipantAction = 'add' | 'remove' | 'promote' | 'demote' | 'approve' | 'reject';

const DONE: Record<ParticipantAction, OutcomeStatus> = {
  add: 'added',
  remove: 'removed',
  promote: 'promoted',
  demote: 'demoted',
  approve: 'approved',
  reject: 'rejected',
};

/** Maps a per-participant WhatsApp code to the outcome of an action (403 on add is resolved by the caller). */
export function outcomeStatus(action: ParticipantAction, code: number): OutcomeStatus {
  if (code === 200) return DONE[action];
  if (action === 'add') {
    switch (code) {
      case 403:
        return 'privacy_refused';
      case 404:
        return 'not_on_whatsapp';
      case 408:
        return 'recently_left';
      case 409:
        return 'already_member';
      case 419:
        return 'group_full';
      case 406:
      case 417:
        return 'not_allowed';
      default:
        return 'failed';
    }
  }
  if (code === 404) return action === 'approve' || action === 'reject' ? 'no_request' : 'not_member';
  if (code === 406 || code === 403) return 'not_allowed';
  return 'failed';
}

/** Builds an outcome from an engine result, matching it to the requested person. */
export function toOutcome(action: ParticipantAction, ref: PersonRef, result: ParticipantResult | undefined): Outcome {
  const code = result?.code ?? 500;
  return {
    participant: ref.input,
    jid: result?.phoneJid ?? ref.jid,
    ...(result?.lid ? { lid: result.lid } : {}),
    status: outcomeStatus(action, code),
    inviteSent: false,
    code,
  };
}

/** Where an engine refusal happened, to pick the right domain code for ambiguous WhatsApp codes. */
export type EngineContext = 'group' | 'create' | 'subject' | 'description' | 'settings' | 'join' | 'invite-info' | 'message';

/** Maps an engine refusal to a domain error; rethrows anything that is not an EngineError. */
export function mapEngineError(err: unknown, context: EngineContext): never {
  if (!(err instanceof EngineError)) throw err;
  const d = (code: ErrorCode, message: string, retry?: number): never => {
    throw new DomainError(code, message, { whatsappCode: err.code, whatsappText: err.text }, retry);
  };
  switch (err.code) {
    case 401:
      return d('not_group_admin', context === 'message' ? 'only admins may send messages to this group' : 'the instance is not an admin of this group');
    case 403:
    case 404:
      if (context === 'join' || context === 'invite-info') return d('invalid_invite_code', 'no group has this invite code');
      return d('group_not_found', 'group not found, or the instance is not a member');
    case 406:
      if (context === 'join' || context === 'invite-info') return d('invalid_invite_code', 'no group has this invite code');
      if (context === 'subject' || context === 'create') return d('subject_too_long', 'the group name must be 1 to 100 characters');
      return d('engine_refused', 'WhatsApp refused the request as not acceptable');
    case 400:
      if (context === 'description') return d('description_too_long', 'the description must be at most 2048 characters');
      if (context === 'settings') return d('invalid_setting', 'ephemeralSeconds must be 0, 86400, 604800 or 7776000');
      return d('engine_refused', 'WhatsApp refused the request as malformed');
    case 410:
      return d('invite_code_revoked', 'this invite code was revoked');
    case 304:
      return d('already_member', 'the instance is already a member of this group');
    case 405:
      return d('removed_from_group', 'an admin removed this number from the group; it cannot rejoin by link');
    case 419:
      return d('group_full', 'the group is full');
    case 429:
      return d('rate_limited', 'WhatsApp answered rate-overlimit; the instance backs off', 60);
    case 428:
      return d('instance_not_connected', 'the instance is not connected');
    default:
      return d('engine_refused', `WhatsApp refused the request (${err.code} ${err.text})`);
  }
}

/**
 * Seed 002's whole-request refusals, for the APIs that follow it (native, Wappfy): 409 when EVERY
 * participant of an add is already in, or every participant of a removal is not in. Any other mix
 * answers per person. Provider dialects that answer per number do not apply it.
 */
export function refuseWhenNothingApplied<T extends { outcomes: Outcome[] }>(action: 'add' | 'remove', result: T): T {
  const { outcomes } = result;
  if (action === 'add' && outcomes.every((o) => o.status === 'already_member')) {
    throw new DomainError('participant_already_member', 'every participant is already a member of the group', { outcomes });
  }
  if (action === 'remove' && outcomes.every((o) => o.status === 'not_member')) {
    throw new DomainError('participant_not_member', 'no participant is a member of the group', { outcomes });
  }
  return result;
}
