/**
 * The WhatsApp Web client version the Baileys sockets announce. Baileys bundles one; when WhatsApp
 * refuses it (405), the current one is fetched once for every session (one fetch at a time, bounded
 * by a timeout), persisted, and used by every later socket, this process's and the next one's.
 */
import type { WAVersion } from 'baileys';
import type { BaileysAuthRepository } from './auth-repository.js';
import type { Timers } from './baileys-types.js';

/** Fetches the current version; resolves undefined (or rejects) when it cannot tell. Must honour `signal`. */
export type VersionFetcher = (signal: AbortSignal) => Promise<WAVersion | undefined>;

/** The engine-wide setting the learned version is stored under. */
export const VERSION_SETTING = 'wa-web-version';

export interface ClientVersion {
  /** Reads the stored version (once; later calls return at once). */
  load(): Promise<void>;
  /** The version to announce: the last one learned (from this process or the store), or undefined for Baileys' bundled one. */
  current(): WAVersion | undefined;
  /**
   * After a 405 for a socket that announced `refused`: when another session learned a different
   * version meanwhile, that one; otherwise one fetch (shared by every session asking at the same
   * time), persisted. Undefined when the fetch failed or timed out.
   */
  refresh(refused: WAVersion | undefined): Promise<WAVersion | undefined>;
}

export interface ClientVersionOptions {
  repo: Pick<BaileysAuthRepository, 'readSetting' | 'writeSetting'>;
  fetch: VersionFetcher;
  timeoutMs: number;
  timers: Timers;
  onError: (err: unknown, what: string) => void;
}

const same = (a: WAVersion | undefined, b: WAVersion | undefined) => (a ?? []).join('.') === (b ?? []).join('.');
const valid = (v: unknown): v is WAVersion => Array.isArray(v) && v.length === 3 && v.every((n) => Number.isInteger(n) && n >= 0);

export function createClientVersion(options: ClientVersionOptions): ClientVersion {
  let learned: WAVersion | undefined;
  let loading: Promise<void> | undefined;
  let fetching: Promise<WAVersion | undefined> | undefined;

  const load = () =>
    (loading ??= options.repo
      .readSetting(VERSION_SETTING)
      .then((text) => {
        const parsed: unknown = text ? JSON.parse(text) : undefined;
        if (valid(parsed)) learned ??= parsed;
      })
      .catch((err: unknown) => options.onError(err, 'reading the stored WhatsApp Web version')));

  async function fetchBounded(): Promise<WAVersion | undefined> {
    const abort = new AbortController();
    let timer: unknown;
    const timeout = new Promise<undefined>((resolve) => {
      timer = options.timers.setTimeout(() => {
        abort.abort();
        options.onError(new Error(`no answer within ${options.timeoutMs} ms`), 'fetching the current WhatsApp Web version');
        resolve(undefined);
      }, options.timeoutMs);
    });
    try {
      const fetched = await Promise.race([options.fetch(abort.signal), timeout]);
      if (!valid(fetched)) return undefined;
      learned = fetched;
      await options.repo.writeSetting(VERSION_SETTING, JSON.stringify(fetched)).catch((err: unknown) => options.onError(err, 'storing the WhatsApp Web version'));
      return fetched;
    } catch (err) {
      options.onError(err, 'fetching the current WhatsApp Web version');
      return undefined;
    } finally {
      options.timers.clearTimeout(timer);
    }
  }

  return {
    load,
    current: () => learned,
    async refresh(refused) {
      await load();
      if (learned && !same(learned, refused)) return learned;
      fetching ??= fetchBounded().finally(() => (fetching = undefined));
      return fetching;
    },
  };
}
