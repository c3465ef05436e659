/**
 * Human pacing: how fast an instance may create groups and add people, per instance, so a number
 * behaves like a careful person rather than a script. The policy lives in the instance settings
 * (key `pacing`); what was done and reserved lives in the pacing state, which this service alone
 * reads and writes, each decision serialised per instance. Callers ask by intention (reserve a
 * creation, admit a due batch, record a 429) and get a decision back. See the README, "Human
 * pacing", for the defaults and their reasoning; the arithmetic is in `pacing-policy.ts`.
 */
import { DomainError } from '../common/errors.js';
import type { InstanceService } from '../instances/instance-service.js';
import { EMPTY_PACING_STATE, type PacingState } from './pacing-model.js';
import { PACING_LIMITS, addPauseMs, backedOff, createRunnableAt, effectivePolicy, nextCreateSlot, pruneState, type PacingPolicy } from './pacing-policy.js';
import { type PacingStateRepository } from '../ports/pacing-state.js';
import type { Store } from '../ports/store.js';

export { BACKOFF_BASE_MS, BACKOFF_MAX_MS, DEFAULT_PACING, PACING_LIMITS, effectivePolicy, type PacingPolicy } from './pacing-policy.js';

/**
 * What a caller does when pacing says "not yet": queue the action, refuse it, or hold the request
 * until its turn (when that turn comes within the caller's hold limit; otherwise refuse it).
 */
export type WhenPaced = 'queue' | 'refuse' | 'hold';

/** Why an action must wait: the instance's own pace, or a backoff after WhatsApp answered 429. */
export type PacedBecause = 'pace' | 'backoff';

/**
 * A pacing decision for a new action: `direct` (pacing off, nothing recorded), `now` (run now; its
 * slot is recorded), `later` (run at `at`; for creations the slot is reserved), `hold` (the caller
 * waits until `at` and then runs it; its turn is reserved), `refuse` (the next chance is `at`;
 * nothing recorded).
 */
export type Reservation = { run: 'direct' } | { run: 'now' } | { run: 'later'; at: number } | { run: 'hold'; at: number } | { run: 'refuse'; at: number; because: PacedBecause };

/** A decision for a due background step: run now (recorded), or come back at `at`. */
export type Admission<Now = object> = ({ run: 'now' } & Now) | { run: 'later'; at: number };

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

  /** Reads the state (pruned). */
  const state = async (instanceId: string) => pruneState(await states.get(instanceId), now());
  /** Writes the state. Call under `locked`. */
  const save = (instanceId: string, s: PacingState) => states.put(instanceId, s, now());

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
    /** The effective policy of an instance (`instance_not_found` when absent). */
    policy,
    view,

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

    /**
     * Asks for a group-creation slot: `now` records one at the current time; `later` reserves the
     * next free slot (when pacing is on) when `whenPaced` is `queue`; `hold` reserves it when it
     * comes within `holdMs`; `direct` when pacing is off and the instance is not backed off.
     */
    reserveCreate(instanceId: string, p: PacingPolicy, whenPaced: WhenPaced, holdMs = 0): Promise<Reservation> {
      return locked(instanceId, async () => {
        const s = await state(instanceId);
        if (!p.enabled && s.backoffUntil <= now()) return { run: 'direct' };
        const at = nextCreateSlot(p, s, now(), random);
        if (at <= now()) {
          await save(instanceId, { ...s, slots: [...s.slots, now()] });
          return { run: 'now' };
        }
        const because: PacedBecause = s.backoffUntil >= at ? 'backoff' : 'pace';
        if (whenPaced === 'refuse' || (whenPaced === 'hold' && at - now() > holdMs)) return { run: 'refuse', at, because };
        await save(instanceId, { ...s, slots: p.enabled ? [...s.slots, at] : s.slots });
        return whenPaced === 'hold' ? { run: 'hold', at } : { run: 'later', at };
      });
    },

    /** Gives back the creation slot reserved at `slotAt` (a cancelled creation). No-op when it is not reserved. */
    async releaseCreate(instanceId: string, slotAt: number): Promise<void> {
      await locked(instanceId, async () => {
        const s = await state(instanceId);
        const i = s.slots.lastIndexOf(slotAt);
        if (i >= 0) await save(instanceId, { ...s, slots: s.slots.filter((_, j) => j !== i) });
      });
    },

    /**
     * A due background creation: runnable now (and recorded as created), or the time to come back,
     * judged on what really happened rather than on the reserved slots.
     */
    admitCreate(instanceId: string): Promise<Admission> {
      return locked(instanceId, async () => {
        const p = await policy(instanceId);
        const s = await state(instanceId);
        const at = createRunnableAt(p, s, now(), random);
        if (at > now()) return { run: 'later', at };
        await save(instanceId, { ...s, created: [...s.created, now()] });
        return { run: 'now' };
      });
    },

    /** Records a group creation that runs now on a slot already reserved (inside the request). */
    async recordCreated(instanceId: string): Promise<void> {
      await locked(instanceId, async () => {
        const s = await state(instanceId);
        await save(instanceId, { ...s, created: [...s.created, now()] });
      });
    },

    /**
     * Asks to add people: `now` (one batch, and the next batch is pushed back by a pause), `later`
     * (at the next allowed time; always for more than one batch, `bulk`), `hold` (one batch whose
     * turn comes within `holdMs`: the turn is taken and the next batch pushed back after it),
     * `refuse` (paced, and neither queued nor held), or `direct` when pacing is off and the instance
     * is not backed off.
     */
    reserveAddBatch(instanceId: string, p: PacingPolicy, whenPaced: WhenPaced, bulk: boolean, holdMs = 0): Promise<Reservation> {
      return locked(instanceId, async () => {
        const s = await state(instanceId);
        if (!p.enabled && s.backoffUntil <= now()) return { run: 'direct' };
        const at = Math.max(now(), s.backoffUntil, p.enabled ? s.nextAddAt : 0);
        if (!bulk && at <= now()) {
          await save(instanceId, { ...s, nextAddAt: now() + addPauseMs(p, random) });
          return { run: 'now' };
        }
        const because: PacedBecause = s.backoffUntil >= at ? 'backoff' : 'pace';
        if (whenPaced === 'hold' && !bulk && at - now() <= holdMs) {
          await save(instanceId, { ...s, nextAddAt: at + addPauseMs(p, random) });
          return { run: 'hold', at };
        }
        if (whenPaced !== 'queue' && at > now()) return { run: 'refuse', at, because };
        return { run: 'later', at };
      });
    },

    /** A due background add batch: runnable now (the next one may start at `nextAt`, recorded), or the time to come back. */
    admitAddBatch(instanceId: string, p: PacingPolicy): Promise<Admission<{ nextAt: number }>> {
      return locked(instanceId, async () => {
        const s = await state(instanceId);
        const at = Math.max(s.backoffUntil, p.enabled ? s.nextAddAt : 0);
        if (at > now()) return { run: 'later', at };
        const nextAt = now() + addPauseMs(p, random);
        await save(instanceId, { ...s, nextAddAt: nextAt });
        return { run: 'now', nextAt };
      });
    },

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

    /** Forgets an instance's state (the instance is gone). Idempotent. */
    forget: (instanceId: string) => states.delete(instanceId),
  };
}

export type PacingService = ReturnType<typeof createPacingService>;
export { EMPTY_PACING_STATE };
