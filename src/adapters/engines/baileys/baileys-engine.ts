/**
 * The Baileys engine factory (kind 'baileys'): real WhatsApp through the `baileys` library, loaded
 * lazily on the first session so a server with only sandbox instances never loads it.
 */
import type { Logger } from 'pino';
import type { EngineFactory, EngineSession, EngineSessionOptions } from '../../../core/ports/engine.js';
import type { BaileysAuthRepository } from './auth-repository.js';
import { BaileysSession } from './baileys-session.js';
import { createClientVersion, type ClientVersion, type VersionFetcher } from './client-version.js';
import { importBaileys, realTimers, type BaileysModule, type SocketFactory, type Timers } from './baileys-types.js';

export interface BaileysEngineOptions {
  auth: BaileysAuthRepository;
  logger: Logger;
  /** Group ids the core stores per instance, to report groups that vanished while offline. */
  knownGroupIds?: (instanceId: string) => Promise<string[]>;
  /** Tests: a fake or harness-wired socket. Default: Baileys' `makeWASocket`. */
  makeSocket?: SocketFactory;
  /** Tests: a preloaded module. Default: `importBaileys()` on first use. */
  loadLibrary?: () => Promise<BaileysModule>;
  socketConfig?: Record<string, unknown>;
  timers?: Timers;
  now?: () => number;
  random?: () => number;
  /** Minimum time between two group resyncs of one session; default 60 s. */
  resyncThrottleMs?: number;
  /** How long each IQ and send waits for WhatsApp before failing with 408; default 30 s. */
  queryTimeoutMs?: number;
  /** How long closing a session waits for the socket's end, its queued events and creds saves; default 5 s. */
  closeTimeoutMs?: number;
  /** Fetches the current WhatsApp Web version after a 405; default Baileys' `fetchLatestWaWebVersion`. */
  fetchVersion?: VersionFetcher;
  /** How long that fetch may take; default 10 s. */
  versionFetchTimeoutMs?: number;
  /** Prints a QR in the terminal; default: `qrcode`'s terminal rendering, only when stdout is a TTY. */
  printQr?: (qr: string) => void;
}

/** Creates the Baileys engine factory. */
export function createBaileysEngineFactory(options: BaileysEngineOptions): EngineFactory & { session(instanceId: string): BaileysSession | undefined } {
  const sessions = new Map<string, BaileysSession>();
  let loading: Promise<BaileysModule> | undefined;
  const load = () => {
    loading ??= (options.loadLibrary ?? importBaileys)().catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
    return loading;
  };
  let version: ClientVersion | undefined;
  const clientVersion = (lib: BaileysModule) =>
    (version ??= createClientVersion({
      repo: options.auth,
      fetch:
        options.fetchVersion ??
        (async (signal) => {
          const latest = await lib.fetchLatestWaWebVersion({ signal });
          return latest.isLatest && !latest.error ? latest.version : undefined;
        }),
      timeoutMs: options.versionFetchTimeoutMs ?? 10_000,
      timers: options.timers ?? realTimers,
      onError: (err, what) => options.logger.warn({ err: err instanceof Error ? err.message : String(err) }, `baileys: ${what} failed`),
    }));
  const printQr =
    options.printQr ??
    ((qr: string) => {
      if (!process.stdout.isTTY) return;
      import('qrcode')
        .then(async (qrcode) => {
          const art = await qrcode.toString(qr, { type: 'terminal', small: true });
          options.logger.info(`scan this QR code with WhatsApp > Linked devices:\n${art}`);
        })
        .catch((err: unknown) => options.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'printing the QR in the terminal failed'));
    });

  return {
    kind: 'baileys',
    async create(session: EngineSessionOptions): Promise<EngineSession> {
      const lib = await load();
      await clientVersion(lib).load();
      const created = new BaileysSession(
        {
          lib,
          auth: options.auth,
          logger: options.logger.child({ instanceId: session.instanceId }),
          makeSocket: options.makeSocket ?? ((l, config) => l.makeWASocket(config)),
          timers: options.timers ?? realTimers,
          now: options.now ?? Date.now,
          random: options.random ?? Math.random,
          socketConfig: options.socketConfig ?? {},
          knownGroupIds: options.knownGroupIds ?? (async () => []),
          resyncThrottleMs: options.resyncThrottleMs ?? 60_000,
          printQr,
          queryTimeoutMs: options.queryTimeoutMs ?? 30_000,
          closeTimeoutMs: options.closeTimeoutMs ?? 5_000,
          version: clientVersion(lib),
        },
        session,
      );
      sessions.set(session.instanceId, created);
      return created;
    },
    async destroy(instanceId: string): Promise<void> {
      const session = sessions.get(instanceId);
      sessions.delete(instanceId);
      if (session) await session.close().catch(() => undefined);
      await options.auth.deleteInstance(instanceId);
    },
    session: (instanceId) => sessions.get(instanceId),
  };
}
