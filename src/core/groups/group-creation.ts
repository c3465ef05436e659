/**
 * Group creation, the whole path and its only home: the paced entry point every API uses (validate
 * the request once, ask pacing, then run now, schedule, refuse with `rate_limited`, or run directly
 * when pacing is off), the `group.create` operation that runs it exactly once (reconciling with
 * WhatsApp after a crash around the engine call), giving its slot back when cancelled, and the
 * engine call itself with its privacy invites.
 */
import type { EngineSession, GroupMetadata, ParticipantResult } from '../ports/engine.js';
import type { OperationQueue, OperationRun, OperationStep } from '../ports/operation-queue.js';
import type { EventLog } from '../events/event-log.js';
import type { Instance } from '../instances/instance-model.js';
import type { InstanceService } from '../instances/instance-service.js';
import type { OperationService } from '../operations/operation-service.js';
import { createPacedRuns, isInline, type PacedOptions, type PacedResult } from '../operations/paced-runs.js';
import type { Operation } from '../operations/operation-model.js';
import { mapEngineError, toOutcome, type Outcome } from '../outcomes/outcomes.js';
import type { PacingService } from '../pacing/pacing-service.js';
import { instancePhoneOptions, participantRefs, resultFor } from '../participants/participant-refs.js';
import { sendPrivacyInvites } from '../participants/privacy-invites.js';
import { normalizePeople, phoneToJid, type PersonRef } from '../common/phone.js';
import { groupView, validateDescription, validateSubject, type GroupService, type GroupView } from './group-service.js';
import { OWN_RESULT, type GroupSync } from './group-sync.js';

export interface CreateGroupInput {
  name: string;
  participants: unknown[];
  description?: string;
  inviteOnPrivacyRefusal?: boolean;
  /** Only admins edit subject/description/picture (default true, as groups made here are). */
  locked?: boolean;
}

/** A created group: the stored group and one outcome per requested participant. */
export type CreatedGroup = GroupView & { outcomes: Outcome[] };

export interface GroupCreationDeps {
  instances: InstanceService;
  groups: GroupService;
  sync: GroupSync;
  events: EventLog;
  pacing: PacingService;
  queue: OperationQueue;
  /** Where the `group.create` step handler and its cancel hook are registered. */
  operations: OperationService;
  now: () => number;
  /** The hold limit of paced provider requests, ms (GROUPGATE_PACING_HOLD_SECONDS). */
  pacingHoldMs?: number;
  /** How a held request waits (tests pass a clock that advances itself). */
  sleep?: (ms: number) => Promise<void>;
}

/** Slack when matching a group's creation time to the call that created it (seconds). */
const CREATION_SLACK_SECONDS = 120;

