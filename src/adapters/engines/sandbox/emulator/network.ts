/**
 * The sandbox network: one in-process WhatsApp group server shared by every sandbox instance.
 *
 * Writes run one at a time through a FIFO mutex: each saves its changes through the persistence
 * port, makes them visible, then delivers its events to the attached accounts and waits for their
 * sinks, all before the next write starts, so event order is global and a caller that sees its call
 * resolve knows every member was told. Reads skip the mutex (they see committed state only), which
 * lets a sink read the network while it handles an event. A sink must NOT await a write: the write
 * would queue behind the one that is delivering to it, forever.
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
import { Tx } from './tx.js';
import type { SandboxAccountSettings, SandboxAccountView, SandboxConfig, SandboxGroupView, SandboxNetworkOptions } from './types.js';
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
  };
  const { persistence } = options;
  const state = new NetworkState(config);
  const mutex = createMutex();
  let loading: Promise<void> | undefined;

  const load = (): Promise<void> => {
    loading ??= persistence.load().then(
      (snapshot) => state.restore(snapshot),
      (error: unknown) => {
        loading = undefined; // let a later call retry
        throw error;
      },
    );
    return loading;
  };

  /** Runs `fn` alone, commits its drafts and delivers its events; `afterCommit` still runs inside the mutex. */
  const write = async <T>(fn: (tx: Tx) => T, afterCommit?: (value: T) => void): Promise<T> => {
    await load();
    return mutex.run(async () => {
      const tx = new Tx(state, persistence);
      const value = fn(tx);
      await tx.commit();
      afterCommit?.(value);
      return value;
    });
  };

  const read = async <T>(fn: (tx: Tx) => T): Promise<T> => {
    await load();
    return fn(new Tx(state, persistence));
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
    getAccount: (raw) => new Tx(state, persistence).view(normalizePhone(raw)),
    attach: (raw, sink) => {
      const phone = normalizePhone(raw);
      return write(
        (tx) => {
          tx.account(phone);
          return tx.view(phone);
        },
        () => state.sinks.set(phone, sink),
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
      return { record: structuredClone(record), metadata: metadataView(new Tx(state, persistence), record) };
    },
    groupIds: () => [...state.groups.keys()],
  };
}
