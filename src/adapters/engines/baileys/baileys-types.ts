/**
 * Types of the Baileys library as the engine uses it. Type-only: importing this file never loads
 * Baileys (the engine loads it lazily on the first session).
 */
import type * as Baileys from 'baileys';
import type { UserFacingSocketConfig, WASocket } from 'baileys';
import type * as BaileysGroups from 'baileys/lib/Socket/groups.js';

/** The `baileys` module namespace, plus the group-node parser it does not re-export. */
export type BaileysModule = typeof Baileys & {
  extractGroupMetadata: (typeof BaileysGroups)['extractGroupMetadata'];
};

/** Loads Baileys (the first call pays for it). */
export async function importBaileys(): Promise<BaileysModule> {
  const [lib, groups] = await Promise.all([import('baileys'), import('baileys/lib/Socket/groups.js')]);
  return { ...lib, extractGroupMetadata: groups.extractGroupMetadata };
}

/** Builds a socket; tests inject one that returns a fake or a harness-wired socket. */
export type SocketFactory = (lib: BaileysModule, config: UserFacingSocketConfig) => WASocket;

/** Timer functions, injectable so tests drive reconnects with a fake clock. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
