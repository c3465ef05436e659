/** Retention: old events, deliveries and idempotency records go, but never what a delivery still needs. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRetention } from '../../../src/core/retention/retention-service.js';
import { createWebhookRepository } from '../../../src/adapters/store/kysely/webhooks.js';
import { createSandboxInstance, databaseKinds, startTestApp, type TestApp } from '../../support/app.js';
import { startReceiver, type Receiver } from '../../support/fixtures/webhook-receiver.js';

const kinds = await databaseKinds();
const DAY = 24 * 60 * 60 * 1000;

for (const db of kinds) {
  describe(`retention (${db})`, () => {
    let t: TestApp;
    let failing: Receiver;
    let healthy: Receiver;
    before(async () => {
      // A long retry base keeps the failing delivery pending for the whole test.
      t = await startTestApp({ db, config: { webhookRetryBaseMs: 600_000 } });
      failing = await startReceiver();
      failing.respond(500);
      healthy = await startReceiver();
    });
    after(async () => {
      await t.close();
      await failing.close();
      await healthy.close();
    });

    const logOf = async (id: string) => (await t.request({ method: 'GET', url: `/api/instances/${id}/events?limit=1000` })).json().events as { seq: number; id: string }[];

    it('prunes by age, keeps what a pending delivery needs, and prunes idempotency records', async () => {
      const a = await createSandboxInstance(t);
      const b = await createSandboxInstance(t);
      const stuck = (await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: failing.url, instances: [a.id] } })).json();
      const fine = (await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: healthy.url, instances: [b.id] } })).json();
      await t.request({ method: 'POST', url: `/api/instances/${a.id}/groups`, payload: { name: 'A', participants: ['+15559990001'] } });
      await t.request({ method: 'POST', url: `/api/instances/${b.id}/groups`, payload: { name: 'B', participants: ['+15559990002'] } });
      const logA = await logOf(a.id);
      const logB = await logOf(b.id);
      await failing.waitFor((r) => r.length >= 1);
      await healthy.waitFor((r) => r.length >= logB.length - 1);
      await t.core.webhookWorker.idle();

      // Relative to the retention clock below (eight days ahead): one record 2 days old, one 1 hour old.
      const old = new Date(Date.now() + 6 * DAY).toISOString();
      const recent = new Date(Date.now() + 8 * DAY - 60 * 60 * 1000).toISOString();
      const soon = new Date(Date.now() + 9 * DAY).toISOString();
      await t.core.database.db
        .insertInto('idempotency_keys')
        .values([
          {
            scope: 'test',
            key: 'old',
            fingerprint: 'f',
            state: 'completed',
            locked_until: old,
            response_status: 200,
            response_headers: '{}',
            response_body: '{}',
            created_at: old,
            expires_at: old,
          },
          {
            scope: 'test',
            key: 'new',
            fingerprint: 'f',
            state: 'completed',
            locked_until: soon,
            response_status: 200,
            response_headers: '{}',
            response_body: '{}',
            created_at: recent,
            expires_at: soon,
          },
        ])
        .execute();

      // Eight days later, by the retention job's clock.
      const repo = createWebhookRepository(t.core.database.db);
      const retention = createRetention({
        store: t.core.store,
        repo,
        settings: t.config,
        logger: t.core.logger,
        now: () => Date.now() + 8 * DAY,
        idempotency: t.core.idempotency,
      });
      const out = await retention.runOnce();

      // A: its lane is stuck on the first event after the subscription: that one and the rest stay.
      assert.deepEqual(
        (await logOf(a.id)).map((e) => e.seq),
        logA.slice(1).map((e) => e.seq),
      );
      // B: everything was delivered, so everything old goes.
      assert.deepEqual(await logOf(b.id), []);
      assert.equal(out.events, 1 + logB.length);
      const fineDeliveries = (await t.request({ method: 'GET', url: `/api/webhooks/${fine.id}/deliveries` })).json().deliveries;
      assert.deepEqual(fineDeliveries, [], 'finished deliveries older than 7 days are gone');
      const stuckDeliveries = (await t.request({ method: 'GET', url: `/api/webhooks/${stuck.id}/deliveries` })).json().deliveries;
      assert.deepEqual(
        stuckDeliveries.map((d: { status: string }) => d.status),
        ['pending'],
        'a pending delivery is never pruned',
      );
      const keys = await t.core.database.db.selectFrom('idempotency_keys').select('key').where('scope', '=', 'test').execute();
      assert.deepEqual(
        keys.map((k) => k.key),
        ['new'],
      );

      // Once nothing needs them, A's old events go too.
      assert.equal((await t.request({ method: 'DELETE', url: `/api/webhooks/${stuck.id}` })).statusCode, 204);
      await retention.runOnce();
      assert.deepEqual(await logOf(a.id), []);
      // Nothing younger than the retention is touched.
      const now = await createRetention({ store: t.core.store, repo, settings: t.config, logger: t.core.logger }).runOnce();
      assert.equal(now.events, 0);
    });
  });
}
