/** In-memory `SandboxPersistence` for tests and throwaway servers. */
import type { SandboxChanges, SandboxPersistence, SandboxSnapshot } from './types.js';

/** A memory store that also exposes what it holds, to let tests look at the saved JSON. */
export interface MemoryPersistence extends SandboxPersistence {
  /** Copies of the saved records. */
  snapshot(): SandboxSnapshot;
  /** How many commits were saved (a failed operation saves nothing). */
  commits(): number;
}

/** Creates an empty memory store; records go through JSON so nothing is shared with the network. */
export function createMemoryPersistence(): MemoryPersistence {
  const accounts = new Map<string, string>();
  const groups = new Map<string, string>();
  let commitCount = 0;
  const snapshot = (): SandboxSnapshot => ({
    accounts: [...accounts.values()].map((data) => JSON.parse(data)),
    groups: [...groups.values()].map((data) => JSON.parse(data)),
  });
  return {
    async load() {
      return snapshot();
    },
    async commit(changes: SandboxChanges) {
      for (const account of changes.accounts) accounts.set(account.phone, JSON.stringify(account));
      for (const group of changes.groups) groups.set(group.id, JSON.stringify(group));
      for (const id of changes.deletedGroupIds) groups.delete(id);
      commitCount += 1;
    },
    snapshot,
    commits: () => commitCount,
  };
}
