/**
 * One instance's WhatsApp connection through Baileys: linking (QR or pairing code), the connection
 * policy on close (see connection-policy.ts), the group resync after each (re)connect, and the port's
 * operations over the live socket.
 */
import type { ConnectionState, GroupMetadata as WaGroupMetadata, WASocket, WAVersion } from 'baileys';
import type { ClientVersion } from './client-version.js';
import type { Logger } from 'pino';
import type { ConnectionStatus, EngineEvent, EngineSession, EngineSessionOptions, Jid } from '../../../core/ports/engine.js';
import { engineError } from '../../../core/ports/engine.js';
import { loadAuthState, type StoredAuthState } from './auth-state.js';
import type { BaileysModule, SocketFactory, Timers } from './baileys-types.js';
import { backoffDelay, decideOnClose, DEFAULT_BACKOFF } from './connection-policy.js';
import { normalizeJid, phoneOf } from './convert.js';
import { describe, hostOf, quiet } from './log-helpers.js';
import { createEventTranslator, type EventTranslator } from './events.js';
import { createGroupOps, type GroupOps } from './group-ops.js';
import { LidMap } from './lid-map.js';
import { withInstance } from '../process-guard.js';

/** How many 515 restarts in a row reconnect at once before the backoff takes over. */
export const MAX_IMMEDIATE_RESTARTS = 3;

/** The browser WhatsApp is told about: name, browser, version. Pairing codes need a known browser. */
export const BROWSER: [string, string, string] = ['groupgate', 'Chrome', '1.0.0'];
import type { BaileysAuthRepository } from './auth-repository.js';

export interface SessionDeps {
  lib: BaileysModule;
  auth: BaileysAuthRepository;
  logger: Logger;
  makeSocket: SocketFactory;
  timers: Timers;
  now: () => number;
  random: () => number;
  /** Extra socket settings (tests point `waWebSocketUrl` at a local server). */
  socketConfig: Record<string, unknown>;
  /** Group ids the core already stores for this instance (to report vanished ones after a resync). */
  knownGroupIds: (instanceId: string) => Promise<string[]>;
  resyncThrottleMs: number;
  /** Prints a QR in the terminal (once per session). */
  printQr: (qr: string) => void;
  /** How long each of our IQs (and each send) waits for WhatsApp before failing with 408. */
  queryTimeoutMs: number;
  /** The WhatsApp Web version to announce, shared by every session of the engine. */
  version: ClientVersion;
  /** How long `close()` waits for the socket's end, the event queue and pending creds saves. */
  closeTimeoutMs: number;
}

/** Rejects every guarded call of one socket once it closes. */
interface SocketEnd {
  promise: Promise<never>;
  fail: (err: Error) => void;
}

function socketEnd(): SocketEnd {
  let fail!: (err: Error) => void;
  const promise = new Promise<never>((_, reject) => (fail = reject));
  promise.catch(() => undefined);
  return { promise, fail };
}

/** The group, message and contact operations, assigned from `createGroupOps` in the constructor. */
type SessionOps = Omit<EngineSession, 'connect' | 'close' | 'logout' | 'status' | 'currentQr' | 'requestPairingCode'>;
// The interface declares the ops the constructor copies onto the instance (Object.assign), so the class merges with it.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface BaileysSession extends SessionOps {}

