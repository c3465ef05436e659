/**
 * Bad input on the native API: always a 4xx in the error envelope, and nothing stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUnpacedInstance, startTestApp, type TestApp } from '../../support/app.js';

describe('bad input', () => {
  let t: TestApp;
  let A: Awaited<ReturnType<typeof createUnpacedInstance>>;

  before(async () => {
    t = await startTestApp({ config: { bodyLimitBytes: 512 * 1024 } });
    A = await createUnpacedInstance(t);
  });
  after(() => t.close());

  const snapshot = async () => {
    const db = t.core.database.db;
    return JSON.stringify([
      await db.selectFrom('instances').select(['id', 'name', 'status']).orderBy('id').execute(),
      await db.selectFrom('groups').select(['group_id', 'subject']).orderBy('group_id').execute(),
      await db.selectFrom('api_keys').select('id').orderBy('id').execute(),
    ]);
  };

  const expect4xx = async (opts: Parameters<TestApp['request']>[0], status?: number, code?: string) => {
    const res = await t.request(opts);
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${opts.method} ${opts.url} -> ${res.statusCode} ${res.body}`);
    if (status) assert.equal(res.statusCode, status, res.body);
    const body = res.json();
    assert.equal(typeof body.error.code, 'string');
    assert.equal(typeof body.error.message, 'string');
    assert.match(body.requestId, /^req-/);
    if (code) assert.equal(body.error.code, code);
    return body;
  };

  it('wrong types, unknown fields and missing fields are 400 validation_failed', async () => {
    const before = await snapshot();
    await expect4xx({ method: 'POST', url: '/api/instances', payload: { engine: 7 } }, 400, 'validation_failed');
    await expect4xx({ method: 'POST', url: '/api/instances', payload: { engine: 'sandbox', surprise: true } }, 400, 'validation_failed');
    await expect4xx({ method: 'POST', url: `/api/instances/${A.id}/groups`, payload: { name: 'x' } }, 400, 'validation_failed');
    await expect4xx({ method: 'POST', url: `/api/instances/${A.id}/groups`, payload: { name: ['x'], participants: '+15550001111' } }, 400, 'validation_failed');
    await expect4xx({ method: 'POST', url: `/api/instances/${A.id}/groups`, payload: { name: 'x', participants: [{ $ne: null }] } }, 400, 'validation_failed');
    await expect4xx({ method: 'POST', url: '/api/keys', payload: { name: '' } }, 400, 'validation_failed');
    await expect4xx({ method: 'POST', url: '/api/keys', payload: [] }, 400, 'validation_failed');
    assert.equal(await snapshot(), before);
  });

  it('malformed JSON, wrong content types and empty bodies are 4xx', async () => {
    const before = await snapshot();
    await expect4xx({ method: 'POST', url: '/api/instances', payload: '{"engine": "sandbox",', headers: { 'content-type': 'application/json' } }, 400, 'validation_failed');
    await expect4xx({ method: 'POST', url: '/api/instances', payload: '', headers: { 'content-type': 'application/json' } }, 400);
    await expect4xx(
      { method: 'POST', url: '/api/instances', payload: 'engine=sandbox', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      415,
      'unsupported_media_type',
    );
    await expect4xx({ method: 'POST', url: '/api/instances', payload: '<x/>', headers: { 'content-type': 'text/xml' } }, 415);
    assert.equal(await snapshot(), before);
  });

  it('a 1 MB body is 413 payload_too_large', async () => {
    const before = await snapshot();
    const huge = JSON.stringify({ name: 'x'.repeat(1024 * 1024), engine: 'sandbox' });
    await expect4xx({ method: 'POST', url: '/api/instances', payload: huge, headers: { 'content-type': 'application/json' } }, 413, 'payload_too_large');
    assert.equal(await snapshot(), before);
  });

  it('unicode names are accepted as text, not mangled', async () => {
    const name = 'Grupo ☕ 日本語 ‮rtl‬ 👩‍👩‍👧';
    const res = await t.request({ method: 'POST', url: `/api/instances/${A.id}/groups`, payload: { name, participants: ['+5511999990123'] } });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json().name, name);
  });

  it('ids with ../, SQL fragments and junk are refused without touching anything', async () => {
    const before = await snapshot();
    for (const id of ['..%2F..%2Fetc%2Fpasswd', "x'%20OR%201=1--", '%00', 'DROP%20TABLE%20instances']) {
      const body = await expect4xx({ method: 'GET', url: `/api/instances/${id}` });
      assert.ok(['instance_not_found', 'not_found', 'validation_failed'].includes(body.error.code), body.error.code);
      await expect4xx({ method: 'GET', url: `/api/instances/${A.id}/groups/${id}` });
    }
    await expect4xx({ method: 'GET', url: `/api/instances/${A.id}/groups/120363000000000000@g.us' OR '1'='1` });
    assert.equal(await snapshot(), before);
  });

  it('over-long URL parameters and broken percent-escapes come back in the envelope', async () => {
    const long = await expect4xx({ method: 'GET', url: `/api/instances/${'a'.repeat(5000)}` });
    assert.equal(long.error.code, 'not_found');
    const bad = await expect4xx({ method: 'GET', url: '/api/instances/%E0%A4%A' });
    assert.ok(['not_found', 'validation_failed'].includes(bad.error.code));
    await expect4xx({ method: 'GET', url: '/api/instances/%' });
    await expect4xx({ method: 'GET', url: '/nowhere' }, 404, 'not_found');
  });

  it('bad query values are 400, never 500', async () => {
    await expect4xx({ method: 'GET', url: `/api/instances/${A.id}/groups?limit=abc` }, 400, 'validation_failed');
    await expect4xx({ method: 'GET', url: `/api/instances/${A.id}/groups?limit=-1` }, 400, 'validation_failed');
    await expect4xx({ method: 'GET', url: `/api/instances/${A.id}/groups?offset=1e309` }, 400);
  });

  it('the server is still healthy afterwards', async () => {
    assert.equal((await t.request({ method: 'GET', url: '/healthz', key: null })).statusCode, 200);
    assert.equal((await t.request({ method: 'GET', url: `/api/instances/${A.id}` })).statusCode, 200);
  });
});
