/**
 * Baileys sessions logged into the WhatsApp double: the engine conformance harness, and the base the
 * fault suites build on. Each session is a real `makeWASocket` from the engine factory, pointed at
 * the double with `waWebSocketUrl`; nothing of the socket is replaced.
 */
import pino from 'pino';
import { createMemoryAuthRepository, loadAuthState } from '../../../../../src/adapters/engines/baileys/auth-state.js';
import { createBaileysEngineFactory, type BaileysEngineOptions } from '../../../../../src/adapters/engines/baileys/baileys-engine.js';
import type { BaileysSession } from '../../../../../src/adapters/engines/baileys/baileys-session.js';
import { importBaileys, type BaileysModule } from '../../../../../src/adapters/engines/baileys/baileys-types.js';
import type { EngineEvent, EngineSession } from '../../../../../src/core/ports/engine.js';
import { createMemoryPersistence } from '../../../../../src/adapters/engines/sandbox/emulator/memory-persistence.js';
import { createSandboxNetwork, type SandboxNetwork } from '../../../../../src/adapters/engines/sandbox/emulator/network.js';
import type { ConformanceHarness, ConformanceOptions } from '../../engine-conformance.js';
import { startWaDouble, type Addressing, type WaDouble, type WaDoubleOptions } from './wa-double.js';

/** The port's asynchronous methods: the ones whose events the harness delivers before they return. */
const ASYNC_METHODS = new Set([
  'connect',
  'close',
  'logout',
  'requestPairingCode',
  'createGroup',
  'groupMetadata',
  'listGroups',
  'leaveGroup',
  'setSubject',
  'setDescription',
  'setPicture',
  'addParticipants',
  'removeParticipants',
  'promoteParticipants',
  'demoteParticipants',
  'inviteCode',
  'revokeInvite',
  'joinByCode',
  'inviteInfo',
  'acceptInviteV4',
  'updateSettings',
  'joinRequests',
  'approveJoinRequests',
  'rejectJoinRequests',
  'sendText',
  'sendGroupInvite',
  'onWhatsApp',
]);
/** The methods that send a message: they return once the double has the stanza to relay. */
const SEND_METHODS = new Set(['sendText', 'sendGroupInvite']);
/** Above Baileys' MIN_PREKEY_COUNT, so a login does not upload more. */
const PRE_KEYS_AT_LINK = 10;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

let libPromise: Promise<BaileysModule> | undefined;
/** Baileys, loaded once per test process. */
export const baileysLib = () => (libPromise ??= importBaileys());

export interface DoubleHarnessOptions extends ConformanceOptions {
  addressing?: Addressing;
  /** Engine options (timeouts, timers, knownGroupIds ...). */
  engine?: Partial<BaileysEngineOptions>;
  /** Extra Baileys socket settings. */
  socketConfig?: Record<string, unknown>;
  /** Double settings beyond the addressing (the accepted client version, ...). */
  double?: Omit<WaDoubleOptions, 'lib' | 'network' | 'addressing'>;
  /** The auth repository (default a fresh in-memory one); a second harness over the same one plays a restart. */
  auth?: ReturnType<typeof createMemoryAuthRepository>;
}

/** A linked device's creds for `phone` (what a finished pairing leaves in the store). */
export function linkedCreds(lib: BaileysModule, phone: string, lid: string) {
  const creds = lib.initAuthCreds();
  creds.me = { id: `${phone}:1@s.whatsapp.net`, lid: `${lid.split('@')[0]}:1@lid`, name: phone };
  creds.registered = true;
  // Synced before: Baileys goes online at once instead of waiting for a first history sync.
  creds.accountSyncCounter = 1;
  return creds;
}