/** Builds group creation and registers the `group.create` operation kind. */
export function createGroupCreation(deps: GroupCreationDeps) {
  const { instances, groups, sync, events, pacing, queue, operations, now } = deps;
  const runs = createPacedRuns(deps);
  const myJid = (instance: Instance) => (instance.phone ? phoneToJid(instance.phone) : undefined);

  /** The engine call: creates the group, stores it, sets a description the engine dropped, sends privacy invites. */
  async function createOnEngine(instance: Instance, session: EngineSession, input: CreateGroupInput, refs: PersonRef[]): Promise<CreatedGroup> {
    let created;
    try {
      created = await session.createGroup(
        input.name,
        refs.map((r) => r.jid),
        { locked: input.locked ?? true, description: input.description },
      );
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
    const outcomes = refs.map((ref) => toOutcome('add', ref, resultFor(ref, created.results)));
    if (input.inviteOnPrivacyRefusal ?? true) await sendPrivacyInvites(events, { instance, session, groupId, groupName: input.name }, outcomes, created.results);
    const stored = await groups.stored(instance.id, groupId);
    return { ...groupView(stored), outcomes };
  }

  /** Groups already claimed by other creations of the instance. */
  async function claimedGroupIds(instanceId: string, exceptOperationId: string): Promise<Set<string>> {
    const { items } = await queue.list(instanceId, { kind: 'group.create', limit: 1000, offset: 0 });
    return new Set(items.filter((o) => o.id !== exceptOperationId && typeof o.checkpoint.groupId === 'string').map((o) => o.checkpoint.groupId as string));
  }

  /** Finds the group a crashed attempt may have created: same name, ours, created since the call, not claimed by another operation. */
  async function findCreated(op: Operation, startedAt: number): Promise<GroupMetadata | undefined> {
    const { instance, session } = await instances.session(op.instanceId);
    const me = instance.phone ? phoneToJid(instance.phone) : undefined;
    const claimed = await claimedGroupIds(op.instanceId, op.id);
    const since = Math.floor(startedAt / 1000) - CREATION_SLACK_SECONDS;
    const all = await session.listGroups();
    return all
      .filter((g) => g.subject === op.input.name && g.creation >= since && (!g.owner || !me || g.owner === me) && !claimed.has(g.id))
      .sort((a, b) => a.creation - b.creation)[0];
  }

  /** Adopts a group a crashed attempt created: stores it and answers as the call would have. */
  async function adopt(run: OperationRun, cp: Record<string, unknown>, found: GroupMetadata): Promise<OperationStep> {
    const op = run.operation;
    const input = op.input as unknown as CreateGroupInput;
    const { instance } = await instances.session(op.instanceId);
    await sync.apply(instance, { type: 'group.upsert', group: found, reason: 'created', actor: myJid(instance) }, OWN_RESULT);
    const members = new Set(found.participants.flatMap((p) => [p.phoneJid, p.lid].filter(Boolean) as string[]));
    const outcomes = normalizePeople(input.participants, instancePhoneOptions(instance)).map((ref) => {
      const result: ParticipantResult | undefined = members.has(ref.jid) ? { jid: ref.jid, code: 200 } : undefined;
      return toOutcome('add', ref, result);
    });
    const result = { ...groupView(await groups.stored(op.instanceId, found.id)), outcomes };
    await run.save({ ...cp, stage: 'created', groupId: found.id, reconciled: true, result }, { done: 1, total: 1 });
    await pacing.succeeded(op.instanceId);
    return { status: 'succeeded', result };
  }

  /** One step of `group.create`: exactly one group, whatever crashes around the engine call. */
  async function runCreate(run: OperationRun): Promise<OperationStep> {
    const op = run.operation;
    const input = op.input as unknown as CreateGroupInput;
    let cp: Record<string, unknown> = { ...op.checkpoint };
    if (cp.result) return { status: 'succeeded', result: cp.result };

    // A previous attempt reached the engine and then died: reconcile before calling again.
    if (cp.stage === 'calling') {
      let found: GroupMetadata | undefined;
      try {
        found = await findCreated(op, Number(cp.callStartedAt));
      } catch (err) {
        return runs.refused(run, err, cp);
      }
      if (found) return adopt(run, cp, found);
      // Not there: the call never reached WhatsApp, and its pacing slot is still ours.
    } else if (!isInline(op)) {
      const admission = await pacing.admitCreate(op.instanceId);
      if (admission.run === 'later') return { status: 'scheduled', runAt: admission.at };
    } else {
      await pacing.recordCreated(op.instanceId);
    }

    cp = { ...cp, stage: 'calling', creationKey: op.id, callStartedAt: now() };
    await run.save(cp);
    run.crashPoint('operation.before-engine');
    let created: CreatedGroup;
    try {
      const { instance, session } = await instances.session(op.instanceId);
      created = await createOnEngine(instance, session, input, participantRefs(instance, input.participants));
    } catch (err) {
      return runs.refused(run, err, cp);
    }
    run.crashPoint('operation.after-engine');
    await run.save({ ...cp, stage: 'created', groupId: created.id, result: created }, { done: 1, total: 1 });
    run.crashPoint('operation.before-finish');
    await pacing.succeeded(op.instanceId);
    return { status: 'succeeded', result: created };
  }

  operations.register('group.create', {
    run: runCreate,
    // Give the reserved creation slot back, so later requests are not spaced after a group that will never exist.
    onCancel: async (before) => {
      if (before.progress.done === 0) await pacing.releaseCreate(before.instanceId, before.runAt);
    },
    groupIdOf: (result) => (result as { id?: string }).id,
  });

  return {
    /** Creates a group now, or schedules it when pacing says wait (or refuses, per `whenPaced`). */
    async createGroup(instanceId: string, input: CreateGroupInput, options: PacedOptions): Promise<PacedResult<CreatedGroup>> {
      const instance = await instances.get(instanceId);
      validateSubject(input.name);
      if (input.description !== undefined) validateDescription(input.description);
      const refs = participantRefs(instance, input.participants);
      const policy = await pacing.policy(instanceId);
      const whenPaced = runs.whenPaced(options, policy);
      const stored = { ...input } as unknown as Record<string, unknown>;
      const progress = { done: 0, total: 1 };
      const asCreated = (r: unknown) => r as CreatedGroup;
      // A retry of a request that already started its creation follows that one: never a second group.
      const resumed = await runs.resume(options.requestKey, asCreated);
      if (resumed) return resumed;

      const decision = await pacing.reserveCreate(instanceId, policy, whenPaced, runs.holdMs);
      switch (decision.run) {
        case 'direct':
          // With an Idempotency-Key the creation is stored first even when unpaced, so a crash mid-call is reconciled, not repeated.
          if (options.requestKey) return runs.runNow(instanceId, 'group.create', stored, 'refuse', progress, asCreated, options.requestKey);
          return runs.direct(instanceId, async () => {
            const { instance: connected, session } = await instances.session(instanceId);
            return createOnEngine(connected, session, input, refs);
          });
        case 'refuse':
          throw runs.refusal('group creation', decision.at, decision.because, whenPaced);
        case 'later':
          return runs.schedule(instanceId, 'group.create', decision.at, stored, progress, options.requestKey);
        case 'hold':
          // The turn is reserved: wait for it inside the request, then run as if it had come now.
          await runs.hold(decision.at);
          return runs.runNow(instanceId, 'group.create', stored, whenPaced, progress, asCreated, options.requestKey);
        case 'now':
          return runs.runNow(instanceId, 'group.create', stored, whenPaced, progress, asCreated, options.requestKey);
      }
    },
  };
}

export type GroupCreation = ReturnType<typeof createGroupCreation>;
