/**
 * The cluster port: which node runs which instance's engine session, and how nodes tell each other
 * that something changed.
 *
 * Single-node mode (the default) uses `singleNode()` below: this node owns every instance and
 * hears only itself. Cluster mode (PostgreSQL + Redis) is an adapter in `src/adapters/cluster/`:
 * each instance's session is held by exactly one node through a lease with a fencing token; a node
 * acts on a session only while `owns()` says so.
 */

/** A node of the cluster as the others see it. */
export interface NodeInfo {
  nodeId: string;
  /** Base URL the other nodes reach this node's HTTP server at (`http://127.0.0.1:3001`). */
  url: string;
  /** Epoch ms the node started. */
  startedAt: number;
}

export interface SessionOwnership {
  /** This node. */
  readonly nodeId: string;
  /** False on a single node: nothing is ever forwarded or handed over. */
  readonly clustered: boolean;
  /** True while this node holds an unexpired lease on the instance; checked before every action on its session. */
  owns(instanceId: string): boolean;
  /** The node holding the instance now; undefined while nobody does (between a death and a takeover). */
  ownerOf(instanceId: string): Promise<NodeInfo | undefined>;
  /** The instances this node holds. */
  owned(): string[];
  /** The node that held the instance at the last look (for display: no I/O); undefined when unknown or none. */
  knownOwner(instanceId: string): string | undefined;
  /** Runs when this node gains an instance's lease (start its session, pick up its work). */
  onAcquired(fn: (instanceId: string) => Promise<void> | void): void;
  /** Runs when this node loses or hands over an instance's lease (stop its session at once). */
  onLost(fn: (instanceId: string) => Promise<void> | void): void;
  /** The live nodes. */
  nodes(): Promise<NodeInfo[]>;
  /** A new instance exists: the cluster should place it now rather than at its next scan. */
  place(instanceId: string): Promise<void>;
}

/** Fire-and-forget notices between nodes (cache invalidation). Single node: delivered locally. */
export interface ClusterBus {
  publish(channel: string, message: string): void;
  subscribe(channel: string, fn: (message: string) => void): void;
}

/** One process that owns everything it is asked about. */
export function singleNode(nodeId: string, url = ''): SessionOwnership & ClusterBus {
  const listeners = new Map<string, ((m: string) => void)[]>();
  const startedAt = Date.now();
  return {
    nodeId,
    clustered: false,
    owns: () => true,
    ownerOf: async () => ({ nodeId, url, startedAt }),
    owned: () => [],
    knownOwner: () => nodeId,
    onAcquired: () => {},
    onLost: () => {},
    nodes: async () => [{ nodeId, url, startedAt }],
    // One node starts every session itself (the instance service does it at creation and start-up).
    place: async () => {},
    publish: (channel, message) => {
      for (const fn of listeners.get(channel) ?? []) fn(message);
    },
    subscribe: (channel, fn) => void listeners.set(channel, [...(listeners.get(channel) ?? []), fn]),
  };
}
