/**
 * What a hostile request used to get wrong: requests that answered 500, secrets echoed in a 404 body
 * or written to the log from unexpected places in the URL, and the server's explicit limits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUrlRedactor } from '../../src/http/redact.js';
import { createSandboxInstance, databaseKinds, startTestApp, type TestApp } from '../support/app.js';

for (const db of await databaseKinds()) {
  describe(`hostile requests (${db})`, () => {
    let t: TestApp;
    let inst: Awaited<ReturnType<typeof createSandboxInstance>>;
    before(async () => {
      t = await startTestApp({ db });
      inst = await createSandboxInstance(t);
    });
    after(() => t.close());

    it('a double-encoded sandbox phone is 400, not 500 (GET and PUT)', async () => {
      for (const method of ['GET', 'PUT'] as const) {
        const res = await t.request({ method, url: '/api/sandbox/accounts/%25', ...(method === 'PUT' ? { payload: { registered: true } } : {}) });
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.json().error.code, 'validation_failed');
      }
      const ok = await t.request({ method: 'GET', url: `/api/sandbox/accounts/${encodeURIComponent('+15550000001')}` });
      assert.equal(ok.statusCode, 200);
    });

    it('huge offsets on the operations list are 400, not 500', async () => {
      for (const offset of ['1e308', '1e20', '9'.repeat(400)]) {
        const res = await t.request({ method: 'GET', url: `/api/instances/${inst.id}/operations?offset=${offset}` });
        assert.equal(res.statusCode, 400, `${offset}: ${res.body}`);
        assert.equal(res.json().error.code, 'validation_failed');
      }
    });

    it('a multipart body without a boundary is 400 on the picture routes (native and Green API)', async () => {
      const group = await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: { name: 'pictures', participants: ['+15550000002'] } });
      assert.equal(group.statusCode, 201, group.body);
      const gid = encodeURIComponent(group.json().id as string);
      const native = await t.request({ method: 'PUT', url: `/api/instances/${inst.id}/groups/${gid}/picture`, headers: { 'content-type': 'multipart/form-data' }, payload: 'abc' });
      assert.equal(native.statusCode, 400, native.body);
      assert.equal(native.json().error.code, 'validation_failed');
      const green = await t.request({
        method: 'POST',
        url: `/waInstance${inst.idInstance}/setGroupPicture/${inst.token}`,
        key: null,
        headers: { 'content-type': 'multipart/form-data' },
        payload: 'abc',
      });
      assert.ok(green.statusCode >= 400 && green.statusCode < 500, green.body);
    });

    it('a multipart body is 415 on a route that reads JSON, and changes nothing; the picture routes still read one', async () => {
      const before = await t.request({ method: 'GET', url: `/api/instances/${inst.id}/groups` });
      const boundary = 'x0123456789';
      const form = (name: string, value: string) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n--${boundary}--\r\n`;
      const create = await t.request({
        method: 'POST',
        url: `/api/instances/${inst.id}/groups`,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: form('name', 'from a form'),
      });
      assert.equal(create.statusCode, 415, create.body);
      assert.equal(create.json().error.code, 'unsupported_media_type');
      const after = await t.request({ method: 'GET', url: `/api/instances/${inst.id}/groups` });
      assert.equal(after.json().total, before.json().total);
      // The picture route takes the multipart body and reads its parts: a form without a file is named as such.
      assert.equal((await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { enabled: false } })).statusCode, 200);
      const group = await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: { name: 'pictures 2', participants: ['+15550000002'] } });
      assert.equal(group.statusCode, 201, group.body);
      const gid = encodeURIComponent(group.json().id as string);
      const picture = await t.request({
        method: 'PUT',
        url: `/api/instances/${inst.id}/groups/${gid}/picture`,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: form('note', 'no file here'),
      });
      assert.equal(picture.statusCode, 400, picture.body);
      assert.match(picture.json().error.message, /multipart file/);
    });

    it('a 404 does not echo the path, and no secret-shaped value reaches the log wherever it is in the URL', async () => {
      const secret = inst.token;
      const res = await t.request({ method: 'GET', url: `/nosuch/${secret}` });
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().error.code, 'not_found');
      assert.ok(!res.body.includes(secret) && !res.body.includes('nosuch'), res.body);
      await t.request({ method: 'GET', url: `/api/instances?access_token=${secret}&x=${encodeURIComponent(secret)}` });
      await t.request({ method: 'GET', url: `/zapi/instances/${inst.id}/token/${secret}/token/${secret}/groups` });
      await t.request({ method: 'GET', url: `/waInstance${inst.idInstance}/getStateInstance/${secret}/${secret}` });
      const logged = t.logs.join('\n');
      assert.ok(!logged.includes(secret), 'the instance token reached the log');
      assert.ok(!logged.includes(secret.slice(4)), 'part of the instance token reached the log');
    });
  });
}

describe('URL redaction', () => {
  const redact = createUrlRedactor([{ pattern: /(\/token\/)([^/?]+)/i, replacement: '$1[redacted]' }]);
  it('hides every path secret, secret-looking query values and known parameter names', () => {
    assert.equal(redact('/i/x/token/abc/token/def'), '/i/x/token/[redacted]/token/[redacted]');
    assert.equal(redact('/a?access_token=abc&b=1'), '/a?access_token=[redacted]&b=1');
    assert.equal(redact('/a?foo=ggi_abcdefghijklmnop&b=1'), '/a?foo=[redacted]&b=1');
    assert.equal(redact('/a/gg_abcdefghijklmnop/b'), '/a/[redacted]/b');
    assert.equal(redact('/a/x?s=whsec_abc%2Bdef'), '/a/x?s=[redacted]');
    assert.equal(redact('/api/instances?limit=5'), '/api/instances?limit=5');
  });
});

describe('server limits', () => {
  it('are explicit and configurable', async () => {
    const t = await startTestApp({ config: { headersTimeoutMs: 5000, requestTimeoutMs: 7000, keepAliveTimeoutMs: 3000, maxConnections: 12 } });
    try {
      const server = t.app.server as unknown as { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; maxConnections: number };
      assert.equal(server.headersTimeout, 5000);
      assert.equal(server.requestTimeout, 7000);
      assert.equal(server.keepAliveTimeout, 3000);
      assert.equal(server.maxConnections, 12);
    } finally {
      await t.close();
    }
  });
});