/** Starts the emulator, the double and an engine factory whose sockets log into the double. */
export async function makeDoubleHarness(options: DoubleHarnessOptions = {}) {
  let clock = Date.UTC(2025, 0, 1);
  const network: SandboxNetwork = createSandboxNetwork({
    persistence: createMemoryPersistence(),
    now: () => clock,
    ...(options.groupCreateLimitPerHour !== undefined ? { groupCreateLimitPerHour: options.groupCreateLimitPerHour } : {}),
  });
  await network.load();
  const lib = await baileysLib();
  const double: WaDouble = await startWaDouble({ ...options.double, lib, network, addressing: options.addressing ?? 'lid' });
  const logger = pino({ level: 'silent' });
  const auth = options.auth ?? createMemoryAuthRepository();
  const factory = createBaileysEngineFactory({
    auth,
    logger,
    loadLibrary: async () => lib,
    resyncThrottleMs: 0,
    now: () => clock,
    ...options.engine,
    socketConfig: { waWebSocketUrl: double.url, ...options.socketConfig },
  });
  const logs = new Map<string, EngineEvent[]>();
  const sessions = new Map<string, Promise<EngineSession>>();
  const instanceId = (phone: string) => `inst-${phone}`;

  /** Waits until the double delivered every notification and every session handled what it got. */
  async function flush(): Promise<void> {
    await double.idle();
    for (const phone of logs.keys()) await factory.session(instanceId(phone))?.settled();
    await tick();
    await double.idle();
  }

  async function waitConnected(session: BaileysSession): Promise<void> {
    await session.whenStatus((s) => s.status === 'connected' || s.status === 'logged_out' || s.status === 'failed');
    // Baileys releases its start-up event buffer on a zero-delay timer after the offline flush.
    const ev = session.socket()?.ev as unknown as { isBuffering(): boolean } | undefined;
    for (let i = 0; i < 1000 && ev?.isBuffering(); i += 1) await tick();
    await session.settled();
  }

  /** The session as the suite sees it: every async call returns only after the events it caused arrived. */
  function wrap(session: BaileysSession, phone: string): EngineSession {
    return new Proxy(session, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (typeof prop !== 'string' || !ASYNC_METHODS.has(prop)) return (value as (...a: unknown[]) => unknown).bind(target);
        return async (...args: unknown[]) => {
          const release = prop === 'connect' ? () => undefined : double.hold();
          try {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            // A message is on its way once Baileys wrote it; the double relays it when it arrives.
            const sentId = SEND_METHODS.has(prop) ? (result as { id?: string } | undefined)?.id : undefined;
            if (sentId) await double.waitFor(phone, (n) => n.tag === 'message' && n.attrs.id === sentId);
            return result;
          } finally {
            release();
            if (prop === 'connect') await waitConnected(target);
            await flush();
          }
        };
      },
    });
  }

  /** Creates (once) the Baileys session of a linked device for `phone`, not yet connected. */
  async function create(phone: string, link = true): Promise<BaileysSession> {
    const existing = factory.session(instanceId(phone));
    if (existing) return existing;
    const log: EngineEvent[] = [];
    logs.set(phone, log);
    if (link) {
      const account = await network.seedAccount(phone);
      const lid = account.lid ?? (await network.attach(phone, async () => undefined)).lid!;
      await auth.writeCreds(instanceId(phone), JSON.stringify(linkedCreds(lib, phone, lid), lib.BufferJSON.replacer));
      // What pairing leaves on the server: the device's key bundle with a few one-time pre-keys.
      const stored = await loadAuthState(lib, auth, instanceId(phone));
      const { update, node } = await lib.getNextPreKeysNode(stored.state, PRE_KEYS_AT_LINK);
      Object.assign(stored.state.creds, update);
      await stored.saveCreds();
      double.storeUpload(phone, 1, node);
    }
    await factory.create({ instanceId: instanceId(phone), phone, sink: async (event) => void log.push(event) });
    return factory.session(instanceId(phone))!;
  }

  const harness = {
    network,
    double,
    lib,
    auth,
    factory,
    addressingMode: options.addressing ?? 'lid',
    create,
    baileys: (phone: string) => factory.session(instanceId(phone)),
    instanceId,
    flush,
    waitConnected,
    wrap,
    session(phone: string): Promise<EngineSession> {
      let session = sessions.get(phone);
      if (!session) {
        session = (async () => {
          const created = await create(phone);
          await created.connect();
          await waitConnected(created);
          await flush();
          return wrap(created, phone);
        })();
        sessions.set(phone, session);
      }
      return session;
    },
    events: (phone: string) => [...(logs.get(phone) ?? [])],
    advanceClock(ms: number) {
      clock += ms;
    },
    async close() {
      for (const phone of logs.keys())
        await factory
          .session(instanceId(phone))
          ?.close()
          .catch(() => undefined);
      await double.close();
    },
  } satisfies ConformanceHarness & Record<string, unknown>;
  return harness;
}

export type DoubleHarness = Awaited<ReturnType<typeof makeDoubleHarness>>;
