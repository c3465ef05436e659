/**
 * The composition root: opens the database, builds the engines and every core service, and wires
 * them together once. Nothing else creates services.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createAccessService, type AccessService } from './core/access.js';
import { createEventLog, type EventLog } from './core/events.js';
import { createGroupSync, type GroupSync } from './core/group-sync.js';
import { createGroupService, type GroupService } from './core/groups.js';
import { createInstanceService, type InstanceService } from './core/instances.js';
import { createMessageService, type MessageService } from './core/messages.js';
import { createParticipantService, type ParticipantService } from './core/participants.js';
import type { EngineFactory } from './engines/port.js';
import { createSandboxNetwork, type SandboxNetwork } from './engines/sandbox/emulator/index.js';
import { createKyselySandboxPersistence } from './engines/sandbox/kysely-persistence.js';
import { createSandboxEngineFactory } from './engines/sandbox/sandbox-engine.js';
import { openDatabase, type DatabaseHandle } from './store/db.js';
import { createKyselyStore } from './store/kysely/index.js';
import type { Store } from './store/port.js';

export interface ContainerOptions {
  /** Injectable clock (ms) for tests. */
  now?: () => number;
  /** PostgreSQL schema (tests use one each). */
  databaseSchema?: string;
  /** SQLite file override (`:memory:` allowed). */
  sqliteFile?: string;
}

export interface Container {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  store: Store;
  events: EventLog;
  access: AccessService;
  instances: InstanceService;
  sync: GroupSync;
  groups: GroupService;
  participants: ParticipantService;
  messages: MessageService;
  sandbox: SandboxNetwork;
  now: () => number;
  /** Admin key generated on this start (print once), if any. */
  generatedAdminKey?: string;
  /** Starts every stored instance. */
  start(): Promise<void>;
  /** Stops sessions and background work, then closes the database. */
  close(): Promise<void>;
  /** Hooks run at close, in reverse order (features register their background loops here). */
  onClose(fn: () => Promise<void> | void): void;
}

/** Builds everything from the configuration. */
export async function createContainer(config: Config, logger: Logger, options: ContainerOptions = {}): Promise<Container> {
  const now = options.now ?? Date.now;
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    schema: options.databaseSchema,
    sqliteFile: options.sqliteFile,
  });
  const store = createKyselyStore(database.db);
  const events = createEventLog({ store, now });
  const access = createAccessService({ store });
  const { generated } = await access.initAdminKey(config.adminKey);

  const sandbox = createSandboxNetwork({
    persistence: createKyselySandboxPersistence(database.db),
    now,
    groupCreateLimitPerHour: config.sandboxGroupCreateLimitPerHour,
  });
  await sandbox.load();
  const engines: Partial<Record<'sandbox' | 'baileys', EngineFactory>> = {
    sandbox: createSandboxEngineFactory(sandbox),
  };

  const instances = createInstanceService({ store, events, access, engines, logger: logger.child({ component: 'instances' }) });
  const sync = createGroupSync({ events });
  instances.onEngineEvent((instance, event) => sync.apply(instance, event));
  const groups = createGroupService({ store, instances, sync });
  const participants = createParticipantService({ instances, groups, sync, events });
  const messages = createMessageService({ instances, events });

  const closers: (() => Promise<void> | void)[] = [];
  return {
    config,
    logger,
    database,
    store,
    events,
    access,
    instances,
    sync,
    groups,
    participants,
    messages,
    sandbox,
    now,
    generatedAdminKey: generated,
    start: () => instances.startAll(),
    onClose: (fn) => closers.push(fn),
    async close() {
      for (const fn of closers.reverse()) await fn();
      await instances.stopAll();
      await database.close();
    },
  };
}
