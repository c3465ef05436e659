/**
 * The sandbox network: one in-process WhatsApp group server shared by every sandbox instance.
 *
 * Writes run one at a time through a FIFO mutex: each applies its changes, hands them to the
 * persistence port and makes them visible, then lets the next write start. Saving and delivering
 * happen outside the mutex, so writes that arrive together are saved together (the persistence
 * commits what queued meanwhile in one transaction) and their events are handled side by side:
 * - a write's events reach a sink only once its changes are saved, and each account receives the
 *   events of one chat (a group, or a direct chat) in the order the writes ran; different chats'
 *   events may interleave, as on WhatsApp;
 * - a caller whose call resolves knows its changes are saved and every member was told;
 * - a failed save rejects the write, sends none of its events, and reloads the saved state.
 * Reads skip the mutex, which lets a sink read the network while it handles an event. A sink must
 * NOT await a write of the same chat: that write's events would queue behind the one being handled.
 *
 * Shared mode (a `SharedSandboxPersistence`, several processes on one database): each write also
 * runs under the store's cluster-wide lock on state caught up with the shared log, every read first
 * catches up, and notices reach this process's sinks through the log (see `createSharedSync`).
 */
import type { EngineSession, EngineSink } from '../../../../core/ports/engine.js';
import { cryptoRandom, normalizePhone } from './ids.js';
import { createGroup, groupMetadata, leaveGroup, listGroups, setDescription, setPicture, setSubject, updateSettings } from './group-ops.js';
import { acceptInviteV4, inviteCode, inviteInfo, joinByCode, revokeInvite } from './invite-ops.js';
import { approveJoinRequests, joinRequests, rejectJoinRequests } from './join-request-ops.js';
import { onWhatsApp, sendGroupInvite, sendText } from './message-ops.js';
import { createMutex } from './mutex.js';
import { addParticipants, demoteParticipants, promoteParticipants, removeParticipants } from './participant-ops.js';
import { NetworkState } from './state.js';
import { Tx, deliver, deliverTo, hasChanges } from './tx.js';
import type {
  SandboxAccountSettings,
  SandboxAccountView,
  SandboxCatchUp,
  SandboxConfig,
  SandboxGroupView,
  SandboxNetworkOptions,
  SandboxNotice,
  SandboxPersistence,
  SharedSandboxPersistence,
} from './types.js';
import { metadataView } from './views.js';

/** Everything an account can ask the group server: the `EngineSession` group, message and contact methods. */
export type SandboxActions = Omit<EngineSession, 'connect' | 'close' | 'logout' | 'status' | 'currentQr' | 'requestPairingCode'>;

export interface SandboxNetwork {
  /** Restores state from persistence. Runs once; every operation awaits it, so calling it is optional but surfaces load errors early. */
  load(): Promise<void>;
  /** The network clock, epoch milliseconds. */
  now(): number;

  // --- accounts ---
  /** Creates or updates a number's settings (given fields only); its LID never changes. */
  seedAccount(phone: string, settings?: Partial<SandboxAccountSettings>): Promise<SandboxAccountView>;
  /** Settings of any number; a never-seen one is registered with privacy `everyone` and has no LID yet. */
  getAccount(phone: string): SandboxAccountView;
  /** Routes this account's events to `sink` (replacing any previous sink); creates the account if new, keeping seeded settings. */
  attach(phone: string, sink: EngineSink): Promise<SandboxAccountView>;
  /** Stops delivering to the account; with `sink`, only if that sink is still the attached one. The account stays in its groups. */
  detach(phone: string, sink?: EngineSink): void;
  isAttached(phone: string): boolean;

  // --- operations ---
  /** The operations of one account (digits or phone jid); EngineError for every refusal. */
  as(phone: string): SandboxActions;

  // --- server truth, for assertions and operator tools ---
  /** A copy of the group record and its metadata; undefined when there is no such group. */
  group(groupId: string): SandboxGroupView | undefined;
  /** Ids of every group, in creation order. */
  groupIds(): string[];

  /** Shared mode: replays what other processes committed, so the synchronous reads above see it. Single-process mode: nothing to do. */
  refresh(): Promise<void>;
  /** Shared mode: stops listening to the other processes. */
  close(): Promise<void>;
}

