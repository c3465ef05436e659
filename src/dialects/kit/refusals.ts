/**
 * Group-level refusals that provider APIs answer as a false flag with HTTP 200 (the request was
 * well formed, WhatsApp would not do it for this group), rather than as an error status.
 */
import { isDomainError, type ErrorCode } from '../../core/common/errors.js';

/** Refusals every provider answers as a false flag. Dialects add their own on top. */
export const GROUP_REFUSALS: readonly ErrorCode[] = ['group_not_found', 'not_group_admin', 'group_full', 'removed_from_group', 'engine_refused'];

/** Runs a change: its flag, or false with the refusal's code when `refusals` has it; anything else throws. */
export async function flagged(refusals: ReadonlySet<ErrorCode>, fn: () => Promise<boolean>): Promise<{ ok: boolean; code?: ErrorCode }> {
  try {
    return { ok: await fn() };
  } catch (err) {
    if (isDomainError(err) && refusals.has(err.code)) return { ok: false, code: err.code };
    throw err;
  }
}
