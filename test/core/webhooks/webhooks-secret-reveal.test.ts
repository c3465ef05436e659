/**
 * Every subscription's signing secret can be read once by an admin (and replaced by a rotation), so
 * the signatures of subscriptions made through a provider's settings can be verified; Green API's
 * webhookUrlToken is kept only in its subscription, sealed, and forgotten with its URL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createUnpacedInstance, databaseKinds, startTestApp, type TestApp } from '../../support/app.js';
import { startReceiver, type Receiver } from '../../support/fixtures/webhook-receiver.js';
import { cus, green, type GreenInstance } from '../../dialects/green-api/green-api-helpers.js';
import type { Kysely } from 'kysely';
import * as m011 from '../../../src/adapters/store/migrations/011-webhook-secret-reveal.js';

/** Every stored row of every table, as one string. */
async function everyStoredRow(t: TestApp): Promise<string> {
  const db = t.core.database.db;
  const tables = await db.introspection.getTables();
  const out: string[] = [];
  for (const table of tables) {
    const rows = await db
      .selectFrom(table.name as 'settings')
      .selectAll()
      .execute();
    out.push(JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : Buffer.isBuffer(v) ? v.toString('latin1') : v)));
  }
  return out.join('\n');
}

const verifies = (secret: string, r: { body: string; headers: Record<string, unknown> }) => {
  try {
    new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
};

for (const db of await databaseKinds()) {
  describe(`webhook signing secrets shown once, provider tokens sealed (${db})`, () => {
    let t: TestApp;
    let a: GreenInstance;
    let b: GreenInstance;
    let receiver: Receiver;
    let scoped: string;
    const token = 'gt-Zq81x7Wm4Pt0kV9s';

    before(async () => {
      t = await startTestApp({ db, config: { webhookRetryBaseMs: 20 } });
      a = await createUnpacedInstance(t);
      b = await createUnpacedInstance(t);
      receiver = await startReceiver();
      scoped = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'a only', instances: [a.id] } })).json().key as string;
    });
    after(async () => {
      await receiver.close();
      await t.close();
    });

    const greenSubscription = async () => {
      const subs = (await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks as { id: string; format: string; instances: string[] }[];
      return subs.find((w) => w.format === 'green-api' && w.instances[0] === a.id);
    };

    it('a Green API subscription: the token is answered from the subscription only; its secret is revealed once, then rotated', async () => {
      const set = await green(t, a, 'setSettings', { payload: { webhookUrl: receiver.url, webhookUrlToken: token, outgoingAPIMessageWebhook: 'yes' } });
      assert.deepEqual([set.statusCode, set.json()], [200, { saveSettings: true }]);
      const got = (await green(t, a, 'getSettings')).json();
      assert.deepEqual([got.webhookUrl, got.webhookUrlToken, got.outgoingAPIMessageWebhook], [receiver.url, token, 'yes']);
      const kept = (await t.core.store.instances.get(a.id))?.settings.greenApi as Record<string, unknown>;
      assert.equal('webhookUrlToken' in kept, false, 'the settings do not hold the token');
      const rows = await everyStoredRow(t);
      assert.ok(rows.includes(a.id) && rows.includes(receiver.url), 'the dump holds the stored rows');
      assert.ok(!rows.includes(token), 'the token is in no stored row');

      // A setSettings without the token keeps it.
      await green(t, a, 'setSettings', { payload: { stateWebhook: 'yes' } });
      assert.equal((await green(t, a, 'getSettings')).json().webhookUrlToken, token);

      const sub = (await greenSubscription())!;
      assert.ok(sub);
      // Refusals: a scoped key (even one that sees the instance), an instance token, an unknown id.
      for (const key of [scoped, a.token]) {
        for (const action of ['reveal', 'rotate']) {
          const res = await t.request({ method: 'POST', url: `/api/webhooks/${sub.id}/secret/${action}`, key });
          assert.equal(res.statusCode, 403, `${action} with a non-admin credential`);
          assert.equal(res.json().error.code, 'forbidden');
        }
      }
      for (const action of ['reveal', 'rotate']) {
        const res = await t.request({ method: 'POST', url: `/api/webhooks/wh_nosuch/secret/${action}` });
        assert.deepEqual([res.statusCode, res.json().error.code], [404, 'webhook_not_found']);
      }
      const unrevealed = await t.core.database.db.selectFrom('webhook_subscriptions').select('secret_revealed_at').where('id', '=', sub.id).executeTakeFirstOrThrow();
      assert.equal(unrevealed.secret_revealed_at, null, 'refusals reveal nothing');

      const revealed = await t.request({ method: 'POST', url: `/api/webhooks/${sub.id}/secret/reveal` });
      assert.equal(revealed.statusCode, 200);
      const { secret, ...view } = revealed.json() as { secret: string; id: string; managedBy: string };
      assert.match(secret, /^whsec_/);
      assert.deepEqual([view.id, view.managedBy], [sub.id, 'green-api']);
      const row = await t.core.database.db
        .selectFrom('webhook_subscriptions')
        .select(['secret', 'secret_revealed_at', 'auth_header'])
        .where('id', '=', sub.id)
        .executeTakeFirstOrThrow();
      assert.notEqual(row.secret_revealed_at, null);
      assert.ok(!row.secret.includes(secret) && !row.auth_header!.includes(token), 'both stay sealed');

      // The revealed secret verifies what the subscription sends; the token goes as a Bearer header.
      await green(t, a, 'sendMessage', { payload: { chatId: cus(b), message: 'signed once' } });
      await receiver.waitFor((r) => r.some((x) => x.body.includes('signed once')));
      const hit = receiver.received.find((x) => x.body.includes('signed once'))!;
      assert.equal(hit.headers.authorization, `Bearer ${token}`);
      assert.ok(verifies(secret, hit));

      const again = await t.request({ method: 'POST', url: `/api/webhooks/${sub.id}/secret/reveal` });
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().error.code, 'secret_already_revealed');
      assert.match(again.json().error.message, /rotate/);
      assert.ok(!again.body.includes(secret));

      const rotated = await t.request({ method: 'POST', url: `/api/webhooks/${sub.id}/secret/rotate` });
      assert.equal(rotated.statusCode, 200);
      const next = rotated.json().secret as string;
      assert.match(next, /^whsec_/);
      assert.notEqual(next, secret);
      assert.ok(!(await everyStoredRow(t)).includes(next), 'the new secret is sealed');
      assert.equal((await t.request({ method: 'POST', url: `/api/webhooks/${sub.id}/secret/reveal` })).statusCode, 409, 'the rotation answer was its showing');
      await green(t, a, 'sendMessage', { payload: { chatId: cus(b), message: 'signed anew' } });
      await receiver.waitFor((r) => r.some((x) => x.body.includes('signed anew')));
      const hit2 = receiver.received.find((x) => x.body.includes('signed anew'))!;
      assert.ok(verifies(next, hit2) && !verifies(secret, hit2));
    });

    it('clearing the URL forgets the token: getSettings answers it empty, and a new URL comes without it', async () => {
      await green(t, a, 'setSettings', { payload: { webhookUrl: '' } });
      const cleared = (await green(t, a, 'getSettings')).json();
      assert.deepEqual([cleared.webhookUrl, cleared.webhookUrlToken], ['', '']);
      assert.equal(await greenSubscription(), undefined);
      await green(t, a, 'setSettings', { payload: { webhookUrl: receiver.url } });
      assert.equal((await green(t, a, 'getSettings')).json().webhookUrlToken, '');
      const row = await t.core.database.db
        .selectFrom('webhook_subscriptions')
        .select('auth_header')
        .where('id', '=', (await greenSubscription())!.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.auth_header, null);
      assert.ok(!(await everyStoredRow(t)).includes(token), 'the token is in no stored row');
      await green(t, a, 'setSettings', { payload: { webhookUrl: '' } });
    });

    it('a native subscription: its secret can also be revealed once to an admin', async () => {
      const created = await t.request({ method: 'POST', url: '/api/webhooks', key: scoped, payload: { url: receiver.url, instances: [a.id] } });
      assert.equal(created.statusCode, 201);
      const { id, secret } = created.json() as { id: string; secret: string };
      const res = await t.request({ method: 'POST', url: `/api/webhooks/${id}/secret/reveal`, key: scoped });
      assert.equal(res.statusCode, 403);
      const revealed = await t.request({ method: 'POST', url: `/api/webhooks/${id}/secret/reveal` });
      assert.deepEqual([revealed.statusCode, revealed.json().secret], [200, secret]);
      assert.equal((await t.request({ method: 'POST', url: `/api/webhooks/${id}/secret/reveal` })).statusCode, 409);
      // A replayed rotation (same Idempotency-Key) withholds the secret.
      const headers = { 'idempotency-key': 'rotate-once' };
      const first = await t.request({ method: 'POST', url: `/api/webhooks/${id}/secret/rotate`, headers });
      const replay = await t.request({ method: 'POST', url: `/api/webhooks/${id}/secret/rotate`, headers });
      assert.equal(first.statusCode, 200);
      assert.equal(replay.headers['idempotent-secrets-withheld'], 'true');
      assert.ok(!replay.body.includes(first.json().secret as string));
      assert.equal((await t.request({ method: 'DELETE', url: `/api/webhooks/${id}` })).statusCode, 204);
    });

    it('migration 011 drops the webhookUrlToken that older versions kept in the settings, and nothing else', async () => {
      const db = t.core.database.db;
      const legacy = { greenApi: { webhookUrl: receiver.url, webhookUrlToken: token, stateWebhook: 'yes' }, other: { x: 1 } };
      await db
        .updateTable('instances')
        .set({ settings: JSON.stringify(legacy) })
        .where('id', '=', b.id)
        .execute();
      await m011.down(db as unknown as Kysely<unknown>);
      await m011.up(db as unknown as Kysely<unknown>);
      const row = await db.selectFrom('instances').select('settings').where('id', '=', b.id).executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(row.settings), { greenApi: { webhookUrl: receiver.url, stateWebhook: 'yes' }, other: { x: 1 } });
      assert.ok(!(await everyStoredRow(t)).includes(token));
    });
  });
}