/** Creates an empty network over `persistence`; see `SandboxNetworkOptions` for the defaults. */
export function createSandboxNetwork(options: SandboxNetworkOptions): SandboxNetwork {
  const config: SandboxConfig = {
    now: options.now ?? Date.now,
    groupCreateLimitPerHour: options.groupCreateLimitPerHour ?? 30,
    recentlyLeftSeconds: options.recentlyLeftSeconds ?? 3600,
    maxGroupSize: options.maxGroupSize ?? 1024,
    random: options.random ?? cryptoRandom,
    onSinkError: options.onSinkError ?? ((error, phone, event) => console.error(`sandbox sink of ${phone} failed on ${event.type}`, error)),
    onSyncError: options.onSyncError ?? ((error) => console.error('sandbox: reading what other processes committed failed', error)),
  };
  const { persistence } = options;
  const state = new NetworkState(config);
  const mutex = createMutex();
  const shared = isShared(persistence) ? createSharedSync(state, persistence) : undefined;
  let loading: Promise<void> | undefined;

  const load = (): Promise<void> => {
    loading ??= (shared ? shared.load() : persistence.load().then((snapshot) => state.restore(snapshot))).catch((error: unknown) => {
      loading = undefined; // let a later call retry
      throw error;
    });
    return loading;
  };

  /**
   * Per account and chat, the writes whose events wait for delivery: each chat's events reach a
   * sink in write order, one delivery at a time. The writes that queue while one is delivered go
   * together in the next, as one call of a sink that takes several (the core applies them in one
   * store transaction).
   */
  const lanes = new Map<string, { phone: string; queued: { events: SandboxNotice['event'][]; saved: Promise<void>; done: () => void }[] }>();
  /** Deliveries not yet done, for a write that must wait for everything queued before it. */
  const inFlight = new Set<Promise<void>>();
  const drainLane = async (key: string) => {
    const lane = lanes.get(key)!;
    while (lane.queued.length > 0) {
      const batch = lane.queued.splice(0);
      const events: SandboxNotice['event'][] = [];
      for (const item of batch) {
        try {
          await item.saved;
          events.push(...item.events);
        } catch {
          // an unsaved write sends nothing; the next one still goes
        }
      }
      await deliverTo(state, lane.phone, events).catch(() => undefined);
      for (const item of batch) item.done();
    }
    lanes.delete(key);
  };
  /** Queues the notices of a write that is being saved (`saved`); resolves once every sink handled them. */
  const dispatch = (notices: readonly SandboxNotice[], saved: Promise<void>): Promise<void> => {
    if (notices.length === 0) return Promise.resolve();
    const byLane = new Map<string, { phone: string; events: SandboxNotice['event'][] }>();
    for (const { phone, event } of notices) {
      const key = `${phone}\u0000${chatOf(event)}`;
      const lane = byLane.get(key);
      if (lane) lane.events.push(event);
      else byLane.set(key, { phone, events: [event] });
    }
    const done: Promise<void>[] = [];
    for (const [key, { phone, events }] of byLane) {
      let lane = lanes.get(key);
      const idle = !lane;
      if (!lane) lanes.set(key, (lane = { phone, queued: [] }));
      const delivered = new Promise<void>((resolve) => lane.queued.push({ events, saved, done: resolve }));
      inFlight.add(delivered);
      void delivered.then(() => inFlight.delete(delivered));
      done.push(delivered);
      if (idle) void drainLane(key);
    }
    return Promise.all(done).then(() => undefined);
  };

  /** Restores the saved state after a failed save (every write applied since then is undone with it). */
  const reload = (): Promise<void> => mutex.run(async () => state.restore(await persistence.load()));

  /** Runs `fn` alone and applies its drafts; resolves once they are saved and its events delivered. `afterCommit` runs inside the mutex, after both. */
  const write = async <T>(fn: (tx: Tx) => T, afterCommit?: (value: T) => void | Promise<void>): Promise<T> => {
    await load();
    if (shared) {
      return mutex.run(async () => {
        const value = await shared.write(() => new Tx(state), fn);
        await afterCommit?.(value);
        return value;
      });
    }
    let saved: Promise<void> = Promise.resolve();
    let delivered: Promise<void> = Promise.resolve();
    const value = await mutex.run(async () => {
      const tx = new Tx(state);
      const value = fn(tx);
      const { changes, notices } = tx.pending();
      if (hasChanges(changes)) {
        saved = persistence.commit(changes);
        saved.catch(() => undefined); // observed below
        state.install(changes);
      }
      delivered = dispatch(notices, saved);
      if (afterCommit) {
        // Rare (attach): everything queued before it is delivered before it takes effect.
        await saved;
        await Promise.all([delivered, ...inFlight]);
        await afterCommit(value);
      }
      return value;
    });
    try {
      await saved;
    } catch (error) {
      await reload();
      throw error;
    }
    await delivered;
    return value;
  };

  const read = async <T>(fn: (tx: Tx) => T): Promise<T> => {
    await load();
    if (shared) await shared.catchUp();
    return fn(new Tx(state));
  };

  const as = (raw: string): SandboxActions => {
    const me = normalizePhone(raw);
    return {
      createGroup: (subject, participants, opts) => write((tx) => createGroup(tx, me, subject, participants, opts)),
      groupMetadata: (groupId) => read((tx) => groupMetadata(tx, me, groupId)),
      listGroups: () => read((tx) => listGroups(tx, me)),
      leaveGroup: (groupId) => write((tx) => leaveGroup(tx, me, groupId)),
      setSubject: (groupId, subject) => write((tx) => setSubject(tx, me, groupId, subject)),
      setDescription: (groupId, text) => write((tx) => setDescription(tx, me, groupId, text)),
      setPicture: (groupId, image) => write((tx) => setPicture(tx, me, groupId, image)),
      addParticipants: (groupId, jids) => write((tx) => addParticipants(tx, me, groupId, jids)),
      removeParticipants: (groupId, jids) => write((tx) => removeParticipants(tx, me, groupId, jids)),
      promoteParticipants: (groupId, jids) => write((tx) => promoteParticipants(tx, me, groupId, jids)),
      demoteParticipants: (groupId, jids) => write((tx) => demoteParticipants(tx, me, groupId, jids)),
      inviteCode: (groupId) => read((tx) => inviteCode(tx, me, groupId)),
      revokeInvite: (groupId) => write((tx) => revokeInvite(tx, me, groupId)),
      joinByCode: (code) => write((tx) => joinByCode(tx, me, code)),
      inviteInfo: (code) => read((tx) => inviteInfo(tx, code)),
      acceptInviteV4: (invite) => write((tx) => acceptInviteV4(tx, me, invite)),
      updateSettings: (groupId, change) => write((tx) => updateSettings(tx, me, groupId, change)),
      joinRequests: (groupId) => read((tx) => joinRequests(tx, me, groupId)),
      approveJoinRequests: (groupId, jids) => write((tx) => approveJoinRequests(tx, me, groupId, jids)),
      rejectJoinRequests: (groupId, jids) => write((tx) => rejectJoinRequests(tx, me, groupId, jids)),
      // Messages change no record but still go through the mutex, to keep event order global.
      sendText: (chatId, text) => write((tx) => sendText(tx, me, chatId, text)),
      sendGroupInvite: (to, invite) => write((tx) => sendGroupInvite(tx, me, to, invite)),
      // A registered number gets its LID the first time anyone asks about it.
      onWhatsApp: (phones) => write((tx) => onWhatsApp(tx, phones)),
    };
  };

  return {
    load,
    now: () => config.now(),
    seedAccount: (raw, settings = {}) =>
      write((tx) => {
        const phone = normalizePhone(raw);
        const account = tx.account(phone);
        if (settings.registered !== undefined) account.registered = settings.registered;
        if (settings.groupAddPrivacy !== undefined) account.groupAddPrivacy = settings.groupAddPrivacy;
        if (settings.contacts !== undefined) account.contacts = settings.contacts.map(normalizePhone);
        if (settings.name !== undefined) account.name = settings.name || undefined;
        return tx.view(phone);
      }),
    getAccount: (raw) => new Tx(state).view(normalizePhone(raw)),
    attach: (raw, sink) => {
      const phone = normalizePhone(raw);
      return write(
        (tx) => {
          tx.account(phone);
          return tx.view(phone);
        },
        async () => {
          // Shared mode: events committed before this attach, still on their way here, are not for this sink.
          if (shared) await shared.delivered();
          state.sinks.set(phone, sink);
        },
      );
    },
    detach: (raw, sink) => {
      const phone = normalizePhone(raw);
      if (sink === undefined || state.sinks.get(phone) === sink) state.sinks.delete(phone);
    },
    isAttached: (raw) => state.sinks.has(normalizePhone(raw)),
    as,
    group: (groupId) => {
      const record = state.groups.get(groupId);
      if (!record) return undefined;
      return { record: structuredClone(record), metadata: metadataView(new Tx(state), record) };
    },
    groupIds: () => [...state.groups.keys()],
    refresh: async () => {
      await load();
      await shared?.catchUp();
    },
    close: async () => {
      await shared?.close();
    },
  };
}

