/**
 * Encryption at rest for the secrets the server must be able to read back (WhatsApp device keys,
 * webhook signing secrets, the Authorization header a provider webhook sends): AES-256-GCM under a
 * master key. The key is GROUPGATE_MASTER_KEY, or else a random key generated once into
 * `<dataDir>/master.key` (owner-only). A sealed value names the key it was sealed with, so
 * GROUPGATE_MASTER_KEY_PREVIOUS can hold the keys being rotated out while everything is sealed again
 * under the new one at start-up (`resealSecrets`). Values stored before encryption existed are read
 * as they are and sealed at the next start.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

const PREFIX = 'gg1:';

export interface SecretBox {
  /** Encrypts under the current key. */
  seal(plain: string): string;
  /** Decrypts a sealed value (any known key); a value that was never sealed is answered as it is. */
  open(stored: string): string;
  /** Whether a stored value is plaintext or sealed under another key than the current one. */
  stale(stored: string): boolean;
}

/** A box that stores values as they are (repositories built without a master key, in tests of the repositories alone). */
export const PLAINTEXT: SecretBox = { seal: (v) => v, open: (v) => v, stale: () => false };

const keyId = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);
const derive = (secret: string) => createHash('sha256').update(`groupgate-master-key\n${secret}`).digest();

/** A box over the current key and the previous ones (rotation). */
export function createSecretBox(current: string, previous: string[] = []): SecretBox {
  const keys = new Map<string, Buffer>();
  const main = derive(current);
  const mainId = keyId(main);
  keys.set(mainId, main);
  for (const p of previous) {
    const k = derive(p);
    keys.set(keyId(k), k);
  }
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', main, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${PREFIX}${mainId}:${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${data.toString('base64url')}`;
    },
    open(stored) {
      if (!stored.startsWith(PREFIX)) return stored;
      const [id, iv, tag, data] = stored.slice(PREFIX.length).split(':') as [string, string, string, string];
      const key = keys.get(id);
      if (!key) throw new Error(`a secret is sealed with master key ${id}, which is not configured (GROUPGATE_MASTER_KEY / GROUPGATE_MASTER_KEY_PREVIOUS)`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    },
    stale: (stored) => !stored.startsWith(`${PREFIX}${mainId}:`),
  };
}

/** The master key: the configured one, else the key file in the data folder (created owner-only on first start). */
export function masterKey(options: { configured?: string; dataDir: string }): { key: string; source: 'config' | 'file' } {
  if (options.configured) return { key: options.configured, source: 'config' };
  const file = join(options.dataDir, 'master.key');
  if (!existsSync(file)) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process created it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  chmodSync(file, 0o600);
  return { key: readFileSync(file, 'utf8').trim(), source: 'file' };
}

/** Seals every stored secret that is plaintext or sealed under a previous key; answers how many were. */
export async function resealSecrets(db: Kysely<Database>, box: SecretBox): Promise<number> {
  let n = 0;
  const subs = await db.selectFrom('webhook_subscriptions').select(['id', 'secret', 'auth_header']).execute();
  for (const s of subs) {
    const patch: { secret?: string; auth_header?: string } = {};
    if (box.stale(s.secret)) patch.secret = box.seal(box.open(s.secret));
    if (s.auth_header !== null && box.stale(s.auth_header)) patch.auth_header = box.seal(box.open(s.auth_header));
    if (Object.keys(patch).length === 0) continue;
    await db.updateTable('webhook_subscriptions').set(patch).where('id', '=', s.id).execute();
    n++;
  }
  // Keys never change here, only values: pages by offset over a stable order.
  for (let offset = 0; ; offset += 500) {
    const rows = await db
      .selectFrom('baileys_auth')
      .select(['instance_id', 'kind', 'key_id', 'value'])
      .orderBy('instance_id')
      .orderBy('kind')
      .orderBy('key_id')
      .limit(500)
      .offset(offset)
      .execute();
    if (rows.length === 0) break;
    for (const r of rows) {
      if (!box.stale(r.value)) continue;
      await db
        .updateTable('baileys_auth')
        .set({ value: box.seal(box.open(r.value)) })
        .where('instance_id', '=', r.instance_id)
        .where('kind', '=', r.kind)
        .where('key_id', '=', r.key_id)
        .execute();
      n++;
    }
  }
  return n;
}
