/**
 * Pacing rules as pure functions: the policy (defaults, bounds, the stored settings read over the
 * defaults) and the arithmetic of slots, daily caps, add pauses and 429 backoff. The pacing service
 * applies them to the stored state; nothing here reads or writes anything.
 */
import type { PacingState } from './pacing-model.js';

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
