/** Logging helpers of the Baileys engine: a quiet library logger and short, stack-free error text. */
import type { Logger } from 'pino';

/** Baileys logs a lot at info; only its warnings reach our log. */
export function quiet(logger: Logger): Logger {
  const child = logger.child({ component: 'baileys-lib' });
  child.level = logger.levelVal > 40 ? logger.level : 'warn';
  return child;
}

/** Host of a WebSocket URL, for readable reasons. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'web.whatsapp.com';
  }
}

/** A short description of an error for logs (message only, never a stack). */
export function describe(err: unknown): string {
  if (!err) return '';
  if (err instanceof Error) return `${err.message}${(err as { code?: string }).code ? ` (${(err as { code?: string }).code})` : ''}`;
  if (typeof err === 'object') return String((err as { message?: unknown }).message ?? (err as { code?: unknown }).code ?? '');
  return String(err);
}
