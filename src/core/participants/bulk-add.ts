/**
 * Paced participant adds, the one path every API uses to add people: up to one batch runs inside the
 * request when pacing allows; anything else becomes a `participants.add` operation that adds them
 * batch by batch with pauses, one outcome per person. Each batch saves a checkpoint before and
 * after the engine call, so a resumed batch knows who the last attempt already added.
 */
import type { OperationRun, OperationStep } from '../ports/operation-queue.js';
import type { GroupService } from '../groups/group-service.js';
import type { InstanceService } from '../instances/instance-service.js';
import type { OperationService } from '../operations/operation-service.js';
import { createPacedRuns, isInline, type PacedOptions, type PacedResult } from '../operations/paced-runs.js';
import { toOutcome, type Outcome } from '../outcomes/outcomes.js';
import type { PacingService } from '../pacing/pacing-service.js';
import type { OperationQueue } from '../ports/operation-queue.js';
import { normalizePeople } from '../common/phone.js';
import { instancePhoneOptions, participantRefs } from './participant-refs.js';
import type { ParticipantService } from './participant-service.js';

export interface BulkAddDeps {
  instances: InstanceService;
  groups: GroupService;
  participants: ParticipantService;
  pacing: PacingService;
  queue: OperationQueue;
  /** Where the `participants.add` step handler is registered. */
  operations: OperationService;
  now: () => number;
  /** The hold limit of paced provider requests, ms (GROUPGATE_PACING_HOLD_SECONDS). */
  pacingHoldMs?: number;
  /** How a held request waits (tests pass a clock that advances itself). */
  sleep?: (ms: number) => Promise<void>;
}

/** Per-outcome counts. */
export function countOutcomes(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  return counts;
}

/** Builds paced adds and registers the `participants.add` operation kind. */
export function createBulkAdd(deps: BulkAddDeps) {
  const { instances, groups, participants, pacing, operations, now } = deps;
  const runs = createPacedRuns(deps);

  /** One step: the next batch (after the pause pacing asks for), reconciling a batch a crash interrupted. */
  async function runAdd(run: OperationRun): Promise<OperationStep> {
    const op = run.operation;
    const groupId = String(op.input.groupId);
    const all = op.input.participants as string[];
    const invite = op.input.inviteOnPrivacyRefusal as boolean | undefined;
    let cp: Record<string, unknown> = { ...op.checkpoint };
    const outcomes = (cp.outcomes as Outcome[] | undefined) ?? [];
    const next = Number(cp.next ?? 0);
    const summary = () => ({ groupId, outcomes, summary: countOutcomes(outcomes) });
    if (next >= all.length) return { status: 'succeeded', result: summary() };

    const policy = await pacing.policy(op.instanceId);
    const size = policy.enabled ? policy.addBatchSize : all.length;
    let nextAt = now();
    if (!isInline(op) && cp.stage !== 'calling') {
      const admission = await pacing.admitAddBatch(op.instanceId, policy);
      if (admission.run === 'later') return { status: 'scheduled', runAt: admission.at };
      nextAt = admission.nextAt;
    }

    const batch = all.slice(next, next + size);
    let toCall = batch;
    const already: Outcome[] = [];
    if (cp.stage === 'calling') {
      // The last attempt died around the engine call: whoever is in the group now was added by it.
      try {
        const { instance, session } = await instances.session(op.instanceId);
        const meta = await session.groupMetadata(groupId);
        const members = new Set(meta.participants.flatMap((p) => [p.phoneJid, p.lid].filter(Boolean) as string[]));
        const refs = normalizePeople(batch, instancePhoneOptions(instance));
        toCall = [];
        refs.forEach((ref) => {
          if (members.has(ref.jid)) already.push(toOutcome('add', ref, { jid: ref.jid, code: 200 }));
          else toCall.push(ref.input);
        });
      } catch {
        toCall = batch; // cannot tell: adding again answers already_member for those who made it
      }
    }

    cp = { ...cp, stage: 'calling' };
    await run.save(cp);
    run.crashPoint('operation.before-engine');
    let got: Outcome[] = [];
    if (toCall.length > 0) {
      try {
        got = (await participants.add(op.instanceId, groupId, toCall, invite)).outcomes;
      } catch (err) {
        return runs.refused(run, err, { ...cp, outcomes, next }, outcomes.length ? summary() : undefined);
      }
    }
    run.crashPoint('operation.after-engine');
    const byInput = new Map([...already, ...got].map((o) => [o.participant, o]));
    for (const p of batch) {
      // Every requested person gets exactly one outcome, even one the engine did not mention.
      outcomes.push(byInput.get(p) ?? { participant: p, jid: p, status: 'failed', inviteSent: false, code: 500 });
    }
    const done = next + batch.length;
    await run.save({ ...cp, stage: 'idle', outcomes, next: done }, { done: outcomes.length, total: all.length, counts: countOutcomes(outcomes) });
    run.crashPoint('operation.before-finish');
    await pacing.succeeded(op.instanceId);
    if (done < all.length) return { status: 'scheduled', runAt: Math.max(nextAt, now()) };
    return { status: 'succeeded', result: summary() };
  }

  operations.register('participants.add', {
    run: runAdd,
    groupIdOf: (result) => (result as { groupId?: string }).groupId,
  });

  return {
    /**
     * Adds people now (up to one batch, when pacing allows), or as an operation: more than one batch
     * always becomes an operation that adds them batch by batch with pauses.
     */
    async addParticipants(
      instanceId: string,
      groupId: string,
      inputs: unknown[],
      inviteOnPrivacyRefusal: boolean | undefined,
      options: PacedOptions,
    ): Promise<PacedResult<{ outcomes: Outcome[] }>> {
      const instance = await instances.get(instanceId);
      const refs = participantRefs(instance, inputs);
      const policy = await pacing.policy(instanceId);
      const whenPaced = runs.whenPaced(options, policy);
      const input = { groupId, participants: refs.map((r) => r.input), ...(inviteOnPrivacyRefusal !== undefined ? { inviteOnPrivacyRefusal } : {}) };
      const bulk = policy.enabled && refs.length > policy.addBatchSize;
      const progress = { done: 0, total: refs.length, counts: {} };
      const asAdded = (r: unknown) => ({ outcomes: (r as { outcomes: Outcome[] }).outcomes });
      // A retry of a request that already started its operation follows that one.
      const resumed = await runs.resume(options.requestKey, asAdded);
      if (resumed) return resumed;

      const decision = await pacing.reserveAddBatch(instanceId, policy, whenPaced, bulk, runs.holdMs);
      switch (decision.run) {
        case 'direct':
          return runs.direct(instanceId, () => participants.add(instanceId, groupId, inputs, inviteOnPrivacyRefusal));
        case 'refuse':
          throw runs.refusal('participant batch', decision.at, decision.because, whenPaced);
        case 'hold':
          await groups.stored(instanceId, groupId); // an unknown group is refused now, not after the wait
          await runs.hold(decision.at);
          return runs.runNow(instanceId, 'participants.add', input, whenPaced, progress, asAdded, options.requestKey);
        case 'later':
          await groups.stored(instanceId, groupId); // an unknown group is refused now, not after the wait
          return runs.schedule(instanceId, 'participants.add', decision.at, input, progress, options.requestKey);
        case 'now':
          return runs.runNow(instanceId, 'participants.add', input, whenPaced, progress, asAdded, options.requestKey);
      }
    },
  };
}

export type BulkAdd = ReturnType<typeof createBulkAdd>;
