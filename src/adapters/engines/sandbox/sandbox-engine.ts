/**
 * The sandbox engine: `EngineSession`s that talk to the in-process `SandboxNetwork` instead of
 * WhatsApp. Connecting never needs a QR: the instance's phone simply attaches to the network.
 */
import type { ConnectionStatus, EngineEvent, EngineFactory, EngineSession, EngineSessionOptions, EngineSink } from '../../../core/ports/engine.js';
import { engineError } from '../../../core/ports/engine.js';
import { normalizePhone } from './emulator/ids.js';
import type { SandboxActions, SandboxNetwork } from './emulator/network.js';

/** Creates the sandbox engine factory (kind 'sandbox') over one shared network. */
export function createSandboxEngineFactory(network: SandboxNetwork): EngineFactory {
  const sessions = new Map<string, SandboxSession>();
  return {
    kind: 'sandbox',
    async create(options: EngineSessionOptions): Promise<EngineSession> {
      if (options.phone === undefined) throw new TypeError(`sandbox instance ${options.instanceId} needs a phone number`);
      const session = new SandboxSession(network, normalizePhone(options.phone), options.sink);
      sessions.set(options.instanceId, session);
      return session;
    },
    async destroy(instanceId: string): Promise<void> {
      // The number stays on the network (and in its groups); only the connection goes away.
      sessions.get(instanceId)?.detachQuietly();
      sessions.delete(instanceId);
    },
  };
}

/** One instance's connection: the network's actions for its phone, available only while connected. */
class SandboxSession implements EngineSession {
  private state: { status: ConnectionStatus; reason: string } = { status: 'disconnected', reason: 'not_started' };
  private readonly actions: SandboxActions;
  /** Own wrapper, so detach can tell this session's sink from a newer session of the same phone. */
  private readonly attachedSink: EngineSink;

  constructor(
    private readonly network: SandboxNetwork,
    private readonly phone: string,
    private readonly sink: EngineSink,
  ) {
    this.actions = network.as(phone);
    const many = sink.many;
    this.attachedSink = Object.assign((event: EngineEvent) => this.sink(event), many ? { many: (events: EngineEvent[]) => many(events) } : {});
  }

  async connect(): Promise<void> {
    if (this.state.status === 'connected') return;
    this.state = { status: 'starting', reason: 'connecting' };
    await this.network.attach(this.phone, this.attachedSink);
    await this.setStatus('connected', 'connected');
  }

  async close(): Promise<void> {
    if (this.state.status !== 'connected') return;
    this.network.detach(this.phone, this.attachedSink);
    await this.setStatus('disconnected', 'closed');
  }

  /** Unlinks the device; the number stays a member of its groups, as on WhatsApp. */
  async logout(): Promise<void> {
    if (this.state.status === 'logged_out') return;
    this.network.detach(this.phone, this.attachedSink);
    await this.setStatus('logged_out', 'logged_out');
  }

  status(): { status: ConnectionStatus; reason: string; phone?: string } {
    return { ...this.state, phone: this.phone };
  }

  /** For `destroy`: no event, the instance is going away. */
  detachQuietly(): void {
    this.network.detach(this.phone, this.attachedSink);
    this.state = { status: 'disconnected', reason: 'destroyed' };
  }

  private async setStatus(status: ConnectionStatus, reason: string): Promise<void> {
    this.state = { status, reason };
    await this.sink({ type: 'connection', status, reason, phone: this.phone });
  }

  /** The network's actions, or 428 while not connected. */
  private get net(): SandboxActions {
    if (this.state.status !== 'connected') throw engineError(428, `sandbox instance ${this.phone} is ${this.state.status}`);
    return this.actions;
  }

  // Each method reads `this.net` inside an async function so a 428 is a rejection, never a sync throw.
  createGroup: SandboxActions['createGroup'] = async (...args) => this.net.createGroup(...args);
  groupMetadata: SandboxActions['groupMetadata'] = async (...args) => this.net.groupMetadata(...args);
  listGroups: SandboxActions['listGroups'] = async () => this.net.listGroups();
  leaveGroup: SandboxActions['leaveGroup'] = async (...args) => this.net.leaveGroup(...args);
  setSubject: SandboxActions['setSubject'] = async (...args) => this.net.setSubject(...args);
  setDescription: SandboxActions['setDescription'] = async (...args) => this.net.setDescription(...args);
  setPicture: SandboxActions['setPicture'] = async (...args) => this.net.setPicture(...args);
  addParticipants: SandboxActions['addParticipants'] = async (...args) => this.net.addParticipants(...args);
  removeParticipants: SandboxActions['removeParticipants'] = async (...args) => this.net.removeParticipants(...args);
  promoteParticipants: SandboxActions['promoteParticipants'] = async (...args) => this.net.promoteParticipants(...args);
  demoteParticipants: SandboxActions['demoteParticipants'] = async (...args) => this.net.demoteParticipants(...args);
  inviteCode: SandboxActions['inviteCode'] = async (...args) => this.net.inviteCode(...args);
  revokeInvite: SandboxActions['revokeInvite'] = async (...args) => this.net.revokeInvite(...args);
  joinByCode: SandboxActions['joinByCode'] = async (...args) => this.net.joinByCode(...args);
  inviteInfo: SandboxActions['inviteInfo'] = async (...args) => this.net.inviteInfo(...args);
  acceptInviteV4: SandboxActions['acceptInviteV4'] = async (...args) => this.net.acceptInviteV4(...args);
  updateSettings: SandboxActions['updateSettings'] = async (...args) => this.net.updateSettings(...args);
  joinRequests: SandboxActions['joinRequests'] = async (...args) => this.net.joinRequests(...args);
  approveJoinRequests: SandboxActions['approveJoinRequests'] = async (...args) => this.net.approveJoinRequests(...args);
  rejectJoinRequests: SandboxActions['rejectJoinRequests'] = async (...args) => this.net.rejectJoinRequests(...args);
  sendText: SandboxActions['sendText'] = async (...args) => this.net.sendText(...args);
  sendGroupInvite: SandboxActions['sendGroupInvite'] = async (...args) => this.net.sendGroupInvite(...args);
  onWhatsApp: SandboxActions['onWhatsApp'] = async (...args) => this.net.onWhatsApp(...args);
}
