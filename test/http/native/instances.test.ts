/**
 * Instances: life cycle through the native API, persistence across a restart, on SQLite and
 * PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { createSandboxInstance, databaseKinds, startTestApp } from '../../support/app.js';

for (const db of await databaseKinds()) {
  describe(`instances on ${db}`, () => {
    it('a sandbox instance is created connected, with a 10-digit idInstance, its phone and a token shown once', async () => {
      const t = await startTestApp({ db });
      try {
        const res = await t.request({ method: 'POST', url: '/api/instances', payload: { name: 'Ventas 🇧🇷 São Paulo', engine: 'sandbox', phone: '+5511999990000' } });
        assert.equal(res.statusCode, 201);
        const body = res.json();
        assert.match(body.id, /^[a-z0-9]{10}$/);
        assert.match(body.idInstance, /^[1-9]\d{9}$/);
        assert.equal(body.name, 'Ventas 🇧🇷 São Paulo');
        assert.equal(body.engine, 'sandbox');
        assert.equal(body.status, 'connected');
        assert.equal(body.statusReason, 'connected');
        assert.equal(body.phone, '5511999990000');
        assert.match(body.token, /^ggi_[A-Za-z0-9_-]{32}$/);
        assert.ok(!Number.isNaN(Date.parse(body.createdAt)));
        const got = (await t.request({ method: 'GET', url: `/api/instances/${body.id}` })).json();
        const { token: _token, ...withoutToken } = body;
        assert.deepEqual(got, withoutToken);
        const dup = await t.request({ method: 'POST', url: '/api/instances', payload: { engine: 'sandbox', phone: '5511999990000' } });
        assert.equal(dup.statusCode, 409);
        assert.equal(dup.json().error.code, 'phone_in_use');
      } finally {
        await t.close();
      }
    });

    it('instances, keys and sandbox state survive a restart', async () => {
      let t = await startTestApp({ db });
      try {
        const a = await createSandboxInstance(t);
        const b = await createSandboxInstance(t);
        const key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'k', instances: [a.id] } })).json().key;
        await t.request({ method: 'PUT', url: '/api/sandbox/accounts/+5511988887777', payload: { registered: true, groupAddPrivacy: 'nobody' } });
        const g = (await t.request({ method: 'POST', url: `/api/instances/${a.id}/groups`, payload: { name: 'Persisted', participants: [`+${b.phone}`] } })).json();
        t = await t.restart();
        const list = (await t.request({ method: 'GET', url: '/api/instances' })).json().instances;
        assert.deepEqual(list.map((i: { id: string }) => i.id).sort(), [a.id, b.id].sort());
        assert.ok(list.every((i: { status: string }) => i.status === 'connected'));
        assert.equal((await t.request({ method: 'GET', url: `/api/instances/${a.id}`, key })).statusCode, 200);
        assert.equal((await t.request({ method: 'GET', url: `/api/instances/${a.id}`, key: a.token })).statusCode, 200);
        const account = (await t.request({ method: 'GET', url: '/api/sandbox/accounts/+5511988887777' })).json();
        assert.equal(account.groupAddPrivacy, 'nobody');
        // The emulator kept the group: B can still act in it after the restart.
        const rename = await t.request({
          method: 'POST',
          url: `/api/instances/${a.id}/groups/${encodeURIComponent(g.id)}/participants/promote`,
          payload: { participants: [`+${b.phone}`] },
        });
        assert.equal(rename.statusCode, 200);
        assert.equal(rename.json().outcomes[0].status, 'promoted');
        const readyz = await t.request({ method: 'GET', url: '/readyz', key: null });
        assert.equal(readyz.statusCode, 200);
      } finally {
        await t.close();
      }
    });

    it('restart, logout and delete', async () => {
      const t = await startTestApp({ db });
      try {
        const a = await createSandboxInstance(t);
        const b = await createSandboxInstance(t);
        const g = (await t.request({ method: 'POST', url: `/api/instances/${a.id}/groups`, payload: { name: 'Kept', participants: [`+${b.phone}`] } })).json();
        const restarted = await t.request({ method: 'POST', url: `/api/instances/${b.id}/restart` });
        assert.equal(restarted.statusCode, 200);
        assert.equal(restarted.json().status, 'connected');
        const loggedOut = await t.request({ method: 'POST', url: `/api/instances/${b.id}/logout` });
        assert.equal(loggedOut.json().status, 'logged_out');
        const refused = await t.request({ method: 'GET', url: `/api/instances/${b.id}/groups/join-info?code=AbCdEfGhIjKlMnOpQrStUv` });
        assert.equal(refused.statusCode, 409);
        assert.equal(refused.json().error.code, 'instance_not_connected');
        // Give B state in every feature: an operation, a provider webhook, Green API queue state.
        await t.request({ method: 'POST', url: `/api/instances/${b.id}/restart` });
        const own = await t.request({ method: 'POST', url: `/api/instances/${b.id}/groups`, payload: { name: 'B own', participants: [`+${a.phone}`] } });
        assert.equal(own.statusCode, 201, own.body);
        const hook = await t.request({
          method: 'PUT',
          url: `/instances/${b.id}/token/${b.token}/update-webhook-received`,
          payload: { value: 'http://127.0.0.1:9/hook' },
          key: null,
        });
        assert.equal(hook.statusCode, 200, hook.body);
        // Green API notifications are off on a new instance: switch one on so the queue has a row.
        await t.request({ method: 'POST', url: `/waInstance${b.idInstance}/setSettings/${b.token}`, payload: { stateWebhook: 'yes' }, key: null });
        const note = await t.request({ method: 'GET', url: `/waInstance${b.idInstance}/receiveNotification/${b.token}`, key: null });
        assert.equal(note.statusCode, 200);
        await t.request({ method: 'DELETE', url: `/waInstance${b.idInstance}/deleteNotification/${b.token}/${note.json().receiptId}`, key: null });
        // Delete: the instance, its store, its events and its token are gone ...
        const del = await t.request({ method: 'DELETE', url: `/api/instances/${b.id}` });
        assert.equal(del.statusCode, 204);
        assert.equal((await t.request({ method: 'GET', url: `/api/instances/${b.id}` })).statusCode, 404);
        assert.equal((await t.request({ method: 'GET', url: `/api/instances/${b.id}`, key: b.token })).statusCode, 401);
        // Every table that keys rows by instance holds nothing of it any more.
        const db_ = t.core.database.db;
        // Listed from this database's own catalog only (other tests create and drop schemas meanwhile).
        const listed =
          t.core.database.kind === 'sqlite'
            ? await sql<{ name: string }>`select m.name as name from sqlite_master m, pragma_table_info(m.name) p where m.type = 'table' and p.name = 'instance_id'`.execute(db_)
            : await sql<{
                name: string;
              }>`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_attribute a on a.attrelid = c.oid where n.nspname = current_schema() and c.relkind = 'r' and a.attname = 'instance_id' and not a.attisdropped`.execute(
                db_,
              );
        const tables = listed.rows.map((r) => r.name);
        assert.ok(tables.length >= 8, tables.join(','));
        for (const table of tables) {
          const rows = await (db_ as any).selectFrom(table).selectAll().where('instance_id', '=', b.id).execute();
          assert.equal(rows.length, 0, table);
        }
        const subs = await db_.selectFrom('webhook_subscriptions').selectAll().execute();
        assert.equal(subs.length, 0, 'the provider subscription of the deleted instance is gone');
        // ... while in the sandbox the number stays a member, as when a device unlinks on WhatsApp.
        const group = (await t.request({ method: 'GET', url: `/api/instances/${a.id}/groups/${encodeURIComponent(g.id)}` })).json();
        assert.ok(group.participants.some((p: { phone: string }) => p.phone === `+${b.phone}`));
      } finally {
        await t.close();
      }
    });
  });
}

describe('instance input', () => {
  it('an unknown engine is 400 and stores nothing; the baileys engine answers per its availability', async () => {
    const t = await startTestApp();
    try {
      const bad = await t.request({ method: 'POST', url: '/api/instances', payload: { engine: 'whatsmeow' } });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.code, 'validation_failed');
      const bad2 = await t.request({ method: 'POST', url: '/api/instances', payload: { engine: 'sandbox', phone: 'not a phone' } });
      assert.equal(bad2.statusCode, 400);
      assert.equal((await t.core.store.instances.list()).length, 0);
    } finally {
      await t.close();
    }
  });
});