/** The chat an event belongs to: its events keep their order. */
function chatOf(event: SandboxNotice['event']): string {
  if ('groupId' in event) return event.groupId;
  if (event.type === 'group.upsert') return event.group.id;
  if (event.type === 'message') return event.chatId;
  return '';
}

function isShared(persistence: SandboxPersistence | SharedSandboxPersistence): persistence is SharedSandboxPersistence {
  return 'shared' in persistence && persistence.shared === true;
}

/**
 * Shared mode: the local state follows the shared log. `seq` is the last entry installed; every
 * installed entry is queued once for delivery to this process's sinks, in log order, so a sink never
 * sees a notice twice nor out of order, whichever process made the change.
 */
function createSharedSync(state: NetworkState, persistence: SharedSandboxPersistence) {
  let seq = -1;
  let deliveredSeq = -1;
  const queue: { seq: number; notices: SandboxNotice[] }[] = [];
  const waiters: { seq: number; resolve: () => void }[] = [];
  let draining = false;
  let closed = false;

  const drain = async (): Promise<void> => {
    try {
      while (queue.length > 0) {
        const entry = queue.shift()!;
        await deliver(state, entry.notices);
        deliveredSeq = entry.seq;
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (waiters[i]!.seq <= deliveredSeq) waiters.splice(i, 1)[0]!.resolve();
        }
      }
    } finally {
      draining = false;
    }
  };
  const enqueue = (entry: { seq: number; notices: SandboxNotice[] }): void => {
    queue.push(entry);
    if (!draining) {
      draining = true;
      void drain();
    }
  };
  /** Installs what others committed; synchronous, so concurrent catch-ups never install or queue an entry twice. */
  const apply = (missed: SandboxCatchUp): void => {
    if ('snapshot' in missed) {
      if (missed.seq < seq) return;
      state.restore(missed.snapshot);
      seq = missed.seq;
      // Whatever was pruned before we saw it is lost for our sinks; later entries still arrive in order.
      enqueue({ seq, notices: [] });
      return;
    }
    for (const entry of missed.entries) {
      if (entry.seq <= seq) continue;
      state.install(entry.changes);
      seq = entry.seq;
      enqueue(entry);
    }
  };

  // One fetch at a time; a caller arriving during a fetch waits for the next one, which starts after its call.
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const fetchOnce = (): Promise<void> => {
    const started = persistence.since(seq).then(apply);
    running = started.finally(() => {
      running = undefined;
    });
    return running;
  };
  const catchUp = (): Promise<void> => {
    if (!running) return fetchOnce();
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return running ?? fetchOnce();
      });
    return next;
  };
  const wake = (): void => {
    if (closed) return;
    catchUp().catch((error: unknown) => state.config.onSyncError(error));
  };

  return {
    async load(): Promise<void> {
      apply(await persistence.since(-1));
      deliveredSeq = Math.max(deliveredSeq, seq);
      await persistence.watch(wake);
    },
    catchUp,
    /** Resolves once every installed entry has been delivered to the local sinks. */
    delivered(): Promise<void> {
      if (deliveredSeq >= seq) return Promise.resolve();
      const target = seq;
      return new Promise((resolve) => waiters.push({ seq: target, resolve }));
    },
    /** Runs `fn` under the cluster-wide lock on fresh state; resolves after its notices reached this process's sinks. */
    async write<T>(newTx: () => Tx, fn: (tx: Tx) => T): Promise<T> {
      let tx: Tx | undefined;
      const { value, seq: saved } = await persistence.exclusive(seq, (missed) => {
        apply(missed);
        tx = newTx();
        const value = fn(tx);
        return { value, ...tx.pending() };
      });
      if (saved !== undefined) {
        const { changes, notices } = tx!.pending();
        apply({ entries: [{ seq: saved, changes, notices }] });
      }
      await this.delivered();
      return value;
    },
    async close(): Promise<void> {
      closed = true;
      await persistence.close();
    },
  };
}
