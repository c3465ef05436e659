/**
 * Participant changes on an existing group, unpaced: add, remove, promote, demote, approve and
 * reject join requests. Normalised people in, one outcome per person out, and a private invite for
 * whoever's privacy settings refused an add. Paced adds (batches, operations) are `bulk-add.ts`;
 * group creation is `groups/group-creation.ts`.
 */
import type { GroupParticipant, ParticipantResult } from '../ports/engine.js';
import type { EventLog } from '../events/event-log.js';
import { OWN_RESULT, type GroupSync } from '../groups/group-sync.js';
import type { GroupService } from '../groups/group-service.js';
import type { InstanceService } from '../instances/instance-service.js';
import { mapEngineError, toOutcome, type ParticipantAction } from '../outcomes/outcomes.js';
import { phoneToJid } from '../common/phone.js';
import { participantRefs, resultFor } from './participant-refs.js';
import { sendPrivacyInvites } from './privacy-invites.js';

export interface ParticipantServiceDeps {
  instances: InstanceService;
  groups: GroupService;
  sync: GroupSync;
  events: EventLog;
}

export function createParticipantService(deps: ParticipantServiceDeps) {
  const { instances, groups, sync, events } = deps;

  const asParticipants = (results: ParticipantResult[], role: GroupParticipant['role'] = 'member'): GroupParticipant[] =>
    results.filter((r) => r.code === 200).map((r) => ({ phoneJid: r.phoneJid ?? (r.jid.endsWith('@lid') ? undefined : r.jid), lid: r.lid, role }));

  async function change(action: ParticipantAction, instanceId: string, groupId: string, inputs: unknown[], inviteOnPrivacyRefusal = true) {
    const { instance, session } = await instances.session(instanceId);
    const refs = participantRefs(instance, inputs);
    const jids = refs.map((r) => r.jid);
    let results: ParticipantResult[];
    try {
      switch (action) {
        case 'add':
          results = await session.addParticipants(groupId, jids);
          break;
        case 'remove':
          results = await session.removeParticipants(groupId, jids);
          break;
        case 'promote':
          results = await session.promoteParticipants(groupId, jids);
          break;
        case 'demote':
          results = await session.demoteParticipants(groupId, jids);
          break;
        case 'approve':
          results = await session.approveJoinRequests(groupId, jids);
          break;
        case 'reject':
          results = await session.rejectJoinRequests(groupId, jids);
          break;
      }
    } catch (err) {
      return mapEngineError(err, 'group');
    }
    const outcomes = refs.map((ref) => toOutcome(action, ref, resultFor(ref, results)));
    const actor = instance.phone ? phoneToJid(instance.phone) : undefined;
    const done = asParticipants(results);
    if (done.length) {
      if (action === 'add' || action === 'approve') {
        await sync.apply(instance, { type: 'group.participants', groupId, action: 'add', participants: done, actor }, OWN_RESULT);
      } else if (action === 'remove' || action === 'promote' || action === 'demote') {
        await sync.apply(instance, { type: 'group.participants', groupId, action, participants: done, actor }, OWN_RESULT);
      }
    }
    // The subject is read only when someone needs an invite: most adds have no privacy refusal.
    if (action === 'add' && inviteOnPrivacyRefusal && outcomes.some((o) => o.status === 'privacy_refused')) {
      const g = await groups.stored(instanceId, groupId).catch(() => undefined);
      await sendPrivacyInvites(events, { instance, session, groupId, groupName: g?.subject ?? '' }, outcomes, results);
    }
    return { outcomes };
  }

  return {
    /** Adds people now, unpaced; refused-by-privacy people get a private invite unless told otherwise. */
    add: (instanceId: string, groupId: string, inputs: unknown[], inviteOnPrivacyRefusal?: boolean) => change('add', instanceId, groupId, inputs, inviteOnPrivacyRefusal),
    remove: (instanceId: string, groupId: string, inputs: unknown[]) => change('remove', instanceId, groupId, inputs),
    promote: (instanceId: string, groupId: string, inputs: unknown[]) => change('promote', instanceId, groupId, inputs),
    demote: (instanceId: string, groupId: string, inputs: unknown[]) => change('demote', instanceId, groupId, inputs),
    approve: (instanceId: string, groupId: string, inputs: unknown[]) => change('approve', instanceId, groupId, inputs),
    reject: (instanceId: string, groupId: string, inputs: unknown[]) => change('reject', instanceId, groupId, inputs),
  };
}

export type ParticipantService = ReturnType<typeof createParticipantService>;
