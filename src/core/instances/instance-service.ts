import type { Logger } from '../ports/logger.js';
import type { EngineEvent, EngineFactory, EngineSession, EngineSink } from '../ports/engine.js';
import type { Store } from '../ports/store.js';
import type { AccessService } from '../access/access-service.js';
import { DomainError } from '../common/errors.js';
import type { EventLog } from '../events/event-log.js';
import { hashSecret, newIdInstance, newSecret, shortId } from '../common/ids.js';
import type { EngineKind, Instance, InstanceStatus } from './instance-model.js';
import { normalizePhone } from '../common/phone.js';
import { singleNode, type SessionOwnership } from '../ports/cluster.js';

/** What a client sees of an instance (the token only once, at creation or rotation). */
export interface InstanceView {
  id: string;
  idInstance: string;
  name: string;
  engine: EngineKind;
  status: InstanceStatus;
  statusReason: string;
  phone: string | null;
  createdAt: string;
  /** Cluster mode only: the node running the instance's session (null while none does). */
  node?: string | null;
}

export type EngineEventHandler = (instance: Instance, event: EngineEvent) => Promise<void>;
/** Several events of one chat, in order, applied as one call each would apply them. */
export type EngineEventsHandler = (instance: Instance, events: EngineEvent[]) => Promise<void>;

export interface InstanceService {
  create(input: { name?: string; engine?: string; phone?: string }): Promise<InstanceView & { token: string }>;
  get(id: string): Promise<Instance>;
  /** The instance, or undefined when absent (credential checks answer their own refusal). */
  find(id: string): Promise<Instance | undefined>;
  /** By Green API's numeric idInstance; undefined when absent or not numeric. */
  findByIdInstance(idInstance: string): Promise<Instance | undefined>;
  /** By its number (digits); undefined when no instance has it. */
  findByPhone(phone: string): Promise<Instance | undefined>;
  /** Replaces one feature's key of the instance settings (null removes it); `instance_not_found` when absent. */
  putSetting(id: string, key: string, value: unknown): Promise<void>;
  /** How many instances are in each connection status (monitoring). */
  countByStatus(): Promise<Map<InstanceStatus, number>>;
  view(instance: Instance): InstanceView;
  list(ids: string[] | null): Promise<Instance[]>;
  delete(id: string): Promise<void>;
  restart(id: string): Promise<Instance>;
  logout(id: string): Promise<Instance>;
  rotateToken(id: string): Promise<InstanceView & { token: string }>;
  /** The connected engine session of an instance, or `instance_not_connected`. */
  session(id: string): Promise<{ instance: Instance; session: EngineSession }>;
  /** The session whatever its status (QR, pairing), or undefined when not started. */
  rawSession(id: string): EngineSession | undefined;
  /** Starts every stored instance (sandbox ones awaited; real connections staggered). */
  startAll(): Promise<void>;
  /** Closes every session (graceful shutdown). */
  stopAll(): Promise<void>;
  /** Routes every engine event of every instance here (group sync, status). Set once at wiring. */
  onEngineEvent(handler: EngineEventHandler, many?: EngineEventsHandler): void;
  /** True once every sandbox instance is connected and real ones have been started. */
  ready(): boolean;
  /** Registers cleanup run when an instance is deleted (features drop their own rows). */
  onDeleted(hook: (instanceId: string) => Promise<void>): void;
}

export interface InstanceServiceDeps {
  store: Store;
  events: EventLog;
  access: AccessService;
  engines: Partial<Record<EngineKind, EngineFactory>>;
  logger: Logger;
  /** Delay between starting two real (non-sandbox) connections at boot. */
  staggerMs?: number;
  /**
   * Which node runs which session (default: this one runs all). In cluster mode only owned
   * sessions run: one starts when its lease is acquired and stops when it is lost, and engine
   * actions on an instance this node does not own are refused.
   */
  ownership?: SessionOwnership;
}

/** How long after a takeover a request waits for the new owner's session to connect. */
const TAKEOVER_GRACE_MS = 15_000;

