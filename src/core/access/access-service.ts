import type { Store } from '../ports/store.js';
import { DomainError } from '../common/errors.js';
import { hashesEqual, hashSecret, newSecret, shortId } from '../common/ids.js';
import type { ApiKey } from './access-model.js';
import type { ClusterBus } from '../ports/cluster.js';

/** Who is calling, once a secret has been checked. */
export type Principal = { kind: 'admin'; keyId: string | null } | { kind: 'key'; keyId: string; instances: string[] } | { kind: 'instance'; instanceId: string };

/** What a client sees of an API key (never its secret, except once in `key` at creation/rotation). */
export interface ApiKeyView {
  id: string;
  name: string;
  instances: string[] | null;
  createdAt: string;
}

const ADMIN_HASH_SETTING = 'admin_key_hash';
/** The configured admin key's principal (shared: principals are never changed). */
const ADMIN: Principal = Object.freeze({ kind: 'admin', keyId: null });

export interface AccessService {
  /**
   * Sets up the admin key: the configured one, else the stored hash, else a new key whose secret is
   * returned (the caller prints it once; only its hash is kept).
   */
  initAdminKey(configured?: string): Promise<{ generated?: string }>;
  /** Resolves a presented secret to a principal, or undefined. Constant-time on the hash. */
  authenticate(secret: string): Promise<Principal | undefined>;
  /**
   * The principal of an already hashed secret when it is known without the database (the admin key,
   * compared in constant time, or a cached lookup), else undefined: the caller then uses
   * `authenticate`. Synchronous, so the hot path costs no promise.
   */
  knownPrincipal(hash: string): Principal | undefined;
  /** Whether the principal may act on the instance. */
  canAccess(principal: Principal, instanceId: string): boolean;
  /** Instance ids the principal may see (null = all). */
  visibleInstances(principal: Principal): string[] | null;
  isAdmin(principal: Principal): boolean;
  createKey(input: { name: string; instances?: string[] }): Promise<ApiKeyView & { key: string }>;
  listKeys(): Promise<ApiKeyView[]>;
  rotateKey(id: string): Promise<ApiKeyView & { key: string }>;
  deleteKey(id: string): Promise<void>;
  /** Drops cached lookups for a secret hash (after rotation or deletion elsewhere) and announces it revoked. */
  forget(hash: string): void;
  /**
   * Calls `listener` with the hash of every secret revoked (a key rotated or deleted, an instance
   * token rotated or its instance deleted), at once, so whatever it holds open can end. Returns the
   * unsubscribe function.
   */
  onRevoked(listener: (hash: string) => void): () => void;
}

