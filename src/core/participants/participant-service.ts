/**
 * Group creation and participant changes: normalised people in, one outcome per person out, and a
 * private invite for whoever's privacy settings refused an add.
 */
import type { EngineSession, GroupParticipant, ParticipantResult } from '../ports/engine.js';
import { DomainError } from '../common/errors.js';
import type { EventLog } from '../events/event-log.js';
import { OWN_RESULT, type GroupSync } from '../groups/group-sync.js';
import { groupView, validateDescription, validateSubject, type GroupService, type GroupView } from '../groups/group-service.js';
import type { InstanceService } from '../instances/instance-service.js';
import type { Instance } from '../instances/instance-model.js';
import { mapEngineError, toOutcome, type Outcome, type ParticipantAction } from '../outcomes/outcomes.js';
import { inviteLink, normalizePeople, phoneToJid, type PersonRef } from '../common/phone.js';

export interface CreateGroupInput {
  name: string;
  participants: unknown[];
  description?: string;
  inviteOnPrivacyRefusal?: boolean;
  /** Only admins edit subject/description/picture (default true, as groups made here are). */
  locked?: boolean;
}

export interface ParticipantServiceDeps {
  instances: InstanceService;
  groups: GroupService;
  sync: GroupSync;
  events: EventLog;
}

const INVITE_CAPTION = 'You are invited to join this WhatsApp group.';

export function createParticipantService(deps: ParticipantServiceDeps) {
  const { instances, groups, sync, events } = deps;
  const myJid = (instance: Instance) => (instance.phone ? phoneToJid(instance.phone) : undefined);

  /** Normalises people, refusing the instance's own number. */
  function people(instance: Instance, inputs: unknown[]): PersonRef[] {
    const refs = normalizePeople(inputs);
    const own = refs.filter((r) => instance.phone && r.phone === instance.phone);
    if (own.length) {
      throw new DomainError('invalid_participant', "the instance's own number cannot be a participant", { invalid: own.map((r) => r.input) });
    }
    return refs;
  }

  const match = (ref: PersonRef, results: ParticipantResult[]) =>
    results.find((r) => r.jid === ref.jid || r.phoneJid === ref.jid || r.lid === ref.jid);

  /** For each privacy refusal, sends the invite v4 (or a text with the link when that fails). */
  async function invite(instance: Instance, session: EngineSession, groupId: string, groupName: string, outcomes: Outcome[], results: ParticipantResult[]) {
    let link: string | undefined;
    for (const o of outcomes) {
      if (o.status !== 'privacy_refused') continue;
      const req = results.find((r) => (r.phoneJid ?? r.jid) === o.jid || r.jid === o.jid)?.addRequest;
      try {
        if (!req) throw new Error('no invite code in the refusal');
        const sent = await session.sendGroupInvite(o.jid, { groupId, code: req.code, expiration: req.expiration, groupName, caption: INVITE_CAPTION });
        await logSent(instance, o.jid, sent, { groupInvite: { groupId, code: req.code, expiration: new Date(req.expiration * 1000).toISOString() } });
      } catch {
        try {
          link ??= inviteLink(await session.inviteCode(groupId));
          const sent = await session.sendText(o.jid, `${INVITE_CAPTION} ${link}`);
          await logSent(instance, o.jid, sent, { text: `${INVITE_CAPTION} ${link}` });
        } catch {
          continue; // stays privacy_refused, inviteSent false
        }
      }
      o.status = 'invited';
      o.inviteSent = true;
    }
  }

  async function logSent(instance: Instance, chatId: string, sent: { id: string; timestamp: number }, body: Record<string, unknown>) {
    await events.transact((_tx, emit) =>
      emit(instance.id, 'message.sent', { messageId: sent.id, chatId, timestamp: new Date(sent.timestamp * 1000).toISOString(), ...body }),
    );
  }

  const asParticipants = (results: ParticipantResult[], role: GroupParticipant['role'] = 'member'): GroupParticipant[] =>
    results.filter((r) => r.code === 200).map((r) => ({ phoneJid: r.phoneJid ?? (r.jid.endsWith('@lid') ? undefined : r.jid), lid: r.lid, role }));

  async function change(action: ParticipantAction, instanceId: string, groupId: string, inputs: unknown[], inviteOnPrivacyRefusal = true) {
    const { instance, session } = await instances.session(instanceId);
    const refs = people(instance, inputs);
    if (refs.length === 0) throw new DomainError('validation_failed', 'participants must list at least one person');
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
    const outcomes = refs.map((ref) => toOutcome(action, ref, match(ref, results)));
    const actor = myJid(instance);
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
      await invite(instance, session, groupId, g?.subject ?? '', outcomes, results);
    }
    return { outcomes };
  }

  return {
    /** Creates a group; answers the stored group and one outcome per requested participant. */
    async create(instanceId: string, input: CreateGroupInput): Promise<GroupView & { outcomes: Outcome[] }> {
      validateSubject(input.name);
      if (input.description !== undefined) validateDescription(input.description);
      const { instance, session } = await instances.session(instanceId);
      const refs = people(instance, input.participants);
      if (refs.length === 0) throw new DomainError('validation_failed', 'participants must list at least one person');
      let created;
      try {
        created = await session.createGroup(input.name, refs.map((r) => r.jid), { locked: input.locked ?? true, description: input.description });
      } catch (err) {
        return mapEngineError(err, 'create');
      }
      const groupId = created.group.id;
      await sync.apply(instance, { type: 'group.upsert', group: created.group, reason: 'created', actor: myJid(instance) }, OWN_RESULT);
      if (input.description && created.group.description !== input.description) {
        try {
          await session.setDescription(groupId, input.description);
          await sync.apply(instance, { type: 'group.update', groupId, changes: { description: input.description }, actor: myJid(instance) }, OWN_RESULT);
        } catch {
          // The group exists; a description refusal must not turn its creation into an error.
        }
      }
      const outcomes = refs.map((ref) => toOutcome('add', ref, match(ref, created.results)));
      if (input.inviteOnPrivacyRefusal ?? true) await invite(instance, session, groupId, input.name, outcomes, created.results);
      const stored = await groups.stored(instanceId, groupId);
      return { ...groupView(stored), outcomes };
    },

    /** Adds people; refused-by-privacy people get a private invite unless told otherwise. */
    add: (instanceId: string, groupId: string, inputs: unknown[], inviteOnPrivacyRefusal?: boolean) =>
      change('add', instanceId, groupId, inputs, inviteOnPrivacyRefusal),
    remove: (instanceId: string, groupId: string, inputs: unknown[]) => change('remove', instanceId, groupId, inputs),
    promote: (instanceId: string, groupId: string, inputs: unknown[]) => change('promote', instanceId, groupId, inputs),
    demote: (instanceId: string, groupId: string, inputs: unknown[]) => change('demote', instanceId, groupId, inputs),
    approve: (instanceId: string, groupId: string, inputs: unknown[]) => change('approve', instanceId, groupId, inputs),
    reject: (instanceId: string, groupId: string, inputs: unknown[]) => change('reject', instanceId, groupId, inputs),
  };
}

export type ParticipantService = ReturnType<typeof createParticipantService>;
