/** Webhooks: SSRF refusals, scoped-key isolation, and authentication. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config.js';
import { createSandboxInstance, databaseKinds, startTestApp, type TestApp } from '../../support/app.js';
import { startReceiver, type Receiver } from '../../support/fixtures/webhook-receiver.js';

const kinds = await databaseKinds();

for (const db of kinds) {
  describe(`webhook safety and isolation (${db})`, () => {
    let t: TestApp;
    let rx: Receiver;
    before(async () => {
      t = await startTestApp({ db, config: { webhookRetryBaseMs: 20 } });
      rx = await startReceiver();
    });
    after(async () => {
      await t.close();
      await rx.close();
    });

    it('refuses cloud metadata, link-local, non-http and credentialed URLs with 422 webhook_url_refused', async () => {
      for (const url of [
        'http://169.254.169.254/latest/meta-data/',
        'http://[fe80::1]/hook',
        'http://[::ffff:169.254.169.254]/x',
        'http://metadata.google.internal/computeMetadata/v1/',
        'ftp://example.com/hook',
        'http://user:pass@example.com/hook',
        'not a url',
      ]) {
        const res = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url } });
        assert.equal(res.statusCode, 422, `${url}: ${res.body}`);
        assert.equal(res.json().error.code, 'webhook_url_refused');
      }
      const patch = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: rx.url } });
      const changed = await t.request({ method: 'PATCH', url: `/api/webhooks/${patch.json().id}`, payload: { url: 'http://169.254.169.254/' } });
      assert.equal(changed.statusCode, 422);
      await t.request({ method: 'DELETE', url: `/api/webhooks/${patch.json().id}` });
    });

    it('validates event filters, formats and secrets', async () => {
      const bad = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: rx.url, events: ['group.nonsense'] } });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.code, 'validation_failed');
      const fmt = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: rx.url, format: 'xml' } });
      assert.equal(fmt.statusCode, 400);
      const secret = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: rx.url, secret: 'plain-text-secret' } });
      assert.equal(secret.statusCode, 400);
      const own = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
      const ok = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: rx.url, secret: own, events: ['group.*'], enabled: false } });
      assert.equal(ok.statusCode, 201);
      assert.equal(ok.json().secret, own);
      assert.deepEqual(ok.json().events, ['group.*']);
      assert.equal(ok.json().enabled, false);
      assert.equal(ok.json().instances, null, 'an admin subscription without instances covers every instance');
      await t.request({ method: 'DELETE', url: `/api/webhooks/${ok.json().id}` });
    });

    it('a scoped key sees and changes only subscriptions of its own instances', async () => {
      const a = await createSandboxInstance(t);
      const b = await createSandboxInstance(t);
      const key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'a only', instances: [a.id] } })).json().key as string;
      const adminSub = (await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: rx.url, instances: [b.id] } })).json();
      const everySub = (await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: rx.url, instances: null } })).json();

      const mine = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: rx.url }, key });
      assert.equal(mine.statusCode, 201, mine.body);
      assert.deepEqual(mine.json().instances, [a.id], 'defaults to the instances the key may see');

      const list = await t.request({ method: 'GET', url: '/api/webhooks', key });
      assert.deepEqual(
        list.json().webhooks.map((w: { id: string }) => w.id),
        [mine.json().id],
      );
      for (const id of [adminSub.id, everySub.id]) {
        for (const [method, url] of [
          ['GET', `/api/webhooks/${id}`],
          ['DELETE', `/api/webhooks/${id}`],
          ['GET', `/api/webhooks/${id}/deliveries`],
          ['POST', `/api/webhooks/${id}/test`],
          ['GET', `/api/webhooks/${id}/lag`],
        ] as const) {
          const res = await t.request({ method, url, key });
          assert.equal(res.statusCode, 404, `${method} ${url}`);
          assert.equal(res.json().error.code, 'webhook_not_found');
        }
        const patch = await t.request({ method: 'PATCH', url: `/api/webhooks/${id}`, payload: { enabled: false }, key });
        assert.equal(patch.statusCode, 404);
      }
      const other = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: rx.url, instances: [b.id] }, key });
      assert.equal(other.statusCode, 404);
      assert.equal(other.json().error.code, 'instance_not_found');
      const all = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: rx.url, instances: null }, key });
      assert.equal(all.statusCode, 403);
      const widen = await t.request({ method: 'PATCH', url: `/api/webhooks/${mine.json().id}`, payload: { instances: [a.id, b.id] }, key });
      assert.equal(widen.statusCode, 404);

      // The admin sees all three; its own subscriptions are untouched.
      const adminList = (await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks.map((w: { id: string }) => w.id);
      for (const id of [adminSub.id, everySub.id, mine.json().id]) assert.ok(adminList.includes(id));
      for (const id of [adminSub.id, everySub.id, mine.json().id]) await t.request({ method: 'DELETE', url: `/api/webhooks/${id}` });
    });

    it('needs a key', async () => {
      for (const [method, url] of [
        ['GET', '/api/webhooks'],
        ['POST', '/api/webhooks'],
        ['GET', '/api/events/stream'],
      ] as const) {
        const res = await t.request({ method, url, key: null, payload: method === 'POST' ? { url: rx.url } : undefined });
        assert.equal(res.statusCode, 401, `${method} ${url}`);
        const wrong = await t.request({ method, url, key: 'gg_wrong_key_0123456789', payload: method === 'POST' ? { url: rx.url } : undefined });
        assert.equal(wrong.statusCode, 401);
      }
    });
  });
}

describe('webhooks on a server that may not call private addresses', () => {
  it('is the default, whatever the bind address', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '0.0.0.0']) assert.equal(loadConfig({ GROUPGATE_HOST: host }).webhookAllowPrivate, false, host);
    assert.equal(loadConfig({ GROUPGATE_WEBHOOK_ALLOW_PRIVATE: 'true' }).webhookAllowPrivate, true);
  });

  it('refuses loopback and private receivers, literal or named', async () => {
    const t = await startTestApp({ config: { webhookAllowPrivate: false } });
    try {
      for (const url of ['http://127.0.0.1:9/hook', 'http://localhost:9/hook', 'http://10.1.2.3/hook', 'http://[::1]/hook', 'http://192.168.1.1/']) {
        const res = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url } });
        assert.equal(res.statusCode, 422, url);
        assert.equal(res.json().error.code, 'webhook_url_refused');
      }
      for (const url of [
        'http://[64:ff9b:1::7f00:1]/',
        'http://[2002:7f00:1::1]/',
        'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/',
        'http://168.63.129.16/',
        'http://192.0.0.192/',
      ]) {
        const res = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url } });
        assert.equal(res.statusCode, 422, url);
      }
      const ok = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: 'https://hooks.example.com/in' } });
      assert.equal(ok.statusCode, 201);
      // The test ping respects enabled: a disabled subscription sends nothing.
      const id = ok.json().id as string;
      assert.equal((await t.request({ method: 'PATCH', url: `/api/webhooks/${id}`, payload: { enabled: false } })).statusCode, 200);
      const ping = await t.request({ method: 'POST', url: `/api/webhooks/${id}/test` });
      assert.equal(ping.statusCode, 409);
      assert.equal(ping.json().error.code, 'conflict');
    } finally {
      await t.close();
    }
  });
});
