/** Tables of the Baileys engine: the linked device's auth state (creds and Signal keys). */

/** One row per key: `kind` is a SignalKeyStore key type or `creds`; `value` is BufferJSON text. */
export interface BaileysAuthTable {
  instance_id: string;
  kind: string;
  key_id: string;
  value: string;
  updated_at: string;
}

export interface BaileysTables {
  baileys_auth: BaileysAuthTable;
}
