/**
 * A fake cluster for queue tests: which node owns which instance is whatever the test says, with
 * `onAcquired`/`onLost` fired on each move (a real cluster does it through Redis leases).
 */
import type { NodeInfo, SessionOwnership } from '../../src/core/ports/cluster.js';

export interface FakeCluster {
  node(nodeId: string): SessionOwnership;
  /** Moves the instance to `nodeId` (undefined: nobody owns it) and awaits the nodes' listeners. */
  assign(instanceId: string, nodeId: string | undefined): Promise<void>;
}

export function fakeCluster(): FakeCluster {
  const owners = new Map<string, string>();
  const acquired = new Map<string, ((id: string) => Promise<void> | void)[]>();
  const lost = new Map<string, ((id: string) => Promise<void> | void)[]>();
  const info = (nodeId: string): NodeInfo => ({ nodeId, url: `http://${nodeId}.invalid`, startedAt: 0 });
  const nodes = new Set<string>();
  return {
    node(nodeId) {
      nodes.add(nodeId);
      return {
        nodeId,
        clustered: true,
        owns: (id) => owners.get(id) === nodeId,
        ownerOf: async (id) => (owners.has(id) ? info(owners.get(id) as string) : undefined),
        owned: () => [...owners].filter(([, n]) => n === nodeId).map(([id]) => id),
        knownOwner: (id) => owners.get(id),
        onAcquired: (fn) => void acquired.set(nodeId, [...(acquired.get(nodeId) ?? []), fn]),
        onLost: (fn) => void lost.set(nodeId, [...(lost.get(nodeId) ?? []), fn]),
        nodes: async () => [...nodes].map(info),
        place: async () => {},
      };
    },
    async assign(instanceId, nodeId) {
      const before = owners.get(instanceId);
      if (before === nodeId) return;
      if (nodeId === undefined) owners.delete(instanceId);
      else owners.set(instanceId, nodeId);
      if (before) for (const fn of lost.get(before) ?? []) await fn(instanceId);
      if (nodeId) for (const fn of acquired.get(nodeId) ?? []) await fn(instanceId);
    },
  };
}
