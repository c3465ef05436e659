/**
 * What each paced operation does when it runs: create a group (exactly once, reconciling with
 * WhatsApp after a crash) and add people batch by batch (accumulating one outcome per person).
 * Every step saves a checkpoint before and after the engine call, so a resumed step knows whether
 * the engine may already have acted.
 */
import type { GroupMetadata, ParticipantResult } from '../ports/engine.js';
import type { OperationRun, OperationStep } from '../ports/operation-queue.js';
import { DomainError, isDomainError } from '../common/errors.js';
import { OWN_RESULT, type GroupSync } from '../groups/group-sync.js';
import { groupView, type GroupService } from '../groups/group-service.js';
import type { InstanceService } from '../instances/instance-service.js';
import type { Operation, OperationError } from './operation-model.js';
import { toOutcome, type Outcome } from '../outcomes/outcomes.js';
import { addPauseMs, createRunnableAt, type PacingService } from '../pacing/pacing-service.js';
import type { CreateGroupInput, ParticipantService } from '../participants/participant-service.js';
import { normalizePeople, phoneToJid } from '../common/phone.js';

export interface HandlerDeps {
  instances: InstanceService;
  groups: GroupService;
  sync: GroupSync;
  participants: ParticipantService;
  pacing: PacingService;
  now: () => number;
  /** Other operations of an instance, to know which groups are already claimed by a creation. */
  createdGroupIds(instanceId: string, exceptOperationId: string): Promise<Set<string>>;
}

/** How long a background operation waits for a disconnected instance before trying again. */
export const RECONNECT_WAIT_MS = 60_000;
/** A background operation gives up after this many attempts on a disconnected instance. */
export const MAX_ATTEMPTS = 60;
/** Slack when matching a group's creation time to the call that created it (seconds). */
const CREATION_SLACK_SECONDS = 120;

const toError = (err: DomainError): OperationError => ({
  code: err.code,
  message: err.message,
  ...(err.details !== undefined ? { details: err.details } : {}),
  ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
});

/** Per-outcome counts. */
export function countOutcomes(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  return counts;
}

/** True for the first step of an operation that runs inside the request that made it. */
const isInline = (op: Operation) => op.checkpoint.inline === true && op.attempts <= 1;

