/** The Baileys auth state round-trips through SQLite and PostgreSQL byte for byte. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadAuthState } from '../../../../src/adapters/engines/baileys/auth-state.js';
import { importBaileys } from '../../../../src/adapters/engines/baileys/baileys-types.js';
import { createBaileysAuthRepository } from '../../../../src/adapters/engines/baileys/auth-repository.js';
import { databaseKinds, startTestApp } from '../../../support/app.js';

const kinds = await databaseKinds();
const lib = await importBaileys();
const json = (value: unknown) => JSON.stringify(value, lib.BufferJSON.replacer);

describe('baileys auth state in the database', () => {
  for (const db of kinds) {
    it(`creds and every key type round-trip byte for byte (${db}); deleting wipes them`, async () => {
      const t = await startTestApp({ db });
      try {
        const repo = createBaileysAuthRepository(t.core.database.db);
        const first = await loadAuthState(lib, repo, 'inst-a');
        first.state.creds.me = { id: '15550001111:2@s.whatsapp.net', lid: '123456789:2@lid', name: 'A' };
        first.state.creds.routingInfo = randomBytes(12);
        await first.saveCreds();
        const data = {
          'pre-key': { '1': lib.Curve.generateKeyPair(), '2': lib.Curve.generateKeyPair() },
          session: { '15550002222.0': new Uint8Array(randomBytes(300)) },
          'sender-key': { 'g@g.us::15550002222::0': new Uint8Array(randomBytes(64)) },
          'sender-key-memory': { 'g@g.us': { '15550002222:0@s.whatsapp.net': true } },
          'app-state-sync-key': { AAAA: { keyData: new Uint8Array(randomBytes(32)), timestamp: 1700000000 } },
          'app-state-sync-version': { regular: { version: 3, hash: Buffer.alloc(128, 1), indexValueMap: { k: { valueMac: new Uint8Array([1, 2, 3]) } } } },
          'lid-mapping': { '15550002222': '987654321@lid', '987654321_reverse': '15550002222' },
          'device-list': { '15550002222': ['0', '3'] },
          tctoken: { '15550002222@s.whatsapp.net': { token: randomBytes(16), timestamp: '1700000000' } },
          'identity-key': { '15550002222.0': new Uint8Array(randomBytes(33)) },
        } as const;
        await first.state.keys.set(data as never);

        // A later start reads exactly what was written.
        const again = await loadAuthState(lib, createBaileysAuthRepository(t.core.database.db), 'inst-a');
        assert.equal(json(again.state.creds), json(first.state.creds));
        assert.ok(Buffer.isBuffer(again.state.creds.noiseKey.private));
        for (const [type, entries] of Object.entries(data)) {
          const ids = Object.keys(entries);
          const read = await again.state.keys.get(type as never, [...ids, 'missing']);
          assert.deepEqual(Object.keys(read).sort(), ids.sort(), type);
          for (const id of ids) {
            const expected = (entries as Record<string, unknown>)[id];
            const actual = type === 'app-state-sync-key' ? lib.proto.Message.AppStateSyncKeyData.toObject(read[id] as never, { longs: Number }) : read[id];
            assert.equal(json(actual), json(expected), `${type}/${id}`);
          }
        }
        const session = (await again.state.keys.get('session', ['15550002222.0']))['15550002222.0'];
        assert.deepEqual(Buffer.from(session as Uint8Array), Buffer.from(data.session['15550002222.0']));

        // null deletes a key; other instances are untouched; deleting the instance wipes everything.
        await again.state.keys.set({ 'pre-key': { '1': null } });
        assert.deepEqual(Object.keys(await again.state.keys.get('pre-key', ['1', '2'])), ['2']);
        const other = await loadAuthState(lib, repo, 'inst-b');
        await again.wipe();
        const left = await t.core.database.db.selectFrom('baileys_auth').select(['instance_id']).execute();
        assert.deepEqual(
          left.map((r) => r.instance_id),
          ['inst-b'],
        );
        const otherAgain = await loadAuthState(lib, repo, 'inst-b');
        assert.equal(json(otherAgain.state.creds), json(other.state.creds), 'another instance keeps its creds through a wipe');
      } finally {
        await t.close();
      }
    });
  }
});
