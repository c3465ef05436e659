/**
 * What to do when WhatsApp closes the connection, from the close code Baileys reports
 * (`lastDisconnect.error.output.statusCode`, DisconnectReason), and how long to wait before retrying.
 */

export type CloseDecision =
  /** Unlinked (401), forbidden (403) or banned (406): wipe the keys, never retry. */
  | { action: 'logged_out'; reason: string }
  /** 515 after pairing, or a refreshed version: open a new socket now. */
  | { action: 'reconnect_now'; reason: string }
  /** Stay down until the user restarts the instance. */
  | { action: 'stop'; status: 'disconnected' | 'failed'; reason: string }
  /** 405: fetch the current WhatsApp Web version once, then reconnect. */
  | { action: 'refresh_version'; reason: string }
  /** Anything else: reconnect after an exponential backoff with jitter. */
  | { action: 'backoff'; reason: string };

export interface CloseContext {
  /** The close code (Boom `output.statusCode`), when any. */
  code: number | undefined;
  /** The close error's message (never shown raw to users; used to explain transport errors). */
  message: string;
  /** A QR was shown on this socket and the account never connected. */
  qrShown: boolean;
  /** 405 was already handled once by refreshing the version. */
  versionRefreshed: boolean;
  /** Host of the WhatsApp endpoint, for readable reasons. */
  host: string;
}

/** Decides the next step after a close. */
export function decideOnClose(ctx: CloseContext): CloseDecision {
  switch (ctx.code) {
    case 401:
      return { action: 'logged_out', reason: 'logged out from the phone (device unlinked)' };
    case 403:
      return { action: 'logged_out', reason: 'WhatsApp refused this device (403 forbidden)' };
    case 406:
      return { action: 'logged_out', reason: 'this number is banned by WhatsApp (406)' };
    case 402:
      return { action: 'stop', status: 'failed', reason: 'temporarily banned by WhatsApp (402); restart the instance after the ban ends' };
    case 440:
      return { action: 'stop', status: 'disconnected', reason: 'connection replaced: another client connected with this number; restart the instance to take it back' };
    case 515:
      return { action: 'reconnect_now', reason: 'restart required by WhatsApp' };
    case 405:
      if (!ctx.versionRefreshed) return { action: 'refresh_version', reason: 'client version outdated; fetching the current one' };
      return { action: 'backoff', reason: 'client version refused by WhatsApp (405)' };
    default:
      break;
  }
  if (ctx.qrShown && (ctx.code === 408 || /QR refs/i.test(ctx.message))) {
    return { action: 'stop', status: 'disconnected', reason: 'QR not scanned; restart the instance for a new QR' };
  }
  return { action: 'backoff', reason: describeTransportClose(ctx) };
}

/** A readable reason for a transport-level close (never a stack trace). */
export function describeTransportClose(ctx: Pick<CloseContext, 'code' | 'message' | 'host'>): string {
  const m = ctx.message;
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo/i.test(m)) return `cannot resolve ${ctx.host} (no internet or DNS)`;
  if (/ECONNREFUSED/i.test(m)) return `connection refused by ${ctx.host}`;
  if (/ECONNRESET|socket hang up/i.test(m)) return `connection reset by ${ctx.host}`;
  if (/ENETUNREACH|EHOSTUNREACH/i.test(m)) return `network unreachable: cannot reach ${ctx.host}`;
  if (/ETIMEDOUT|timed out/i.test(m)) return `connection to ${ctx.host} timed out`;
  switch (ctx.code) {
    case 408:
      return `connection to ${ctx.host} lost`;
    case 428:
      return `connection closed by ${ctx.host}`;
    case 500:
      return 'bad session reported by WhatsApp (500)';
    case 503:
      return 'WhatsApp service unavailable (503)';
    case 411:
      return 'multi-device mismatch reported by WhatsApp (411)';
    default:
      return ctx.code ? `connection closed by WhatsApp (code ${ctx.code})` : `connection to ${ctx.host} failed`;
  }
}

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Uniform [0, 1). */
  random: () => number;
}

export const DEFAULT_BACKOFF = { baseMs: 2_000, capMs: 5 * 60_000 } as const;

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, "equal jitter" (half fixed, half random). */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exp = Math.min(options.capMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + (exp / 2) * options.random());
}
