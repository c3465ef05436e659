/**
 * Human pacing: how fast an instance may create groups and add people, per instance, so a number
 * behaves like a careful person rather than a script. The policy lives in the instance settings
 * (key `pacing`); what was done and reserved lives in the pacing state. See the README, "Human pacing", for the
 * defaults and their reasoning.
 */
import { DomainError } from '../common/errors.js';
import type { InstanceService } from '../instances/instance-service.js';
import { EMPTY_PACING_STATE, type PacingState } from './pacing-model.js';
import { type PacingStateRepository } from '../ports/pacing-state.js';
import type { Store } from '../ports/store.js';

export interface PacingPolicy {
  /** false turns every rule below off (sandbox tests and benchmarks only; never on a real number). */
  enabled: boolean;
  /** Minimum time between two group creations. */
  groupCreateIntervalSeconds: number;
  /** Random extra wait added to each interval, 0..this. */
  groupCreateJitterSeconds: number;
  /** Groups created in any rolling 24 hours at most. */
  groupCreateDailyCap: number;
  /** People per add call. A request for more becomes an operation adding them batch by batch. */
  addBatchSize: number;
  /** Minimum pause between two add batches (of any request of the instance). */
  addBatchPauseSeconds: number;
  /** Random extra pause, 0..this. */
  addBatchPauseJitterSeconds: number;
  /** Provider dialects queue a paced request (and answer as accepted) instead of answering 429. */
  queueWhenPaced: boolean;
}

export const DEFAULT_PACING: PacingPolicy = {
  enabled: true,
  groupCreateIntervalSeconds: 300,
  groupCreateJitterSeconds: 120,
  groupCreateDailyCap: 20,
  addBatchSize: 5,
  addBatchPauseSeconds: 30,
  addBatchPauseJitterSeconds: 60,
  queueWhenPaced: false,
};

/** Bounds of each numeric field (inclusive). */
export const PACING_LIMITS: Record<Exclude<keyof PacingPolicy, 'enabled' | 'queueWhenPaced'>, [number, number]> = {
  groupCreateIntervalSeconds: [0, 86_400],
  groupCreateJitterSeconds: [0, 86_400],
  groupCreateDailyCap: [1, 1000],
  addBatchSize: [1, 1024],
  addBatchPauseSeconds: [0, 86_400],
  addBatchPauseJitterSeconds: [0, 86_400],
};

const DAY_MS = 86_400_000;
/** First 429 backoff; doubles per consecutive 429 up to the maximum. */
export const BACKOFF_BASE_MS = 60_000;
export const BACKOFF_MAX_MS = 6 * 3_600_000;

/** The effective policy: stored fields over the defaults (unknown or out-of-range fields ignored). */
export function effectivePolicy(stored: unknown): PacingPolicy {
  const out: PacingPolicy = { ...DEFAULT_PACING };
  if (!stored || typeof stored !== 'object') return out;
  const s = stored as Record<string, unknown>;
  if (typeof s.enabled === 'boolean') out.enabled = s.enabled;
  if (typeof s.queueWhenPaced === 'boolean') out.queueWhenPaced = s.queueWhenPaced;
  for (const [key, [min, max]] of Object.entries(PACING_LIMITS) as [keyof typeof PACING_LIMITS, [number, number]][]) {
    const v = s[key];
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) out[key] = v;
  }
  return out;
}

/** A uniformly random whole number of milliseconds in [0, seconds * 1000]. */
const jitterMs = (seconds: number, random: () => number) => Math.floor(random() * seconds * 1000);

/** Drops what is older than 24 hours before `now`. */
export function pruneState(state: PacingState, now: number): PacingState {
  return { ...state, created: state.created.filter((t) => t > now - DAY_MS), slots: state.slots.filter((t) => t > now - DAY_MS) };
}

/**
 * Earliest time a new group creation may be slotted, given what is already reserved: spaced by
 * interval + jitter after the last reservation, after any backoff, and under the rolling daily cap.
 */
export function nextCreateSlot(policy: PacingPolicy, state: PacingState, now: number, random: () => number): number {
  let at = Math.max(now, state.backoffUntil);
  if (!policy.enabled) return at;
  const last = state.slots[state.slots.length - 1];
  if (last !== undefined) at = Math.max(at, last + policy.groupCreateIntervalSeconds * 1000 + jitterMs(policy.groupCreateJitterSeconds, random));
  return underDailyCap(state.slots, policy.groupCreateDailyCap, at);
}

/** Moves `at` forward until fewer than `cap` of `times` fall in the 24 hours before it. */
function underDailyCap(times: number[], cap: number, at: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  for (;;) {
    const inWindow = sorted.filter((t) => t > at - DAY_MS && t <= at);
    if (inWindow.length < cap) return at;
    at = inWindow[inWindow.length - cap]! + DAY_MS + 1;
  }
}

/**
 * When a due group creation may actually run, judged on what really happened (backoffs can bunch
 * reserved slots together): `now`, or a later time to come back.
 */
