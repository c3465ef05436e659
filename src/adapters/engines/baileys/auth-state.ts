/**
 * Baileys' `AuthenticationState` over the store: creds and every SignalKeyStore key type, serialised
 * with Baileys' BufferJSON so Buffers and Uint8Arrays round-trip byte for byte.
 */
import type { AuthenticationCreds, AuthenticationState, SignalDataSet, SignalDataTypeMap } from 'baileys';
import type { AuthKeyChange, BaileysAuthRepository } from './auth-repository.js';
import type { BaileysModule } from './baileys-types.js';

export interface StoredAuthState {
  state: AuthenticationState;
  /** Writes the current creds; call on every `creds.update`. */
  saveCreds(): Promise<void>;
  /** Deletes creds and keys (logout, instance deleted). */
  wipe(): Promise<void>;
}

/** Loads (or initialises) the auth state of one instance. */
export async function loadAuthState(lib: BaileysModule, repo: BaileysAuthRepository, instanceId: string): Promise<StoredAuthState> {
  const { BufferJSON, initAuthCreds, proto } = lib;
  const encode = (value: unknown) => JSON.stringify(value, BufferJSON.replacer);
  const decode = (text: string): unknown => JSON.parse(text, BufferJSON.reviver);
  const stored = await repo.readCreds(instanceId);
  const creds = (stored ? decode(stored) : initAuthCreds()) as AuthenticationCreds;
  if (!stored) await repo.writeCreds(instanceId, encode(creds));

  const state: AuthenticationState = {
    creds,
    keys: {
      async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
        const rows = await repo.getKeys(instanceId, type, ids);
        const out: { [id: string]: SignalDataTypeMap[T] } = {};
        for (const [id, text] of rows) {
          let value = decode(text);
          // Baileys expects a protobuf object here, as its own file store gives it.
          if (type === 'app-state-sync-key' && value) value = proto.Message.AppStateSyncKeyData.fromObject(value as object);
          out[id] = value as SignalDataTypeMap[T];
        }
        return out;
      },
      async set(data: SignalDataSet) {
        const changes: AuthKeyChange[] = [];
        for (const [kind, entries] of Object.entries(data)) {
          for (const [id, value] of Object.entries(entries ?? {})) {
            changes.push({ kind, id, value: value === null || value === undefined ? null : encode(value) });
          }
        }
        await repo.setKeys(instanceId, changes);
      },
      async clear() {
        await repo.deleteInstance(instanceId);
        await repo.writeCreds(instanceId, encode(creds));
      },
    },
  };
  return {
    state,
    saveCreds: () => repo.writeCreds(instanceId, encode(state.creds)),
    wipe: () => repo.deleteInstance(instanceId),
  };
}

/** In-memory repository, for tests and for tools that must not touch the database. */
export function createMemoryAuthRepository(): BaileysAuthRepository & { rows: Map<string, string> } {
  const rows = new Map<string, string>();
  const key = (instanceId: string, kind: string, id: string) => `${instanceId}\u0000${kind}\u0000${id}`;
  return {
    rows,
    readCreds: async (instanceId) => rows.get(key(instanceId, 'creds', '')),
    writeCreds: async (instanceId, value) => void rows.set(key(instanceId, 'creds', ''), value),
    async getKeys(instanceId, kind, ids) {
      const found = new Map<string, string>();
      for (const id of ids) {
        const value = rows.get(key(instanceId, kind, id));
        if (value !== undefined) found.set(id, value);
      }
      return found;
    },
    async setKeys(instanceId, changes) {
      for (const change of changes) {
        if (change.value === null) rows.delete(key(instanceId, change.kind, change.id));
        else rows.set(key(instanceId, change.kind, change.id), change.value);
      }
    },
    async deleteInstance(instanceId) {
      for (const k of [...rows.keys()]) if (k.startsWith(`${instanceId}\u0000`)) rows.delete(k);
    },
    readSetting: async (name) => rows.get(key('', 'setting', name)),
    writeSetting: async (name, value) => void rows.set(key('', 'setting', name), value),
  };
}
