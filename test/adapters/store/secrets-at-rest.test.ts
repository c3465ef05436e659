/**
 * Secrets at rest: the data folder, database and master key file are owner-only; webhook signing
 * secrets, provider Authorization headers and WhatsApp device keys are stored sealed (AES-256-GCM)
 * and read back intact; rotating the master key seals everything again under the new key.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { createBaileysAuthRepository } from '../../../src/adapters/engines/baileys/auth-repository.js';
import { createWebhookRepository } from '../../../src/adapters/store/kysely/webhooks.js';
import { createSecretBox } from '../../../src/adapters/store/secret-box.js';
import { createLogger } from '../../../src/logger.js';
import { bootOnPlace, dropPlace, freshPlace } from '../../../testkit/place.js';
import { ADMIN_KEY, PG_URL } from '../../support/app.js';

const quiet = () =>
  createLogger('error', {
    pretty: false,
    destination: new Writable({
      write(_c, _e, cb) {
        cb();
      },
    }),
  });
const mode = (path: string) => statSync(path).mode & 0o777;

describe('secrets at rest (sqlite)', () => {
  const place = freshPlace('sqlite', 'secrets', PG_URL);
  after(() => dropPlace(place));

  it('keeps the data folder, database and generated master key owner-only, and stores secrets sealed', async () => {
    const { core, app } = await bootOnPlace(place, { logger: quiet(), config: { adminKey: ADMIN_KEY } });
    let secret: string;
    try {
      assert.equal(mode(place.dir!), 0o700);
      assert.equal(mode(join(place.dir!, 'groupgate.db')), 0o600);
      assert.equal(mode(join(place.dir!, 'master.key')), 0o600);

      const created = await app.inject({
        method: 'POST',
        url: '/api/webhooks',
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
        payload: { url: 'https://hooks.example.com/in' },
      });
      assert.equal(created.statusCode, 201, created.body);
      secret = created.json().secret as string;
      const row = await core.database.db.selectFrom('webhook_subscriptions').select(['secret']).executeTakeFirstOrThrow();
      assert.match(row.secret, /^gg1:/);
      assert.ok(!row.secret.includes(secret.slice(6)), 'the signing secret is not stored in the clear');
      const box = createSecretBox(readFileSync(join(place.dir!, 'master.key'), 'utf8').trim());
      assert.equal((await createWebhookRepository(core.database.db, box).getSubscription(created.json().id))?.secret, secret);

      const auth = createBaileysAuthRepository(core.database.db, box);
      await auth.writeCreds('inst-x', '{"noiseKey":"device-private-key"}');
      await auth.setKeys('inst-x', [{ kind: 'pre-key', id: '1', value: '{"private":"pre-key-secret"}' }]);
      const stored = await core.database.db.selectFrom('baileys_auth').select('value').where('instance_id', '=', 'inst-x').execute();
      assert.equal(stored.length, 2);
      assert.ok(stored.every((r) => r.value.startsWith('gg1:') && !r.value.includes('secret') && !r.value.includes('device-private-key')));
      assert.equal(await auth.readCreds('inst-x'), '{"noiseKey":"device-private-key"}');
      assert.equal((await auth.getKeys('inst-x', 'pre-key', ['1'])).get('1'), '{"private":"pre-key-secret"}');
    } finally {
      await app.close();
      await core.close();
    }

    // Rotation: the new key in GROUPGATE_MASTER_KEY, the old one in GROUPGATE_MASTER_KEY_PREVIOUS.
    const oldKey = readFileSync(join(place.dir!, 'master.key'), 'utf8').trim();
    const newKey = 'a-new-master-key-for-rotation-0123456789abcdef';
    const rotated = await bootOnPlace(place, { logger: quiet(), config: { adminKey: ADMIN_KEY, masterKey: newKey, masterKeyPrevious: oldKey } });
    try {
      const box = createSecretBox(newKey);
      const subs = await createWebhookRepository(rotated.core.database.db, box).listSubscriptions();
      assert.deepEqual(
        subs.map((s) => s.secret),
        [secret],
      );
      const rows = await rotated.core.database.db.selectFrom('baileys_auth').select('value').execute();
      const raw = await rotated.core.database.db.selectFrom('webhook_subscriptions').select('secret').execute();
      assert.ok(
        [...rows.map((r) => r.value), ...raw.map((r) => r.secret)].every((v) => !box.stale(v)),
        'every secret is sealed under the new key',
      );
    } finally {
      await rotated.app.close();
      await rotated.core.close();
    }
    // The old key is no longer needed.
    const after = await bootOnPlace(place, { logger: quiet(), config: { adminKey: ADMIN_KEY, masterKey: newKey } });
    try {
      assert.equal(await createBaileysAuthRepository(after.core.database.db, createSecretBox(newKey)).readCreds('inst-x'), '{"noiseKey":"device-private-key"}');
    } finally {
      await after.app.close();
      await after.core.close();
    }
    // A wrong key is refused at start-up with a clear message, never silently.
    await assert.rejects(bootOnPlace(place, { logger: quiet(), config: { adminKey: ADMIN_KEY, masterKey: 'the-wrong-master-key-0123456789abcdefgh' } }), /not configured/);
  });
});
