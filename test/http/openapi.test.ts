/**
 * The OpenAPI document is the native API's contract: generated from the route schemas, with a
 * description and an example on every field, and browsable at /docs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';

type Schema = Record<string, any>;

/** Every field under the native API's requests and responses that lacks a description or an example. */
function undocumented(doc: Schema): string[] {
  const components: Record<string, Schema> = doc.components?.schemas ?? {};
  const deref = (s: Schema) => (s?.$ref ? components[String(s.$ref).split('/').pop()!] : s);
  const missing: string[] = [];
  const seen = new Set<Schema>();
  const walk = (node: Schema | undefined, path: string) => {
    const s = deref(node ?? {});
    if (!s || typeof s !== 'object' || seen.has(s)) return;
    seen.add(s);
    for (const [name, raw] of Object.entries<Schema>(s.properties ?? {})) {
      const field = deref(raw);
      const container = field?.type === 'object' || field?.type === 'array' || !!field?.properties || !!field?.allOf;
      const described = !!(raw.description || field?.description);
      const exemplified = container || !!(raw.examples || field?.examples || raw.example !== undefined || field?.example !== undefined);
      if (!described) missing.push(`${path}.${name}: no description`);
      if (!exemplified) missing.push(`${path}.${name}: no example`);
      walk(field, `${path}.${name}`);
      if (field?.items) walk(field.items, `${path}.${name}[]`);
    }
    for (const key of ['allOf', 'anyOf', 'oneOf']) for (const [i, sub] of (s[key] ?? []).entries()) walk(sub, `${path}<${i}>`);
  };
  for (const [route, operations] of Object.entries<Schema>(doc.paths ?? {})) {
    if (!route.startsWith('/api/')) continue;
    for (const [method, op] of Object.entries<Schema>(operations)) {
      const where = `${method.toUpperCase()} ${route}`;
      for (const p of op.parameters ?? []) if (!p.description && !p.schema?.description) missing.push(`${where} parameter ${p.name}: no description`);
      walk(op.requestBody?.content?.['application/json']?.schema, `${where} body`);
      for (const [status, response] of Object.entries<Schema>(op.responses ?? {})) walk(response.content?.['application/json']?.schema, `${where} ${status}`);
    }
  }
  return missing;
}

describe('OpenAPI', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('serves OpenAPI 3 with every native route', async () => {
    const res = await t.request({ method: 'GET', url: '/openapi.json', key: null });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.match(doc.openapi, /^3\./);
    for (const route of [
      '/api/instances',
      '/api/instances/{id}/groups',
      '/api/instances/{id}/groups/{groupId}/participants',
      '/api/instances/{id}/groups/join',
      '/api/instances/{id}/events',
    ]) {
      assert.ok(doc.paths[route], `${route} is documented`);
    }
  });

  it('gives every field of the native API a description and an example', async () => {
    const doc = (await t.request({ method: 'GET', url: '/openapi.json', key: null })).json();
    assert.deepEqual(undocumented(doc), []);
  });

  it('shows an error example that fits each status, and says which APIs the document covers', async () => {
    const doc = (await t.request({ method: 'GET', url: '/openapi.json', key: null })).json();
    assert.match(doc.info.description, /native API/);
    for (const dialect of ['Green API', 'Z-API', '2Chat']) assert.match(doc.info.description, new RegExp(dialect));
    const add = doc.paths['/api/instances/{id}/groups/{groupId}/participants'].post.responses;
    const example = (status: string) => add[status].content['application/json'].schema.properties.error.properties.code.example;
    assert.equal(example('401'), 'unauthorized');
    assert.equal(example('422'), 'invalid_participant');
    assert.equal(example('400'), 'validation_failed');
    assert.notEqual(add['404'].description, add['422'].description);
    // Group lists leave participants out (their size counts them).
    const list = doc.paths['/api/instances/{id}/groups'].get.responses['200'].content['application/json'].schema;
    const item = doc.components.schemas[String(list.properties.groups.items.$ref).split('/').pop()!];
    assert.equal(item.properties.participants, undefined);
    assert.ok(item.properties.size);
  });

  it('serves the docs UI at /docs', async () => {
    const res = await t.request({ method: 'GET', url: '/docs/', key: null });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /text\/html/);
  });
});
