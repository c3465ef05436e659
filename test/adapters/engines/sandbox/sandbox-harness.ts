/** The conformance harness of the sandbox engine over a network on the given persistence. */
import type { EngineEvent, EngineSession } from '../../../../src/core/ports/engine.js';
import type { SandboxPersistence, SharedSandboxPersistence } from '../../../../src/adapters/engines/sandbox/emulator/types.js';
import { createSandboxNetwork } from '../../../../src/adapters/engines/sandbox/emulator/network.js';
import { createSandboxEngineFactory } from '../../../../src/adapters/engines/sandbox/sandbox-engine.js';
import type { ConformanceHarness, ConformanceOptions } from '../engine-conformance.js';

export async function makeSandboxHarness(persistence: SandboxPersistence | SharedSandboxPersistence, options: ConformanceOptions = {}): Promise<ConformanceHarness> {
  let clock = Date.UTC(2025, 0, 1);
  const network = createSandboxNetwork({ persistence, now: () => clock, ...options });
  await network.load();
  const factory = createSandboxEngineFactory(network);
  const sessions = new Map<string, Promise<EngineSession>>();
  const events = new Map<string, EngineEvent[]>();
  return {
    network,
    session(phone) {
      let session = sessions.get(phone);
      if (!session) {
        const log: EngineEvent[] = [];
        events.set(phone, log);
        session = factory.create({ instanceId: `inst-${phone}`, phone, sink: async (event) => void log.push(event) }).then(async (created) => {
          await created.connect();
          return created;
        });
        sessions.set(phone, session);
      }
      return session;
    },
    events: (phone) => [...(events.get(phone) ?? [])],
    advanceClock(ms) {
      clock += ms;
    },
    async close() {
      await Promise.all([...sessions.values()].map(async (session) => (await session).close()));
      await network.close();
    },
  };
}
