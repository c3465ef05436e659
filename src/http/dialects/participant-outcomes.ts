/**
 * Shared by the provider dialects: a participant action whose every number was already so (all
 * already members, all not members) still answers per-number outcomes, as the providers do, where
 * the native API answers the refusal.
 */
import { isDomainError } from '../../core/errors.js';
import type { Outcome } from '../../core/outcomes.js';

/** Runs a participant action; the core's all-already-so refusal yields the outcomes it carries. */
export async function outcomesOf(run: () => Promise<{ outcomes: Outcome[] }>): Promise<Outcome[]> {
  try {
    return (await run()).outcomes;
  } catch (err) {
    if (isDomainError(err) && (err.code === 'participant_already_member' || err.code === 'participant_not_member')) {
      const outcomes = (err.details as { outcomes?: Outcome[] } | undefined)?.outcomes;
      if (outcomes) return outcomes;
    }
    throw err;
  }
}
