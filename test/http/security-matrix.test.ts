/**
 * One security matrix over every route the app serves, read from the running app (so a new route is
 * covered without touching this file): for the native API and each provider dialect, a request with
 * no credentials, wrong credentials, another instance's token, and a key scoped to another instance
 * is refused in that dialect's way, never answered 2xx, and changes nothing of the victim instance.
 * Routes that are public by design are listed, explicitly, below.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { ADMIN_KEY, createUnpacedInstance, startTestApp, type TestApp } from '../support/app.js';
import { discoverRoutes, type Family, type RouteSpec } from '../support/fuzz/routes.js';

/** Public by design: probes, the OpenAPI document and its viewer, the dashboard's files, metrics. */
const PUBLIC = new Set([
  'GET /',
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /openapi.json',
  'GET /docs',
  'GET /docs*',
  'GET /docs/json',
  'GET /docs/yaml',
  'GET /docs/static/index.html',
  'GET /docs/static/swagger-initializer.js',
  'GET /dashboard',
  'GET /dashboard*',
]);

/** 2Chat reads of the key's own account: a scoped key gets its own scope, never the victim. */
const TWO_CHAT_OWN_LISTS = new Set(['/open/info', '/open/whatsapp/get-numbers', '/open/webhooks/', '/open/webhooks', '/open/webhooks/channel/:channel_uuid']);

/** Streams the caller's own events and stays open: covered for missing and wrong credentials only. */
const STREAMS = new Set(['GET /api/events/stream']);

/** At least this many routes per family are in the matrix (today's counts): a lost route family fails. */
const MIN_ROUTES: Record<Exclude<Family, 'other'>, number> = { native: 57, 'green-api': 31, 'z-api': 29, 'two-chat': 17, wappfy: 17 };

/** Wappfy's webhook list: a scoped key gets its own instances' subscriptions, never the victim's. */
const WAPPFY_OWN_LISTS = new Set(['/wappfy/api/webhooks', '/wappfy/api/webhooks/']);
/** Wappfy routes that name a webhook, not an instance: one the key may not see is not found (NOT_FOUND). */
const WAPPFY_WEBHOOK = /^\/wappfy\/api\/webhooks\/:id$/;

type Case = 'no credentials' | 'wrong credentials' | "another instance's token" | 'key scoped to another instance';
const CASES: Case[] = ['no credentials', 'wrong credentials', "another instance's token", 'key scoped to another instance'];

type Inst = Awaited<ReturnType<typeof createUnpacedInstance>>;

/** Wappfy's refusal: its envelope, with UNAUTHORIZED (401), or INSTANCE_NOT_FOUND (404, a key that may not see the instance; NOT_FOUND for a webhook of it). */
function wappfyRefusal(res: LightMyRequestResponse, c: Case, path: string): boolean {
  const body = res.json() as { success?: unknown; error?: { code?: unknown }; meta?: { requestId?: unknown } };
  const code = c === 'key scoped to another instance' ? (WAPPFY_WEBHOOK.test(path) ? 'NOT_FOUND' : 'INSTANCE_NOT_FOUND') : 'UNAUTHORIZED';
  return body.success === false && body.error?.code === code && typeof body.meta?.requestId === 'string';
}