/** The Baileys implementation of `EngineSession`. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class BaileysSession implements EngineSession {
  private state: { status: ConnectionStatus; reason: string } = { status: 'disconnected', reason: 'not started' };
  /** The last status the sink has received. */
  private published = this.state;
  private sock: WASocket | undefined;
  private auth: StoredAuthState | undefined;
  private qr: string | undefined;
  private qrShown = false;
  private qrPrinted = false;
  private pairingPhone: string | undefined;
  private attempt = 0;
  /** Immediate reconnects (515) since the connection last opened. */
  private restarts = 0;
  /** Bumped by connect, close and logout: a reconnect started before one of them gives up. */
  private generation = 0;
  private reconnectTimer: unknown;
  /** The version the last socket announced (undefined: Baileys' bundled one). */
  private version: WAVersion | undefined;
  private versionRefreshed = false;
  private lastResyncAt = Number.NEGATIVE_INFINITY;
  private readonly lids = new LidMap();
  private readonly cache = new Map<string, WaGroupMetadata>();
  private readonly ops: GroupOps;
  private translator: EventTranslator;
  private readonly waiters = new Set<() => void>();
  private readonly ends = new WeakMap<WASocket, SocketEnd>();
  /** Creds saves, one after the other in the order Baileys changed the creds. */
  private saving: Promise<void> = Promise.resolve();
  /** The resync in progress, if any (it runs beside the event queue, never inside it). */
  private resyncing: Promise<void> | undefined;
  /** How many sockets this session opened (tests assert the backoff with it). */
  connectAttempts = 0;

  constructor(
    private readonly deps: SessionDeps,
    private readonly options: EngineSessionOptions,
  ) {
    this.ops = createGroupOps({
      lib: () => deps.lib,
      sock: () => this.liveSocket(),
      lids: this.lids,
      cache: this.cache,
      me: () => this.me(),
      now: deps.now,
      guard: (call) => this.guard(call),
      queryTimeoutMs: deps.queryTimeoutMs,
    });
    this.translator = this.makeTranslator();
    Object.assign(this, this.ops);
  }

  // --- connection ---

  async connect(): Promise<void> {
    if (this.sock || this.reconnectTimer !== undefined) return;
    this.generation += 1;
    this.attempt = 0;
    this.restarts = 0;
    this.versionRefreshed = false;
    this.qrShown = false;
    this.qrPrinted = false;
    await this.setStatus('starting', 'connecting to WhatsApp');
    await this.open();
  }

  async close(): Promise<void> {
    this.generation += 1;
    this.cancelReconnect();
    const sock = this.sock;
    this.sock = undefined;
    this.qr = undefined;
    this.forgetUnconfirmedPairing();
    // The socket's end, the events it queued and every creds save it asked for finish before the
    // caller goes on (and closes the database), each bounded so a stuck call never blocks shutdown.
    if (sock) await this.bounded(Promise.resolve(sock.end(undefined)), 'ending the socket');
    await this.bounded(this.translator.settled(), 'delivering the queued events');
    await this.bounded(this.saving, 'saving the creds');
    if (this.state.status !== 'logged_out') await this.setStatus('disconnected', 'closed');
  }

  async logout(): Promise<void> {
    this.generation += 1;
    this.cancelReconnect();
    const sock = this.sock;
    this.sock = undefined;
    if (sock) {
      try {
        await sock.logout();
      } catch (err) {
        this.deps.logger.warn({ err: describe(err) }, 'logout could not reach WhatsApp; wiping the device keys anyway');
        void sock.end(undefined);
      }
    }
    await this.wipe();
    if (this.state.status !== 'logged_out') await this.setStatus('logged_out', 'logged out');
  }

  status(): { status: ConnectionStatus; reason: string; phone?: string } {
    const phone = this.phone();
    return { ...this.state, ...(phone ? { phone } : {}) };
  }

  currentQr(): string | undefined {
    return this.state.status === 'qr' ? this.qr : undefined;
  }

  async requestPairingCode(phone: string): Promise<string> {
    const sock = this.sock;
    if (!sock || (this.state.status !== 'qr' && this.state.status !== 'pairing')) {
      throw engineError(428, `pairing needs a session waiting to be linked (status ${this.state.status})`);
    }
    this.pairingPhone = phone;
    const code = await sock.requestPairingCode(phone);
    await this.setStatus('pairing', `enter the pairing code on the phone +${phone}`);
    return code;
  }

  /** Wipes the device keys (instance deleted). A save still pending finishes first, and later ones are dropped. */
  async wipe(): Promise<void> {
    this.auth = undefined;
    await this.saving;
    await this.deps.auth.deleteInstance(this.options.instanceId);
  }

  /** Resolves once every event seen so far was delivered and every creds change saved (tests and graceful hand-offs). */
  async settled(): Promise<void> {
    let resync: Promise<void> | undefined;
    do {
      resync = this.resyncing;
      await resync;
      await this.translator.settled();
    } while (resync !== this.resyncing);
    await this.saving;
  }

  /** Resolves when `predicate` holds on the status (checked on every change). */
  async whenStatus(predicate: (s: { status: ConnectionStatus; reason: string }) => boolean): Promise<void> {
    while (!predicate(this.published)) await new Promise<void>((resolve) => this.waiters.add(resolve));
  }

  /** The socket, for tests that drive it at the stanza level. */
  socket(): WASocket | undefined {
    return this.sock;
  }

  // --- internals ---

  private me(): Jid {
    const id = this.sock?.user?.id ?? this.auth?.state.creds.me?.id;
    return normalizeJid(id) ?? (this.options.phone ? `${this.options.phone}@s.whatsapp.net` : '');
  }

  /** Our own LID (WhatsApp gives it at login), so a stanza naming us only by LID is about us. */
  private learnOwnLid(sock: WASocket): void {
    const me = this.auth?.state.creds.me;
    this.lids.learn(normalizeJid(sock.user?.lid ?? me?.lid), normalizeJid(sock.user?.id ?? me?.id));
  }

  private phone(): string | undefined {
    const me = this.me();
    return me ? phoneOf(me) : undefined;
  }

  /**
   * Runs a call on the live socket; it fails with 428 as soon as that socket closes and with 408
   * when nothing came back within the query timeout (Baileys resolves both with `undefined`).
   */
  private async guard<T>(call: (sock: WASocket) => Promise<T>): Promise<T> {
    const sock = this.liveSocket();
    const end = this.ends.get(sock)?.promise;
    let timer: unknown;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.deps.timers.setTimeout(() => reject(engineError(408, 'WhatsApp did not answer in time')), this.deps.queryTimeoutMs);
    });
    timeout.catch(() => undefined);
    try {
      return await Promise.race([call(sock), timeout, ...(end ? [end] : [])]);
    } finally {
      this.deps.timers.clearTimeout(timer);
    }
  }

  private liveSocket(): WASocket {
    if (!this.sock || this.state.status !== 'connected') throw engineError(428, `WhatsApp connection is ${this.state.status}: ${this.state.reason}`);
    return this.sock;
  }

  private makeTranslator(): EventTranslator {
    return createEventTranslator({
      sink: (event) => this.options.sink(event),
      lids: this.lids,
      cache: this.cache,
      me: () => this.me(),
      // Through the operations, so a 429 pauses re-reads too.
      fetchMetadata: async (groupId) => {
        await this.ops.groupMetadata(groupId);
        return this.cache.get(groupId)!;
      },
      onError: (err, what) => this.deps.logger.warn({ err: describe(err) }, `baileys: ${what} failed`),
    });
  }

  private async open(): Promise<void> {
    const { lib, logger } = this.deps;
    this.auth ??= await loadAuthState(lib, this.deps.auth, this.options.instanceId);
    const auth = this.auth;
    this.version = this.deps.version.current();
    this.connectAttempts += 1;
    // Created as this instance's work, so a stray rejection from the library's listeners is logged with it.
    const sock = withInstance(this.options.instanceId, () =>
      this.deps.makeSocket(lib, {
        auth: { creds: auth.state.creds, keys: lib.makeCacheableSignalKeyStore(auth.state.keys, quiet(logger)) },
        logger: quiet(logger),
        ...(this.version ? { version: this.version } : {}),
        // WhatsApp links by pairing code only from the browser platforms it knows; "Chrome" is one.
        browser: BROWSER,
        markOnlineOnConnect: false,
        emitOwnEvents: false,
        syncFullHistory: false,
        // Status updates and newsletters never reach the core: acknowledged, never decrypted.
        shouldIgnoreJid: (jid: string) => lib.isJidStatusBroadcast(jid) || !!lib.isJidNewsletter(jid),
        // Sending to a group must never re-fetch its metadata (repeated fetches trip rate-overlimit).
        cachedGroupMetadata: async (jid: string) => this.cache.get(jid),
        ...this.deps.socketConfig,
      }),
    );
    this.sock = sock;
    const end = socketEnd();
    this.ends.set(sock, end);
    // Straight from the socket, not through the queue: calls in flight fail at once.
    sock.ev.on('connection.update', (update) => {
      if (update.connection === 'close') end.fail(engineError(428, 'the WhatsApp connection closed'));
    });
    // Saved at once, for whichever socket changed them: never behind the event queue, never dropped
    // because the socket closed meanwhile (the device's keys must match what WhatsApp was told).
    sock.ev.on('creds.update', () => this.queueSave(auth));
    sock.ws.on('CB:notification', (node: Parameters<EventTranslator['observeNotification']>[0]) => {
      if (node.attrs.type === 'w:gp2') this.translator.observeNotification(node);
    });
    // One queue for connection changes and group events, so they reach the sink in WhatsApp's order.
    sock.ev.process(async (events) => {
      this.translator.enqueue(async () => {
        if (this.sock !== sock) return;
        if (events['connection.update']) await this.onConnection(sock, events['connection.update']);
        if (this.sock === sock) await this.translator.handle(events);
      });
    });
  }

  private async onConnection(sock: WASocket, update: Partial<ConnectionState>): Promise<void> {
    if (update.qr) {
      this.qr = update.qr;
      this.qrShown = true;
      if (!this.qrPrinted) {
        this.qrPrinted = true;
        try {
          this.deps.printQr(update.qr);
        } catch (err) {
          // Printing is a convenience: the QR is still served through the API.
          this.deps.logger.warn({ err: describe(err) }, 'printing the QR in the terminal failed');
        }
      }
      if (this.state.status !== 'pairing') await this.setStatus('qr', 'scan the QR code with WhatsApp > Linked devices', update.qr);
    }
    if (update.connection === 'open') {
      this.learnOwnLid(sock);
      this.attempt = 0;
      this.restarts = 0;
      this.qr = undefined;
      this.qrShown = false;
      await this.setStatus('connected', 'connected');
      // Beside the queue: a close arriving while the resync waits for WhatsApp is handled at once.
      this.resyncing = this.resync(sock).finally(() => (this.resyncing = undefined));
    }
    if (update.connection === 'close') await this.onClose(sock, update.lastDisconnect?.error);
  }

  /** Queues a save of the creds, unless they were wiped meanwhile (logged out, instance deleted). */
  private queueSave(auth: StoredAuthState): void {
    this.saving = this.saving.then(() => (this.auth === auth ? this.saveCreds(auth) : undefined));
  }

  /** Waits for `work`, at most `closeTimeoutMs`; a failure or the timeout is logged, never thrown. */
  private async bounded(work: Promise<unknown>, what: string): Promise<void> {
    let timer: unknown;
    const timeout = new Promise<void>((resolve) => {
      timer = this.deps.timers.setTimeout(() => {
        this.deps.logger.warn(`closing: ${what} took longer than ${this.deps.closeTimeoutMs} ms; going on`);
        resolve();
      }, this.deps.closeTimeoutMs);
    });
    try {
      await Promise.race([work.then(() => undefined), timeout]);
    } catch (err) {
      this.deps.logger.warn({ err: describe(err) }, `closing: ${what} failed`);
    } finally {
      this.deps.timers.clearTimeout(timer);
    }
  }

  /**
   * Saves the creds. While a pairing code waits for the phone, Baileys has already put the number in
   * `creds.me`; that is kept out of the store (and dropped on close) until WhatsApp confirms the
   * pairing, so an unfinished pairing never looks like a linked device that was logged out.
   */
  private async saveCreds(auth: StoredAuthState): Promise<void> {
    const creds = auth.state.creds;
    const unconfirmed = creds.pairingCode && !creds.account && creds.me;
    const me = creds.me;
    try {
      if (unconfirmed) creds.me = undefined;
      await auth.saveCreds();
    } catch (err) {
      this.deps.logger.error({ err: describe(err) }, 'saving Baileys creds failed');
    } finally {
      if (unconfirmed) creds.me = me;
    }
  }

  /** A pairing that did not finish leaves no number behind: the next socket registers afresh. */
  private forgetUnconfirmedPairing(): void {
    const creds = this.auth?.state.creds;
    if (creds?.pairingCode && !creds.account) creds.me = undefined;
  }

  private async onClose(sock: WASocket, error: unknown): Promise<void> {
    this.forgetUnconfirmedPairing();
    if (this.sock !== sock) return; // closed on purpose
    this.sock = undefined;
    this.qr = undefined;
    const boom = error as { output?: { statusCode?: number }; message?: string } | undefined;
    const url = String(this.deps.socketConfig.waWebSocketUrl ?? 'wss://web.whatsapp.com/ws/chat');
    const decision = decideOnClose({
      code: boom?.output?.statusCode,
      message: `${boom?.message ?? ''} ${describe((error as { data?: unknown })?.data)}`,
      qrShown: this.qrShown,
      versionRefreshed: this.versionRefreshed,
      host: hostOf(url),
    });
    this.deps.logger.info({ instanceId: this.options.instanceId, code: boom?.output?.statusCode, decision: decision.action }, `WhatsApp connection closed: ${decision.reason}`);
    switch (decision.action) {
      case 'logged_out':
        await this.wipe();
        await this.setStatus('logged_out', decision.reason);
        return;
      case 'stop':
        await this.setStatus(decision.status, decision.reason);
        return;
      case 'reconnect_now':
        // A server that asks for a restart on every connection must not get a reconnect loop.
        this.restarts += 1;
        if (this.restarts > MAX_IMMEDIATE_RESTARTS) {
          await this.scheduleReconnect(`${decision.reason} ${this.restarts} times in a row`);
          return;
        }
        await this.setStatus('starting', decision.reason);
        await this.reopen();
        return;
      case 'refresh_version': {
        this.versionRefreshed = true;
        await this.setStatus('starting', decision.reason);
        // Bounded; when it fails (offline) the next socket announces what it did, and a second 405 backs off.
        await this.deps.version.refresh(this.version);
        await this.reopen();
        return;
      }
      case 'backoff':
        await this.scheduleReconnect(decision.reason);
        return;
    }
  }

  /** Reconnects after an exponential backoff with jitter. */
  private async scheduleReconnect(reason: string): Promise<void> {
    const delay = backoffDelay(this.attempt, { ...DEFAULT_BACKOFF, random: this.deps.random });
    this.attempt += 1;
    // Armed before the status is reported, so whoever sees "disconnected" sees the retry pending.
    this.reconnectTimer = this.deps.timers.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.reopen().catch((err) => this.deps.logger.error({ err: describe(err) }, 'scheduling a reconnect failed'));
    }, delay);
    await this.setStatus('disconnected', `${reason}; retrying in ${Math.ceil(delay / 1000)} s`);
  }

  /** Opens a new socket; when that fails (the key store unreachable, ...), tries again after a backoff. */
  private async reopen(): Promise<void> {
    const generation = this.generation;
    try {
      await this.open();
    } catch (err) {
      this.deps.logger.error({ err: describe(err) }, 'reconnecting failed');
      // Closed, logged out or restarted meanwhile: that call decides what happens next.
      if (generation !== this.generation || this.sock || this.reconnectTimer !== undefined) return;
      await this.scheduleReconnect('reconnecting to WhatsApp failed');
    }
  }

  private cancelReconnect(): void {
    if (this.reconnectTimer !== undefined) this.deps.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  /** After a (re)connect: report every group once (throttled) so changes made offline are not lost. */
  private async resync(sock: WASocket): Promise<void> {
    const now = this.deps.now();
    if (now - this.lastResyncAt < this.deps.resyncThrottleMs) return;
    this.lastResyncAt = now;
    try {
      const known = new Set([...(await this.deps.knownGroupIds(this.options.instanceId)), ...this.cache.keys()]);
      // Throws unless WhatsApp answered with a group list: only then is a missing group really gone.
      const groups = await this.ops.listGroups();
      if (this.sock !== sock) return;
      // Reported through the queue, in order with the notifications that arrived meanwhile.
      await new Promise<void>((resolve) =>
        this.translator.enqueue(async () => {
          try {
            if (this.sock !== sock) return;
            for (const group of groups) {
              known.delete(group.id);
              await this.options.sink({ type: 'group.upsert', group, reason: 'sync' });
            }
            for (const groupId of known) {
              this.cache.delete(groupId);
              await this.options.sink({ type: 'group.gone', groupId, reason: 'sync' });
            }
          } finally {
            resolve();
          }
        }),
      );
    } catch (err) {
      this.deps.logger.warn({ err: describe(err) }, 'group resync after connect failed');
    }
  }

  private async setStatus(status: ConnectionStatus, reason: string, qr?: string): Promise<void> {
    const changed = this.state.status !== status || this.state.reason !== reason;
    this.state = { status, reason };
    if (changed || qr) {
      const phone = status === 'connected' ? this.phone() : undefined;
      const event: EngineEvent = { type: 'connection', status, reason, ...(phone ? { phone } : {}), ...(qr ? { qr } : {}) };
      await this.options.sink(event);
    }
    // Waiters see a status once the sink has it (the instance row shows it).
    this.published = this.state;
    for (const wake of [...this.waiters]) {
      this.waiters.delete(wake);
      wake();
    }
  }
}