export function createRunnableAt(policy: PacingPolicy, state: PacingState, now: number, random: () => number): number {
  if (state.backoffUntil > now) return state.backoffUntil;
  if (!policy.enabled) return now;
  const last = state.created[state.created.length - 1];
  if (last !== undefined && now < last + policy.groupCreateIntervalSeconds * 1000) {
    return last + policy.groupCreateIntervalSeconds * 1000 + jitterMs(policy.groupCreateJitterSeconds, random);
  }
  const capAt = underDailyCap(state.created, policy.groupCreateDailyCap, now);
  return capAt;
}

/** The pause before the next add batch. */
export const addPauseMs = (policy: PacingPolicy, random: () => number) =>
  policy.enabled ? policy.addBatchPauseSeconds * 1000 + jitterMs(policy.addBatchPauseJitterSeconds, random) : 0;

/** The state after a 429 from the engine: exponential, persisted backoff. */
export function backedOff(state: PacingState, now: number): PacingState {
  const level = Math.min(state.backoffLevel + 1, 20);
  const delay = Math.min(BACKOFF_BASE_MS * 2 ** (level - 1), BACKOFF_MAX_MS);
  return { ...state, backoffLevel: level, backoffUntil: Math.max(state.backoffUntil, now + delay) };
}

export interface PacingServiceDeps {
  store: Store;
  instances: InstanceService;
  states: PacingStateRepository;
  now: () => number;
  random?: () => number;
}

/** What GET/PATCH /pacing show: the policy and, read-only, where the instance stands. */
export interface PacingView extends PacingPolicy {
  state: {
    backoffUntil: string | null;
    nextGroupCreateAt: string | null;
    groupsCreatedLast24h: number;
    nextAddAt: string | null;
  };
}

/** Creates the pacing service: policies, and state changes serialised per instance. */
export function createPacingService(deps: PacingServiceDeps) {
  const { store, instances, states, now } = deps;
  const random = deps.random ?? Math.random;
  const locks = new Map<string, Promise<unknown>>();

  /** Runs `fn` alone for this instance (in this process): pacing decisions read, then write, the state. */
  function locked<T>(instanceId: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(instanceId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    locks.set(instanceId, tail);
    void tail.then(() => {
      if (locks.get(instanceId) === tail) locks.delete(instanceId);
    });
    return next;
  }

  async function policy(instanceId: string): Promise<PacingPolicy> {
    const instance = await instances.get(instanceId);
    return effectivePolicy(instance.settings.pacing);
  }

  const isoOrNull = (t: number) => (t > now() ? new Date(t).toISOString() : null);

  async function view(instanceId: string): Promise<PacingView> {
    const p = await policy(instanceId);
    const s = pruneState(await states.get(instanceId), now());
    const nextSlot = Math.max(s.slots[s.slots.length - 1] ?? 0, s.backoffUntil);
    return {
      ...p,
      state: {
        backoffUntil: isoOrNull(s.backoffUntil),
        nextGroupCreateAt: isoOrNull(nextSlot),
        groupsCreatedLast24h: s.created.length,
        nextAddAt: isoOrNull(Math.max(s.nextAddAt, s.backoffUntil)),
      },
    };
  }

  return {
    policy,
    view,
    locked,
    random,

    /** Changes some policy fields; answers the new view. */
    async update(instanceId: string, patch: Partial<PacingPolicy>): Promise<PacingView> {
      const instance = await instances.get(instanceId);
      const current = effectivePolicy(instance.settings.pacing);
      for (const [key, [min, max]] of Object.entries(PACING_LIMITS) as [keyof typeof PACING_LIMITS, [number, number]][]) {
        const v = patch[key];
        if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) {
          throw new DomainError('invalid_setting', `${key} must be a whole number from ${min} to ${max}`);
        }
      }
      await store.instances.putSetting(instanceId, 'pacing', { ...current, ...patch });
      return view(instanceId);
    },

    /** Reads the state (pruned). */
    state: async (instanceId: string) => pruneState(await states.get(instanceId), now()),
    /** Writes the state. Call under `locked`. */
    save: (instanceId: string, state: PacingState) => states.put(instanceId, state, now()),

    /** Records a 429 from the engine: backs the instance off; returns when it may try again. */
    async backOff(instanceId: string): Promise<number> {
      return locked(instanceId, async () => {
        const s = backedOff(pruneState(await states.get(instanceId), now()), now());
        await states.put(instanceId, s, now());
        return s.backoffUntil;
      });
    },

    /** A successful engine call resets the backoff level. */
    async succeeded(instanceId: string): Promise<void> {
      await locked(instanceId, async () => {
        const s = await states.get(instanceId);
        if (s.backoffLevel === 0) return;
        await states.put(instanceId, { ...s, backoffLevel: 0 }, now());
      });
    },

    /** Forgets an instance's state (the instance is gone). */
    forget: (instanceId: string) => states.delete(instanceId),
  };
}

export type PacingService = ReturnType<typeof createPacingService>;
export { EMPTY_PACING_STATE };
