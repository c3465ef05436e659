/** The Baileys auth repository (creds and Signal keys) on SQLite and PostgreSQL. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import { createBaileysAuthRepository, type BaileysAuthRepository } from '../../../src/adapters/engines/baileys/auth-repository.js';
import { databaseKinds } from '../../support/app.js';
import { useDatabase } from '../../support/database.js';

for (const kind of await databaseKinds()) {
  describe(`baileys auth repository on ${kind}`, () => {
    const place = useDatabase(kind, 'bauth');
    const repo = (): BaileysAuthRepository => createBaileysAuthRepository(place.handle.db);

    it('readCreds is undefined for a never-linked instance; writeCreds replaces', async () => {
      assert.equal(await repo().readCreds('inst-a'), undefined);
      await repo().writeCreds('inst-a', '{"v":1}');
      await repo().writeCreds('inst-a', '{"v":2}');
      assert.equal(await repo().readCreds('inst-a'), '{"v":2}');
      assert.equal(await repo().readCreds('inst-b'), undefined);
    });

    it('setKeys upserts and deletes atomically; getKeys answers only the ids present', async () => {
      await repo().setKeys('inst-a', [
        { kind: 'pre-key', id: '1', value: 'k1' },
        { kind: 'pre-key', id: '2', value: 'k2' },
        { kind: 'session', id: '1', value: 's1' },
      ]);
      await repo().setKeys('inst-a', [
        { kind: 'pre-key', id: '1', value: 'k1b' },
        { kind: 'pre-key', id: '2', value: null },
        { kind: 'pre-key', id: 'never', value: null },
      ]);
      await repo().setKeys('inst-a', []);
      assert.deepEqual(await repo().getKeys('inst-a', 'pre-key', ['1', '2', '3']), new Map([['1', 'k1b']]));
      assert.deepEqual(await repo().getKeys('inst-a', 'session', ['1']), new Map([['1', 's1']]));
      assert.deepEqual(await repo().getKeys('inst-b', 'pre-key', ['1']), new Map());
      assert.deepEqual(await repo().getKeys('inst-a', 'pre-key', []), new Map());
      assert.equal(await repo().readCreds('inst-a'), '{"v":2}', 'keys never touch the creds');
    });

    it('getKeys reads more ids than one parameter list holds', async () => {
      const ids = Array.from({ length: 1200 }, (_, i) => String(i));
      await repo().setKeys(
        'inst-many',
        ids.map((id) => ({ kind: 'pre-key', id, value: `v${id}` })),
      );
      const got = await repo().getKeys('inst-many', 'pre-key', ids);
      assert.equal(got.size, 1200);
      assert.equal(got.get('1199'), 'v1199');
    });

    it('engine-wide settings (the learned client version) are replaced in place and survive every instance deletion', async () => {
      assert.equal(await repo().readSetting('wa-web-version'), undefined);
      await repo().writeSetting('wa-web-version', '[2,3000,1]');
      await repo().writeSetting('wa-web-version', '[2,3000,2]');
      await repo().deleteInstance('inst-a');
      assert.equal(await repo().readSetting('wa-web-version'), '[2,3000,2]');
    });

    it('setKeys of about 1000 keys (the pre-keys of a link) writes them with a few multi-row statements in one transaction', async () => {
      const statements: string[] = [];
      const counter: KyselyPlugin = {
        transformQuery: (args) => (statements.push(args.node.kind), args.node),
        transformResult: async (args) => args.result,
      };
      const counted = createBaileysAuthRepository(place.handle.db.withPlugin(counter));
      const ids = Array.from({ length: 1000 }, (_, i) => String(i + 1));
      await counted.setKeys('inst-link', [
        ...ids.map((id) => ({ kind: 'pre-key', id, value: `k${id}` })),
        { kind: 'session', id: 's', value: 'session' },
        // The same key twice in one call: the last change wins.
        { kind: 'pre-key', id: '7', value: 'k7b' },
      ]);
      assert.ok(statements.length <= 12, `${statements.length} statements for 1001 keys`);
      const got = await repo().getKeys('inst-link', 'pre-key', ids);
      assert.equal(got.size, 1000);
      assert.equal(got.get('1000'), 'k1000');
      assert.equal(got.get('7'), 'k7b');
      statements.length = 0;
      // Deleting the used pre-keys and updating the rest, again in a few statements.
      await counted.setKeys('inst-link', [
        ...ids.slice(0, 600).map((id) => ({ kind: 'pre-key', id, value: null })),
        ...ids.slice(600).map((id) => ({ kind: 'pre-key', id, value: `v${id}` })),
        { kind: 'session', id: 's', value: null },
      ]);
      assert.ok(statements.length <= 12, `${statements.length} statements for 1001 changes`);
      const after = await repo().getKeys('inst-link', 'pre-key', ids);
      assert.equal(after.size, 400);
      assert.equal(after.get('601'), 'v601');
      assert.deepEqual(await repo().getKeys('inst-link', 'session', ['s']), new Map());
    });

    it('deleteInstance wipes creds and keys of that instance only, and is idempotent', async () => {
      await repo().writeCreds('inst-b', '{"b":1}');
      await repo().deleteInstance('inst-a');
      await repo().deleteInstance('inst-a');
      assert.equal(await repo().readCreds('inst-a'), undefined);
      assert.deepEqual(await repo().getKeys('inst-a', 'session', ['1']), new Map());
      assert.equal(await repo().readCreds('inst-b'), '{"b":1}');
    });
  });
}