describe('security matrix: every route of every dialect', () => {
  let t: TestApp;
  let victim: Inst;
  let attacker: Inst;
  let scopedKey: string;
  let victimKeyId: string;
  let victimSubscriptionId: string;
  let victimGroupId: string;
  let victimTwoChatUuid: string;
  let victimWappfyWebhookId: string;
  let routes: RouteSpec[];
  const covered = new Map<Family, number>();

  before(async () => {
    t = await startTestApp({ config: { authFailureLimitPerMinute: 1_000_000_000 } });
    victim = await createUnpacedInstance(t, { name: 'victim' });
    attacker = await createUnpacedInstance(t, { name: 'attacker' });
    scopedKey = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'attacker only', instances: [attacker.id] } })).json().key;
    victimKeyId = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'victim only', instances: [victim.id] } })).json().id;
    const sub = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: 'http://127.0.0.1:9/hook', instances: [victim.id], enabled: false } });
    assert.equal(sub.statusCode, 201, sub.body);
    victimSubscriptionId = sub.json().id;
    const group = await t.request({ method: 'POST', url: `/api/instances/${victim.id}/groups`, payload: { name: 'Victim group', participants: ['+15557770001'] } });
    assert.equal(group.statusCode, 201, group.body);
    victimGroupId = group.json().group?.id ?? group.json().id;
    const listed = await t.app.inject({ method: 'GET', url: `/open/whatsapp/groups/+${victim.phone}`, headers: { 'x-user-api-key': ADMIN_KEY } });
    assert.equal(listed.statusCode, 200, listed.body);
    victimTwoChatUuid = (listed.json() as { data: { uuid: string }[] }).data[0]!.uuid;
    const wappfyHook = await t.app.inject({
      method: 'POST',
      url: '/wappfy/api/webhooks',
      headers: { 'x-api-key': ADMIN_KEY },
      payload: { url: 'http://127.0.0.1:9/wappfy', events: ['group.joined'], instance_id: victim.id },
    });
    assert.equal(wappfyHook.statusCode, 201, wappfyHook.body);
    victimWappfyWebhookId = (wappfyHook.json() as { data: { id: string } }).data.id;
    const paused = await t.app.inject({
      method: 'PATCH',
      url: `/wappfy/api/webhooks/${victimWappfyWebhookId}`,
      headers: { 'x-api-key': ADMIN_KEY },
      payload: { is_active: false },
    });
    assert.equal(paused.statusCode, 200, paused.body);
    routes = await discoverRoutes(t.app);
  });
  after(() => t?.close());

  /** What a caller could change of the victim: its record, groups, events, operations, keys and webhooks. */
  async function victimState(): Promise<string> {
    const admin = (url: string) => t.request({ method: 'GET', url }).then((r) => r.body);
    const groups = await t.core.store.groups.list(victim.id, { limit: 1000, offset: 0 });
    return JSON.stringify({
      instance: await t.core.store.instances.get(victim.id),
      groups: await Promise.all(groups.items.map((g) => t.core.store.groups.get(victim.id, g.id))),
      lastSeq: await t.core.store.events.lastSeq(victim.id),
      operations: await admin(`/api/instances/${victim.id}/operations`),
      instances: await admin('/api/instances'),
      keys: await admin('/api/keys'),
      webhooks: await admin('/api/webhooks'),
      subscription: await admin(`/api/webhooks/${victimSubscriptionId}`),
      wappfyWebhooks: (await t.app.inject({ method: 'GET', url: '/wappfy/api/webhooks', headers: { 'x-api-key': ADMIN_KEY } })).json().data,
    });
  }

  /** The concrete URL of a route aimed at the victim, with the credentials of one case in the path when the dialect puts them there. */
  function urlFor(route: RouteSpec, creds: { instanceId?: string; token?: string }): string {
    const value = (name: string): string => {
      switch (name) {
        case 'id':
          if (route.path.startsWith('/api/keys/')) return victimKeyId;
          if (route.path.startsWith('/api/webhooks/')) return victimSubscriptionId;
          if (route.path.startsWith('/wappfy/api/webhooks/')) return victimWappfyWebhookId;
          return victim.id;
        case 'idInstance':
        case 'instanceId':
          // Wappfy addresses instances by groupgate's own id.
          if (route.family === 'wappfy') return victim.id;
          return creds.instanceId ?? victim.idInstance;
        case 'token':
          return creds.token ?? 'x';
        case 'groupId':
          return victimGroupId;
        case 'phone':
          return route.family === 'z-api' ? victimGroupId.replace('@g.us', '-group') : victim.phone;
        case 'uuid':
          return victimTwoChatUuid;
        case 'from_number':
          return `+${victim.phone}`;
        case 'method':
          return 'noSuchMethod';
        default:
          return 'x01';
      }
    };
    return route.path.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(value(name))).replace(/\*$/, 'extra');
  }

  function send(route: RouteSpec, url: string, headers: Record<string, string>): Promise<LightMyRequestResponse> {
    const body = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method)
      ? {
          from_number: `+${victim.phone}`,
          group: { name: 'x', participants: ['+15557770002'] },
          participants: ['+15557770002'],
          groupId: victimGroupId,
          phone: '15557770002',
          name: 'x',
          // Wappfy's webhook bodies, aimed at the victim: only the instance check may refuse them.
          ...(route.path.startsWith('/wappfy/api/webhooks') ? { url: 'http://127.0.0.1:9/hook', events: ['group.joined'], instance_id: victim.id } : {}),
        }
      : undefined;
    return t.app.inject({
      method: route.method as 'GET',
      url,
      headers: body ? { ...headers, 'content-type': 'application/json' } : headers,
      payload: body ? JSON.stringify(body) : undefined,
    });
  }

  /** One request of one case, and what the dialect must answer. */
  function request(route: RouteSpec, c: Case): { url: string; headers: Record<string, string>; expect: number[]; body?: unknown } {
    const unknown = '9999999999';
    const namesVictim = /:(id|idInstance|instanceId|groupId|uuid|from_number|phone)\b/.test(route.path);
    switch (route.family) {
      case 'native': {
        const headers: Record<string, string> = {};
        if (c === 'wrong credentials') headers.authorization = 'Bearer gg_wrong_0123456789abcdef';
        if (c === "another instance's token") headers.authorization = `Bearer ${attacker.token}`;
        if (c === 'key scoped to another instance') headers.authorization = `Bearer ${scopedKey}`;
        const refused = c === 'no credentials' || c === 'wrong credentials' ? [401] : namesVictim ? [400, 403, 404] : [];
        return { url: urlFor(route, {}), headers, expect: refused };
      }
      case 'green-api': {
        const catchAll = route.path.includes('/:method/');
        const creds =
          c === 'no credentials'
            ? { instanceId: unknown, token: 'x' }
            : c === 'wrong credentials'
              ? { token: 'wrong-token-0123456789' }
              : c === "another instance's token"
                ? { token: attacker.token }
                : { token: scopedKey };
        // Unknown methods answer 404 whatever the credentials (Green API does the same).
        return { url: urlFor(route, creds), headers: {}, expect: catchAll ? [404] : c === 'no credentials' ? [403] : [401] };
      }
      case 'z-api': {
        const creds =
          c === 'no credentials'
            ? { instanceId: unknown, token: 'x' }
            : c === 'wrong credentials'
              ? { token: 'wrong-token-0123456789' }
              : c === "another instance's token"
                ? { token: attacker.token }
                : { token: scopedKey };
        return c === 'no credentials'
          ? { url: urlFor(route, creds), headers: {}, expect: [404], body: { error: 'Instance not found' } }
          : { url: urlFor(route, creds), headers: {}, expect: [401], body: { error: 'Invalid token' } };
      }
      case 'two-chat': {
        if (c === 'no credentials') return { url: urlFor(route, {}), headers: {}, expect: [403], body: { detail: 'Not authenticated' } };
        if (c === 'wrong credentials') return { url: urlFor(route, {}), headers: { 'x-user-api-key': 'wrong-key-0123456789' }, expect: [401], body: { detail: 'Invalid API Key' } };
        if (c === "another instance's token") return { url: urlFor(route, {}), headers: { 'x-user-api-key': attacker.token }, expect: [401], body: { detail: 'Invalid API Key' } };
        // A scoped key is an account key: the victim's number or group is not of its account (404), or the body is refused first (422);
        // the account's own lists (info, numbers, webhooks) answer, without the victim.
        if (route.method === 'GET' && TWO_CHAT_OWN_LISTS.has(route.path)) return { url: urlFor(route, {}), headers: { 'x-user-api-key': scopedKey }, expect: [] };
        return { url: urlFor(route, {}), headers: { 'x-user-api-key': scopedKey }, expect: [404, 422] };
      }
      case 'wappfy': {
        // An API key in X-Api-Key or Authorization: Bearer; a key that may not see the instance finds nothing (404), whatever the body.
        if (c === 'no credentials') return { url: urlFor(route, {}), headers: {}, expect: [401] };
        if (c === 'wrong credentials') return { url: urlFor(route, {}), headers: { 'x-api-key': 'wappfy_sk_wrong_0123456789' }, expect: [401] };
        if (c === "another instance's token") return { url: urlFor(route, {}), headers: { authorization: `Bearer ${attacker.token}` }, expect: [401] };
        if (route.method === 'GET' && WAPPFY_OWN_LISTS.has(route.path)) return { url: urlFor(route, {}), headers: { 'x-api-key': scopedKey }, expect: [] };
        return { url: urlFor(route, {}), headers: { 'x-api-key': scopedKey }, expect: [404] };
      }
      case 'other':
        throw new Error(`not in the matrix: ${route.method} ${route.path}`);
    }
  }

  it('every route outside the dialects is listed as public by design', () => {
    const other = routes.filter((r) => r.family === 'other' && r.method !== 'OPTIONS').map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(
      other.filter((r) => !PUBLIC.has(r)),
      [],
      'a new route outside /api, the dialects and the public list',
    );
  });

  for (const c of CASES) {
    it(`${c}: refused on every route, never 2xx, and the victim unchanged`, async () => {
      const before = await victimState();
      const failures: string[] = [];
      for (const route of routes) {
        if (route.family === 'other') continue;
        const key = `${route.method} ${route.path}`;
        if (STREAMS.has(key) && (c === "another instance's token" || c === 'key scoped to another instance')) continue;
        const r = request(route, c);
        const res = await send(route, r.url, r.headers);
        const where = `${c}: ${route.method} ${r.url} -> ${res.statusCode} ${res.body.slice(0, 160)}`;
        if (res.statusCode >= 200 && res.statusCode < 300) {
          // Only a read that lists the caller's own scope may answer 2xx, and it must not show the victim.
          if (route.method !== 'GET' || r.expect.length > 0 || res.body.includes(victim.id) || res.body.includes(victim.idInstance)) failures.push(where);
        } else if (r.expect.length > 0 && !r.expect.includes(res.statusCode)) {
          failures.push(`${where} (expected ${r.expect.join(' or ')})`);
        } else if (r.body !== undefined && r.expect.includes(res.statusCode) && JSON.stringify(res.json()) !== JSON.stringify(r.body)) {
          failures.push(`${where} (expected body ${JSON.stringify(r.body)})`);
        } else if (route.family === 'native' && (res.statusCode === 401 || res.statusCode === 404) && !(res.json() as { error?: { code?: string } }).error?.code) {
          failures.push(`${where} (no error envelope)`);
        } else if (route.family === 'wappfy' && !wappfyRefusal(res, c, route.path)) {
          failures.push(`${where} (not Wappfy's error envelope with ${c === 'key scoped to another instance' ? 'INSTANCE_NOT_FOUND or NOT_FOUND' : 'UNAUTHORIZED'})`);
        }
        if (res.body.includes(victim.token)) failures.push(`${where} (the victim's token leaked)`);
        if (c === 'no credentials') covered.set(route.family, (covered.get(route.family) ?? 0) + 1);
      }
      assert.deepEqual(failures, []);
      assert.equal(await victimState(), before, 'the victim instance changed');
    });
  }

  it("the matrix covered every dialect's routes", () => {
    for (const [family, min] of Object.entries(MIN_ROUTES)) {
      assert.ok((covered.get(family as Family) ?? 0) >= min, `${family}: ${covered.get(family as Family) ?? 0} routes, expected at least ${min}`);
    }
  });
});
