/**
 * Access control: admin key, API keys (admin and scoped), instance tokens, refusals, rotation,
 * and secrets kept out of responses and logs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, createSandboxInstance, startTestApp, type TestApp } from '../../support/app.js';

describe('access control', () => {
  let t: TestApp;
  let a: Awaited<ReturnType<typeof createSandboxInstance>>;
  let b: Awaited<ReturnType<typeof createSandboxInstance>>;

  before(async () => {
    t = await startTestApp({ config: { authFailureLimitPerMinute: 1000 } });
    a = await createSandboxInstance(t, { name: 'A' });
    b = await createSandboxInstance(t, { name: 'B' });
  });
  after(() => t.close());

  describe('refusals', () => {
    it('no key -> 401 unauthorized in the error envelope', async () => {
      const res = await t.request({ method: 'GET', url: '/api/instances', key: null });
      assert.equal(res.statusCode, 401);
      const body = res.json();
      assert.equal(body.error.code, 'unauthorized');
      assert.match(body.requestId, /^req-/);
      assert.equal(res.headers['x-request-id'], body.requestId);
    });

    it('a wrong key -> 401', async () => {
      const res = await t.request({ method: 'GET', url: '/api/instances', key: 'gg_not-a-real-key' });
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error.code, 'unauthorized');
    });

    it('a wrong key is refused before the body is even validated', async () => {
      const res = await t.request({ method: 'POST', url: '/api/instances', key: 'nope', payload: { engine: 42 } });
      assert.equal(res.statusCode, 401);
    });

    it('accepts X-Api-Key as well as Bearer', async () => {
      const res = await t.request({ method: 'GET', url: '/api/instances', headers: { 'x-api-key': ADMIN_KEY } });
      assert.equal(res.statusCode, 200);
    });
  });

  describe('scoped keys and instance tokens', () => {
    it('a key scoped to A sees A only; B answers 404 as if it did not exist', async () => {
      const created = await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'only A', instances: [a.id] } });
      assert.equal(created.statusCode, 201);
      const key = created.json().key as string;
      assert.deepEqual(created.json().instances, [a.id]);
      const list = await t.request({ method: 'GET', url: '/api/instances', key });
      assert.deepEqual(
        list.json().instances.map((i: { id: string }) => i.id),
        [a.id],
      );
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${a.id}`, key })).statusCode, 200);
      const other = await t.request({ method: 'GET', url: `/api/instances/${b.id}`, key });
      assert.equal(other.statusCode, 404);
      assert.equal(other.json().error.code, 'instance_not_found');
      const missing = await t.request({ method: 'GET', url: `/api/instances/doesnotexist`, key });
      assert.deepEqual(Object.keys(other.json().error), Object.keys(missing.json().error));
      for (const url of [`/api/instances/${b.id}/groups`, `/api/instances/${b.id}/events`]) {
        assert.equal((await t.request({ method: 'GET', url, key })).statusCode, 404, url);
      }
      const post = await t.request({ method: 'POST', url: `/api/instances/${b.id}/groups`, key, payload: { name: 'x', participants: ['+15550009999'] } });
      assert.equal(post.statusCode, 404);
    });

    it('a scoped key cannot create instances or manage keys (403)', async () => {
      const key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'scoped', instances: [a.id] } })).json().key;
      const create = await t.request({ method: 'POST', url: '/api/instances', key, payload: { engine: 'sandbox' } });
      assert.equal(create.statusCode, 403);
      assert.equal(create.json().error.code, 'forbidden');
      assert.equal((await t.request({ method: 'GET', url: '/api/keys', key })).statusCode, 403);
      assert.equal(
        (await t.request({ method: 'PUT', url: '/api/sandbox/accounts/+15550001234', key, payload: { registered: true, groupAddPrivacy: 'everyone' } })).statusCode,
        403,
      );
    });

    it("an instance token works on its instance only; another instance's token answers 404", async () => {
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${a.id}`, key: a.token })).statusCode, 200);
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${b.id}`, key: a.token })).statusCode, 404);
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${a.id}`, key: b.token })).statusCode, 404);
      const list = await t.request({ method: 'GET', url: '/api/instances', key: a.token });
      assert.deepEqual(
        list.json().instances.map((i: { id: string }) => i.id),
        [a.id],
      );
    });

    it('a key for an unknown instance cannot be created (404)', async () => {
      const res = await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'bad', instances: ['nope'] } });
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().error.code, 'instance_not_found');
    });
  });

  describe('rotation and deletion', () => {
    it('rotating a key invalidates the old secret at once', async () => {
      const created = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'rot' } })).json();
      assert.equal((await t.request({ method: 'GET', url: '/api/instances', key: created.key })).statusCode, 200);
      const rotated = await t.request({ method: 'POST', url: `/api/keys/${created.id}/rotate` });
      assert.equal(rotated.statusCode, 200);
      assert.notEqual(rotated.json().key, created.key);
      assert.equal((await t.request({ method: 'GET', url: '/api/instances', key: created.key })).statusCode, 401);
      assert.equal((await t.request({ method: 'GET', url: '/api/instances', key: rotated.json().key })).statusCode, 200);
      assert.equal((await t.request({ method: 'DELETE', url: `/api/keys/${created.id}` })).statusCode, 204);
      assert.equal((await t.request({ method: 'GET', url: '/api/instances', key: rotated.json().key })).statusCode, 401);
      assert.equal((await t.request({ method: 'DELETE', url: `/api/keys/${created.id}` })).json().error.code, 'key_not_found');
    });

    it('rotating an instance token invalidates the old one at once', async () => {
      const inst = await createSandboxInstance(t);
      // Used once first, so the rotation must also drop a remembered lookup.
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${inst.id}`, key: inst.token })).statusCode, 200);
      const rotated = await t.request({ method: 'POST', url: `/api/instances/${inst.id}/token/rotate` });
      assert.equal(rotated.statusCode, 200);
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${inst.id}`, key: inst.token })).statusCode, 401);
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${inst.id}`, key: rotated.json().token })).statusCode, 200);
    });
  });

  describe('secrets', () => {
    it('keys and tokens are stored hashed and listed without secrets', async () => {
      const created = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'listed' } })).json();
      const list = await t.request({ method: 'GET', url: '/api/keys' });
      assert.ok(!list.body.includes(created.key));
      const listed = list.json().keys as Record<string, unknown>[];
      assert.ok(listed.length > 0 && listed.every((k) => !('key' in k) && !('keyHash' in k)), 'keys are listed, none with its secret or hash');
      const stored = await t.core.database.db.selectFrom('api_keys').selectAll().execute();
      assert.ok(stored.length > 0 && stored.every((row) => !JSON.stringify(row).includes(created.key)), 'no stored key row holds a key in clear');
      assert.ok(stored.every((row) => /^[0-9a-f]{64}$/.test(row.key_hash)));
      const instances = await t.core.database.db.selectFrom('instances').select('token_hash').execute();
      assert.ok(instances.length > 0 && instances.every((row) => /^[0-9a-f]{64}$/.test(row.token_hash)), 'instance tokens are stored as SHA-256 hex');
      const one = await t.request({ method: 'GET', url: `/api/instances/${a.id}` });
      assert.ok(!('token' in one.json()));
      assert.ok(!one.body.includes(a.token));
    });

    it('no key or token appears in any log line', () => {
      const all = t.logs.join('\n');
      assert.ok(t.logs.length > 10, 'requests were logged');
      for (const secret of [ADMIN_KEY, a.token, b.token]) assert.ok(!all.includes(secret), 'a secret leaked into the log');
      assert.ok(!/gg_[A-Za-z0-9_-]{20,}/.test(all) && !/ggi_[A-Za-z0-9_-]{20,}/.test(all));
    });
  });
});

describe('repeated authentication failures', () => {
  it('are slowed down per address with 429 and Retry-After, and never lock out a valid key', async () => {
    const t = await startTestApp({ config: { authFailureLimitPerMinute: 5 } });
    try {
      const inst = (await t.request({ method: 'POST', url: '/api/instances', payload: { engine: 'sandbox' } })).json();
      for (let i = 0; i < 5; i++) assert.equal((await t.request({ method: 'GET', url: '/api/instances', key: `bad-${i}` })).statusCode, 401);
      const blocked = await t.request({ method: 'GET', url: '/api/instances', key: 'bad-again' });
      assert.equal(blocked.statusCode, 429);
      assert.equal(blocked.json().error.code, 'too_many_auth_failures');
      assert.ok(Number(blocked.headers['retry-after']) > 0);
      assert.equal((await t.request({ method: 'GET', url: '/api/instances', key: null })).statusCode, 429, 'a missing key counts too');
      // The admin key and an instance token from the same address still work.
      assert.equal((await t.request({ method: 'GET', url: '/api/instances' })).statusCode, 200);
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${inst.id}`, key: inst.token })).statusCode, 200);
      assert.equal((await t.request({ method: 'GET', url: '/metrics' })).statusCode, 200);
      const green = await t.request({ method: 'GET', url: `/waInstance${inst.idInstance}/getStateInstance/${inst.token}`, key: null });
      assert.equal(green.statusCode, 200, green.body);
      // A wrong token on a dialect path from the blocked address is answered 429 too.
      assert.equal((await t.request({ method: 'GET', url: `/waInstance${inst.idInstance}/getStateInstance/ggi_wrong`, key: null })).statusCode, 429);
    } finally {
      await t.close();
    }
  });

  it('count /metrics failures', async () => {
    const t = await startTestApp({ config: { authFailureLimitPerMinute: 3 } });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await t.request({ method: 'GET', url: '/metrics', key: `bad-${i}` })).statusCode, 401);
      const blocked = await t.request({ method: 'GET', url: '/metrics', key: 'bad-again' });
      assert.equal(blocked.statusCode, 429);
      assert.equal(blocked.json().error.code, 'too_many_auth_failures');
      assert.equal((await t.request({ method: 'GET', url: '/metrics' })).statusCode, 200);
    } finally {
      await t.close();
    }
  });

  it('behind a trusted proxy (GROUPGATE_TRUST_PROXY) are counted per real client address', async () => {
    const t = await startTestApp({ config: { authFailureLimitPerMinute: 3, trustProxy: '127.0.0.1' } });
    try {
      const from = (ip: string, key: string | null) => t.request({ method: 'GET', url: '/api/instances', key, headers: { 'x-forwarded-for': ip }, remoteAddress: '127.0.0.1' });
      for (let i = 0; i < 3; i++) assert.equal((await from('203.0.113.7', `bad-${i}`)).statusCode, 401);
      assert.equal((await from('203.0.113.7', 'bad')).statusCode, 429);
      assert.equal((await from('198.51.100.9', 'bad')).statusCode, 401, 'another client behind the same proxy is not blocked');
      const logged = t.logs.join('\n');
      assert.ok(logged.includes('203.0.113.7'), 'the real client address is what the log shows');
    } finally {
      await t.close();
    }
  });
});
