/** Per-instance pacing state, as the pacing service keeps it. */

/**
 * Per-instance pacing state (not the policy): what was done and reserved, and the 429 backoff.
 * Epoch milliseconds.
 */
export interface PacingState {
  /** Actual group creations in the last 24 hours, ascending. */
  created: number[];
  /** Reserved creation slots (past 24 h and future), ascending: admission spaces new ones after them. */
  slots: number[];
  /** The next participant batch may start at this time. */
  nextAddAt: number;
  /** While in the future, nothing of this instance reaches the engine (WhatsApp answered 429). */
  backoffUntil: number;
  /** Consecutive 429s; the backoff doubles with each, and resets after a success. */
  backoffLevel: number;
}

export const EMPTY_PACING_STATE: PacingState = { created: [], slots: [], nextAddAt: 0, backoffUntil: 0, backoffLevel: 0 };