/** Creates the instance service: instances, their tokens and their engine sessions. */
export function createInstanceService(deps: InstanceServiceDeps): InstanceService {
  const { store, events, access, engines, logger } = deps;
  const ownership = deps.ownership ?? singleNode('local');
  const clustered = ownership.clustered;
  const sessions = new Map<string, EngineSession>();
  let handler: EngineEventHandler = async () => {};
  let handleMany: EngineEventsHandler | undefined;
  let started = false;
  const timers = new Set<NodeJS.Timeout>();
  const deletedHooks: ((instanceId: string) => Promise<void>)[] = [];

  const view = (i: Instance): InstanceView => ({
    id: i.id,
    idInstance: i.idInstance,
    name: i.name,
    engine: i.engine,
    status: i.status,
    statusReason: i.statusReason,
    phone: i.phone,
    createdAt: i.createdAt,
    ...(clustered ? { node: ownership.knownOwner(i.id) ?? null } : {}),
  });

  async function get(id: string): Promise<Instance> {
    const instance = await store.instances.get(id);
    if (!instance) throw new DomainError('instance_not_found', `no such instance: ${id}`);
    return instance;
  }

  async function setStatus(instance: Instance, status: InstanceStatus, reason: string, phone?: string): Promise<void> {
    const current = await store.instances.get(instance.id);
    if (!current) return;
    const patch: Partial<Instance> = {};
    if (phone && current.phone !== phone) patch.phone = phone;
    const changed = current.status !== status || current.statusReason !== reason;
    if (!changed && !patch.phone) return;
    await events.transact(async (tx, emit) => {
      await tx.instances.update(instance.id, { ...patch, status, statusReason: reason });
      if (changed) await emit(instance.id, 'instance.status', { status, reason, ...(phone ? { phone: `+${phone}` } : {}) });
    });
  }

  async function startSession(instance: Instance): Promise<void> {
    const factory = engines[instance.engine];
    if (!factory) {
      await setStatus(instance, 'failed', `engine ${instance.engine} is not available in this build`);
      return;
    }
    const existing = sessions.get(instance.id);
    if (existing) await existing.close().catch(() => {});
    const sink: EngineSink = async (event) => {
      if (sessions.get(instance.id) !== session) return; // a closed session's late events
      if (event.type === 'connection') {
        await setStatus(instance, event.status, event.reason, event.phone);
        return;
      }
      try {
        const fresh = (await store.instances.get(instance.id)) ?? instance;
        await handler(fresh, event);
      } catch (err) {
        logger.error({ err, instanceId: instance.id, event: event.type }, 'applying an engine event failed');
      }
    };
    sink.many = async (events) => {
      if (!handleMany || events.some((e) => e.type === 'connection')) {
        for (const event of events) await sink(event);
        return;
      }
      if (sessions.get(instance.id) !== session) return;
      try {
        await handleMany((await store.instances.get(instance.id)) ?? instance, events);
      } catch (err) {
        logger.error({ err, instanceId: instance.id, events: events.map((e) => e.type) }, 'applying engine events failed');
      }
    };
    const session = await factory.create({ instanceId: instance.id, phone: instance.phone ?? undefined, sink });
    sessions.set(instance.id, session);
    await session.connect();
  }

  /** Cluster mode: an engine action on an instance another node runs (or nobody, for now) is refused. */
  function refuseUnlessOwned(instance: Instance): void {
    if (ownership.owns(instance.id)) return;
    throw new DomainError('instance_not_connected', `instance ${instance.id} is not connected on this node (it runs on another node of the cluster)`, {
      status: instance.status,
    });
  }

  /** Cluster mode: when this node took each instance over (its session may still be starting). */
  const acquiredAt = new Map<string, number>();

  /** Just taken over, the session is still starting: a request waits for it (a moment on the sandbox) instead of failing. */
  async function awaitTakeover(id: string): Promise<EngineSession | undefined> {
    let session = sessions.get(id);
    const since = acquiredAt.get(id);
    if (since === undefined) return session;
    const settling = (s: EngineSession | undefined) => !s || ['starting', 'disconnected'].includes(s.status().status);
    while (settling(session) && Date.now() - since < TAKEOVER_GRACE_MS && ownership.owns(id)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      session = sessions.get(id);
    }
    if (!settling(session)) acquiredAt.delete(id);
    return session;
  }

  if (clustered) {
    ownership.onAcquired(async (id) => {
      acquiredAt.set(id, Date.now());
      const instance = await store.instances.get(id);
      if (instance && ownership.owns(id)) await startSession(instance);
    });
    // Stopped without a status write: the next owner reports the connection.
    ownership.onLost((id) => {
      acquiredAt.delete(id);
      return stopSession(id);
    });
  }

  async function stopSession(id: string): Promise<void> {
    const session = sessions.get(id);
    sessions.delete(id);
    if (session) await session.close().catch((err) => logger.warn({ err, instanceId: id }, 'closing a session failed'));
  }

  return {
    async create(input) {
      const engine = (input.engine ?? 'baileys') as EngineKind;
      if (engine !== 'sandbox' && engine !== 'baileys') {
        throw new DomainError('validation_failed', `unknown engine: ${String(input.engine)}; use "sandbox" or "baileys"`);
      }
      if (!engines[engine]) throw new DomainError('engine_not_available', `the ${engine} engine is not available on this server`);
      let phone: string | null = null;
      if (input.phone !== undefined) {
        phone = normalizePhone(input.phone) ?? null;
        if (!phone) throw new DomainError('validation_failed', `invalid phone: ${JSON.stringify(input.phone)}; use +E164 or digits`);
      } else if (engine === 'sandbox') {
        phone = await freeSandboxPhone(store);
      }
      if (phone && (await store.instances.getByPhone(phone))) {
        throw new DomainError('phone_in_use', `another instance already uses +${phone}`);
      }
      const token = newSecret('ggi_');
      let idInstance = newIdInstance();
      while (await store.instances.getByIdInstance(idInstance)) idInstance = newIdInstance();
      const instance: Instance = {
        id: shortId('', 10),
        idInstance,
        name: input.name ?? `instance ${idInstance}`,
        engine,
        phone,
        status: 'starting',
        statusReason: 'starting',
        tokenHash: hashSecret(token),
        createdAt: new Date().toISOString(),
        settings: {},
      };
      await store.instances.insert(instance);
      // One node starts it here; a cluster places it on a node with room (perhaps this one).
      if (clustered) await ownership.place(instance.id);
      else await startSession(instance);
      const fresh = await get(instance.id);
      return { ...view(fresh), token };
    },

    get,
    view,
    find: (id) => store.instances.get(id),
    findByIdInstance: async (idInstance) => (/^\d{1,20}$/.test(idInstance) ? store.instances.getByIdInstance(idInstance) : undefined),
    findByPhone: (phone) => store.instances.getByPhone(phone),
    async putSetting(id, key, value) {
      await get(id);
      await store.instances.putSetting(id, key, value);
    },
    async countByStatus() {
      const counts = new Map<InstanceStatus, number>();
      for (const i of await store.instances.list()) counts.set(i.status, (counts.get(i.status) ?? 0) + 1);
      return counts;
    },

    list: (ids) => store.instances.list(ids ?? undefined),

    async delete(id) {
      const instance = await get(id);
      const session = sessions.get(id);
      sessions.delete(id);
      if (session) await session.logout().catch((err) => logger.warn({ err, instanceId: id }, 'engine logout failed'));
      await engines[instance.engine]?.destroy?.(id);
      await store.transaction(async (tx) => {
        await tx.groups.deleteAll(id);
        await tx.events.deleteAll(id);
        await tx.keys.removeInstance(id);
        await tx.instances.delete(id);
      });
      access.forget(instance.tokenHash);
      for (const hook of deletedHooks) {
        await hook(id).catch((err) => logger.error({ err, instanceId: id }, 'cleaning up a deleted instance failed'));
      }
    },

    async restart(id) {
      const instance = await get(id);
      refuseUnlessOwned(instance);
      await stopSession(id);
      await setStatus(instance, 'starting', 'restarting');
      await startSession(instance);
      return get(id);
    },

    async logout(id) {
      const instance = await get(id);
      refuseUnlessOwned(instance);
      const session = sessions.get(id);
      if (session) await session.logout();
      else await setStatus(instance, 'logged_out', 'logged out');
      return get(id);
    },

    async rotateToken(id) {
      const instance = await get(id);
      const token = newSecret('ggi_');
      await store.instances.update(id, { tokenHash: hashSecret(token) });
      access.forget(instance.tokenHash);
      return { ...view(await get(id)), token };
    },

    async session(id) {
      const instance = await get(id);
      refuseUnlessOwned(instance);
      const session = clustered ? await awaitTakeover(id) : sessions.get(id);
      if (!session || session.status().status !== 'connected') {
        const status = session?.status() ?? { status: instance.status, reason: instance.statusReason };
        throw new DomainError('instance_not_connected', `instance ${id} is not connected (status ${status.status}: ${status.reason})`, {
          status: status.status,
        });
      }
      return { instance, session };
    },

    rawSession: (id) => sessions.get(id),

    async startAll() {
      if (clustered) {
        // The cluster starts what this node acquires (onAcquired), nothing else.
        started = true;
        return;
      }
      const all = await store.instances.list();
      const real: Instance[] = [];
      for (const instance of all) {
        if (instance.engine === 'sandbox') await startSession(instance);
        else real.push(instance);
      }
      // Real connections are staggered so a thousand numbers do not all dial WhatsApp in one second.
      const stagger = deps.staggerMs ?? 250;
      real.forEach((instance, i) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          startSession(instance).catch((err) => logger.error({ err, instanceId: instance.id }, 'starting an instance failed'));
        }, i * stagger);
        timer.unref();
        timers.add(timer);
      });
      started = true;
    },

    async stopAll() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const ids = [...sessions.keys()];
      await Promise.all(ids.map((id) => stopSession(id)));
    },

    onEngineEvent(h, many) {
      handler = h;
      handleMany = many;
    },

    ready: () => started,

    onDeleted(hook) {
      deletedHooks.push(hook);
    },
  };
}

/** A free sandbox number: +1 555 01xx xxxx style, never a real subscriber. */
async function freeSandboxPhone(store: Store): Promise<string> {
  for (;;) {
    const phone = `1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    if (!(await store.instances.getByPhone(phone))) return phone;
  }
}