/** Creates the access service: admin key, API keys and instance tokens. */
export function createAccessService(deps: {
  store: Store;
  /** Cluster mode: revocations are announced to every node, and heard from them. */
  bus?: ClusterBus;
  /** Cluster mode: how long a looked-up principal may be served from memory (a safety net for a lost notice). */
  cacheTtlMs?: number;
  now?: () => number;
}): AccessService {
  const { store, bus } = deps;
  const now = deps.now ?? Date.now;
  const ttl = deps.cacheTtlMs;
  const cachedAt = new Map<string, number>();
  let adminHash = '';
  // Hash -> principal. Every request checks a key; this keeps that off the database. Entries are
  // dropped at once when a key or token is rotated or deleted.
  const cache = new Map<string, Principal | null>();
  const CACHE_MAX = 10_000;
  const revokedListeners = new Set<(hash: string) => void>();
  const dropLocally = (hash: string) => {
    cache.delete(hash);
    cachedAt.delete(hash);
    for (const listener of [...revokedListeners]) listener(hash);
  };
  const REVOKED = 'access.revoked';
  // Other nodes' revocations (and this node's own, echoed back: dropping twice is harmless).
  bus?.subscribe(REVOKED, dropLocally);
  const revoked = (hash: string) => {
    dropLocally(hash);
    bus?.publish(REVOKED, hash);
  };

  const view = (k: ApiKey): ApiKeyView => ({ id: k.id, name: k.name, instances: k.instances, createdAt: k.createdAt });

  function remember(hash: string, principal: Principal | null): void {
    if (cache.size >= CACHE_MAX) {
      const oldest = cache.keys().next().value as string;
      cache.delete(oldest);
      cachedAt.delete(oldest);
    }
    cache.set(hash, principal);
    if (ttl !== undefined) cachedAt.set(hash, now());
  }

  return {
    async initAdminKey(configured) {
      if (configured) {
        adminHash = hashSecret(configured);
        return {};
      }
      const stored = await store.settings.get(ADMIN_HASH_SETTING);
      if (stored) {
        adminHash = stored;
        return {};
      }
      const generated = newSecret('gg_admin_');
      adminHash = hashSecret(generated);
      await store.settings.put(ADMIN_HASH_SETTING, adminHash);
      return { generated };
    },

    knownPrincipal(hash) {
      // The cache first: it never holds the admin key's hash, and API keys are the usual callers.
      const cached = cache.get(hash);
      if (cached && (ttl === undefined || now() - (cachedAt.get(hash) ?? 0) < ttl)) return cached;
      if (adminHash && hashesEqual(hash, adminHash)) return ADMIN;
      return undefined;
    },

    async authenticate(secret) {
      if (!secret || secret.length > 512) return undefined;
      const hash = hashSecret(secret);
      if (adminHash && hashesEqual(hash, adminHash)) return ADMIN;
      const cached = cache.get(hash);
      if (cached !== undefined && (ttl === undefined || now() - (cachedAt.get(hash) ?? 0) < ttl)) return cached ?? undefined;
      let principal: Principal | null = null;
      const key = await store.keys.getByHash(hash);
      if (key && hashesEqual(hash, key.keyHash)) {
        principal = key.instances === null ? { kind: 'admin', keyId: key.id } : { kind: 'key', keyId: key.id, instances: key.instances };
      } else {
        const instance = await store.instances.getByTokenHash(hash);
        if (instance && hashesEqual(hash, instance.tokenHash)) principal = { kind: 'instance', instanceId: instance.id };
      }
      // Unknown secrets are not cached: a flood of random keys must not evict good entries.
      if (principal) remember(hash, principal);
      return principal ?? undefined;
    },

    canAccess(principal, instanceId) {
      switch (principal.kind) {
        case 'admin':
          return true;
        case 'key':
          return principal.instances.includes(instanceId);
        case 'instance':
          return principal.instanceId === instanceId;
      }
    },

    visibleInstances(principal) {
      switch (principal.kind) {
        case 'admin':
          return null;
        case 'key':
          return principal.instances;
        case 'instance':
          return [principal.instanceId];
      }
    },

    isAdmin: (principal) => principal.kind === 'admin',

    async createKey(input) {
      if (input.instances) {
        const found = await store.instances.list(input.instances);
        const missing = input.instances.filter((id) => !found.some((i) => i.id === id));
        if (missing.length) throw new DomainError('instance_not_found', `no such instance: ${missing.join(', ')}`, { missing });
      }
      const secret = newSecret('gg_');
      const key: ApiKey = {
        id: shortId('key_'),
        name: input.name,
        keyHash: hashSecret(secret),
        instances: input.instances ? [...new Set(input.instances)] : null,
        createdAt: new Date().toISOString(),
      };
      await store.keys.insert(key);
      return { ...view(key), key: secret };
    },

    async listKeys() {
      return (await store.keys.list()).map(view);
    },

    async rotateKey(id) {
      const key = await store.keys.get(id);
      if (!key) throw new DomainError('key_not_found', `no such key: ${id}`);
      const secret = newSecret('gg_');
      await store.keys.updateHash(id, hashSecret(secret));
      revoked(key.keyHash);
      return { ...view(key), key: secret };
    },

    async deleteKey(id) {
      const key = await store.keys.get(id);
      if (!key) throw new DomainError('key_not_found', `no such key: ${id}`);
      await store.keys.delete(id);
      revoked(key.keyHash);
    },

    forget(hash) {
      revoked(hash);
    },

    onRevoked(listener) {
      revokedListeners.add(listener);
      return () => revokedListeners.delete(listener);
    },
  };
}
