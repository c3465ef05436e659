/** The pacing-state port: what the pacing service reads and writes per instance. */
import type { PacingState } from '../pacing/pacing-model.js';

/** Pacing state per instance. `get` returns the empty state when none is stored; `put` upserts. */
export interface PacingStateRepository {
  get(instanceId: string): Promise<PacingState>;
  put(instanceId: string, state: PacingState, now: number): Promise<void>;
  /** Idempotent. */
  delete(instanceId: string): Promise<void>;
}