export function createOperationHandlers(deps: HandlerDeps) {
  const { instances, groups, sync, participants, pacing, now } = deps;

  /** The common answer to an engine refusal: back off on 429, wait for a reconnection, else fail. */
  async function refused(run: OperationRun, err: unknown, cp: Record<string, unknown>, partial?: unknown): Promise<OperationStep> {
    if (!isDomainError(err)) throw err;
    const op = run.operation;
    await run.save({ ...cp, stage: 'idle' });
    if (err.code === 'rate_limited') {
      const until = await pacing.backOff(op.instanceId);
      if (isInline(op) && op.checkpoint.whenPaced === 'refuse') {
        const retry = Math.max(1, Math.ceil((until - now()) / 1000));
        return { status: 'failed', error: toError(new DomainError('rate_limited', err.message, err.details, retry)), result: partial };
      }
      return { status: 'scheduled', runAt: until };
    }
    if (err.code === 'instance_not_connected' && !isInline(op) && op.attempts < MAX_ATTEMPTS) {
      return { status: 'scheduled', runAt: now() + RECONNECT_WAIT_MS };
    }
    return { status: 'failed', error: toError(err), result: partial };
  }

  /** Finds the group a crashed attempt may have created: same name, ours, created since the call, not claimed by another operation. */
  async function findCreated(op: Operation, startedAt: number): Promise<GroupMetadata | undefined> {
    const { instance, session } = await instances.session(op.instanceId);
    const me = instance.phone ? phoneToJid(instance.phone) : undefined;
    const claimed = await deps.createdGroupIds(op.instanceId, op.id);
    const since = Math.floor(startedAt / 1000) - CREATION_SLACK_SECONDS;
    const all = await session.listGroups();
    return all
      .filter((g) => g.subject === op.input.name && g.creation >= since && (!g.owner || !me || g.owner === me) && !claimed.has(g.id))
      .sort((a, b) => a.creation - b.creation)[0];
  }

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
        return refused(run, err, cp);
      }
      if (found) {
        const { instance } = await instances.session(op.instanceId);
        await sync.apply(instance, { type: 'group.upsert', group: found, reason: 'created', actor: instance.phone ? phoneToJid(instance.phone) : undefined }, OWN_RESULT);
        const members = new Set(found.participants.flatMap((p) => [p.phoneJid, p.lid].filter(Boolean) as string[]));
        const outcomes = normalizePeople(input.participants).map((ref) => {
          const result: ParticipantResult | undefined = members.has(ref.jid) ? { jid: ref.jid, code: 200 } : undefined;
          return toOutcome('add', ref, result);
        });
        const result = { ...groupView(await groups.stored(op.instanceId, found.id)), outcomes };
        await run.save({ ...cp, stage: 'created', groupId: found.id, reconciled: true, result }, { done: 1, total: 1 });
        await pacing.succeeded(op.instanceId);
        return { status: 'succeeded', result };
      }
      // Not there: the call never reached WhatsApp, and its pacing slot is still ours.
    } else if (!isInline(op)) {
      const wait = await pacing.locked(op.instanceId, async () => {
        const policy = await pacing.policy(op.instanceId);
        const state = await pacing.state(op.instanceId);
        const at = createRunnableAt(policy, state, now(), pacing.random);
        if (at > now()) return at;
        await pacing.save(op.instanceId, { ...state, created: [...state.created, now()] });
        return 0;
      });
      if (wait) return { status: 'scheduled', runAt: wait };
    } else {
      await pacing.locked(op.instanceId, async () => {
        const state = await pacing.state(op.instanceId);
        await pacing.save(op.instanceId, { ...state, created: [...state.created, now()] });
      });
    }

    cp = { ...cp, stage: 'calling', creationKey: op.id, callStartedAt: now() };
    await run.save(cp);
    run.crashPoint('operation.before-engine');
    let created;
    try {
      created = await participants.create(op.instanceId, input);
    } catch (err) {
      return refused(run, err, cp);
    }
    run.crashPoint('operation.after-engine');
    await run.save({ ...cp, stage: 'created', groupId: created.id, result: created }, { done: 1, total: 1 });
    run.crashPoint('operation.before-finish');
    await pacing.succeeded(op.instanceId);
    return { status: 'succeeded', result: created };
  }

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
      const wait = await pacing.locked(op.instanceId, async () => {
        const state = await pacing.state(op.instanceId);
        const at = Math.max(state.backoffUntil, policy.enabled ? state.nextAddAt : 0);
        if (at > now()) return at;
        nextAt = now() + addPauseMs(policy, pacing.random);
        await pacing.save(op.instanceId, { ...state, nextAddAt: nextAt });
        return 0;
      });
      if (wait) return { status: 'scheduled', runAt: wait };
    }

    const batch = all.slice(next, next + size);
    let toCall = batch;
    const already: Outcome[] = [];
    if (cp.stage === 'calling') {
      // The last attempt died around the engine call: whoever is in the group now was added by it.
      try {
        const { session } = await instances.session(op.instanceId);
        const meta = await session.groupMetadata(groupId);
        const members = new Set(meta.participants.flatMap((p) => [p.phoneJid, p.lid].filter(Boolean) as string[]));
        const refs = normalizePeople(batch);
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
        return refused(run, err, { ...cp, outcomes, next }, outcomes.length ? summary() : undefined);
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

  return {
    /** Runs one step of any operation kind. */
    async handle(run: OperationRun): Promise<OperationStep> {
      try {
        switch (run.operation.kind) {
          case 'group.create':
            return await runCreate(run);
          case 'participants.add':
            return await runAdd(run);
        }
      } catch (err) {
        if (isDomainError(err)) return { status: 'failed', error: toError(err) };
        throw err;
      }
    },
  };
}
