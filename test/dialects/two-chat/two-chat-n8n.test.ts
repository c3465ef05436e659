/**
 * Every call 2Chat's official n8n node (2ChatCo/2chat-n8n v0.4.2) makes, sent exactly as its
 * source sends it: base URL `{server}/open`, header `X-User-API-Key`, `content-type:
 * application/json; charset=utf-8` on every node request (GET and DELETE included), list calls
 * with `?page=0&per_page=100` paged while `count == per_page`, and the number written raw
 * (`+...`, not URL-encoded) in paths.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../../support/fixtures/webhook-receiver.js';
import { createUnpacedInstance, startTestApp, type TestApp } from '../../support/app.js';
import { channelUuid } from '../../../src/dialects/two-chat/wire-format.js';

type Inst = Awaited<ReturnType<typeof createUnpacedInstance>>;

const JSON_UTF8 = 'application/json; charset=utf-8';

describe('2chat n8n node calls', () => {
  let t: TestApp;
  let rx: Receiver;
  let a: Inst;
  let b: Inst;
  let key: string;
  let groupUuid: string;

  /** The node's `apiRequest`: JSON body (default `{}`), query string, the two headers. */
  const node = (method: 'GET' | 'POST' | 'DELETE', endpoint: string, body: Record<string, unknown> | undefined = {}, qs: Record<string, string | number> = {}) => {
    const query = new URLSearchParams(Object.fromEntries(Object.entries(qs).map(([k, v]) => [k, String(v)]))).toString();
    return t.request({
      method,
      url: `/open/${endpoint}${query ? `?${query}` : ''}`,
      headers: { 'content-type': JSON_UTF8, 'x-user-api-key': key },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      key: null,
    });
  };

  before(async () => {
    t = await startTestApp({ config: { webhookRetryBaseMs: 10 } });
    rx = await startReceiver('/n8n');
    a = await createUnpacedInstance(t, { name: 'Sales' });
    b = await createUnpacedInstance(t, { name: 'Other' });
    key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'n8n', instances: [a.id] } })).json().key;
    const g = await t.request({
      method: 'POST',
      url: '/open/whatsapp/group/create',
      payload: { from_number: `+${a.phone}`, group: { name: 'n8n group', participants: [`+${b.phone}`] } },
      headers: { 'x-user-api-key': key },
      key: null,
    });
    groupUuid = g.json().group.uuid;
  });
  after(async () => {
    await t.close();
    await rx.close();
  });

  it('credential test: GET /open/info with only the key header', async () => {
    const res = await t.request({ method: 'GET', url: '/open/info', headers: { 'X-User-API-Key': key }, key: null });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().success, true);
    assert.match(res.json().account.uuid, /^ACC[0-9a-f-]{36}$/);
    const wrong = await t.request({ method: 'GET', url: '/open/info', headers: { 'X-User-API-Key': 'nope' }, key: null });
    assert.deepEqual([wrong.statusCode, wrong.json()], [401, { detail: 'Invalid API Key' }]);
  });

  it('getNumbers: GET whatsapp/get-numbers?page=0&per_page=100, body {}; stops when count < per_page', async () => {
    const res = await node('GET', 'whatsapp/get-numbers', {}, { page: 0, per_page: 100 });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(body, {
      success: true,
      numbers: [
        {
          uuid: channelUuid(a.id),
          friendly_name: 'Sales',
          phone_number: `+${a.phone}`,
          iso_country_code: body.numbers[0].iso_country_code,
          pushname: null,
          server: `${a.phone}@c.us`,
          platform: null,
          connection_status: 'C',
          enabled: true,
          is_business_profile: false,
          channel_type: 'WW',
          sync_contacts: false,
          created_at: body.numbers[0].created_at,
          updated_at: body.numbers[0].created_at,
        },
      ],
      count: 1,
    });
    assert.match(body.numbers[0].created_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    // The node reads friendly_name, phone_number, connection_status 'C' and (optionally) formatted_phone_number.
    const second = await node('GET', 'whatsapp/get-numbers', {}, { page: 1, per_page: 100 });
    assert.deepEqual(second.json(), { success: true, numbers: [], count: 0 });
    // 2Chat's docs name the same paging page_number / results_per_page.
    const docs = await node('GET', 'whatsapp/get-numbers', undefined, { page_number: 0, results_per_page: 1, status: 'connected' });
    assert.equal(docs.json().count, 1);
  });

  it('getGroups: GET whatsapp/groups/+<number>?page=0&per_page=100; read_only and is_muted are there', async () => {
    const res = await node('GET', `whatsapp/groups/+${a.phone}`, {}, { page: 0, per_page: 100 });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().count, 1);
    const g = res.json().data[0];
    assert.deepEqual([g.uuid, g.wa_group_name, g.is_muted, g.read_only, g.is_read_only], [groupUuid, 'n8n group', false, false, false]);
    const paged = await node('GET', `whatsapp/groups/+${a.phone}`, {}, { page: 0, per_page: 1 });
    assert.equal(paged.json().count, 1);
    const next = await node('GET', `whatsapp/groups/+${a.phone}`, {}, { page: 1, per_page: 1 });
    assert.deepEqual([next.json().data, next.json().count], [[], 0]);
  });

  it('send: POST whatsapp/send-message {from_number, text, to_number}', async () => {
    const res = await node('POST', 'whatsapp/send-message', { from_number: `+${a.phone}`, text: 'hi there', to_number: `+${b.phone}` });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { success: true, message_uuid: res.json().message_uuid, batched: false });
    assert.ok(res.json().message_uuid.length > 0);
    const got = await t.request({ method: 'GET', url: `/api/instances/${b.id}/events?types=message.received` });
    assert.ok(got.body.includes('hi there'), got.body);
  });

  it('sendToGroup: POST whatsapp/send-message {from_number, text, to_group_uuid}', async () => {
    const res = await node('POST', 'whatsapp/send-message', { from_number: `+${a.phone}`, text: 'hi group', to_group_uuid: groupUuid });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().success, true);
    const got = await t.request({ method: 'GET', url: `/api/instances/${b.id}/events?types=message.received` });
    assert.ok(got.body.includes('hi group'), got.body);
  });

  it('check: GET whatsapp/check-number/{number}/{number to check}', async () => {
    const res = await node('GET', `whatsapp/check-number/+${a.phone}/+${b.phone}`);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), {
      success: true,
      is_valid: true,
      on_whatsapp: true,
      number: { iso_country_code: res.json().number.iso_country_code, phone_number: `+${b.phone}` },
    });
  });

  it('trigger: checkExists GET webhooks, create POST webhooks/subscribe/{event}, delete DELETE webhooks/{uuid}', async () => {
    const exists = await node('GET', 'webhooks');
    assert.deepEqual([exists.statusCode, exists.json()], [200, { success: true, webhooks: [] }]);
    // The node's create: hook_url, on_number and, for one group, to_group_uuid; it keeps data.uuid.
    const created = await node('POST', 'webhooks/subscribe/whatsapp.group.join', { hook_url: rx.url, on_number: `+${a.phone}`, to_group_uuid: groupUuid });
    assert.equal(created.statusCode, 200, created.body);
    assert.equal(created.json().success, true);
    const id = created.json().data.uuid as string;
    const all = await node('POST', 'webhooks/subscribe/whatsapp.group.leave', { hook_url: rx.url, on_number: `+${a.phone}` });
    assert.equal(all.statusCode, 200, all.body);
    const listed = (await node('GET', 'webhooks')).json().webhooks as { uuid: string; hook_url: string; event_name: string }[];
    assert.ok(listed.some((w) => w.uuid === id && w.hook_url === rx.url && w.event_name === 'whatsapp.group.join'));
    // The node's delete sends the JSON content type and {} ...
    const del = await node('DELETE', `webhooks/${id}`);
    assert.deepEqual([del.statusCode, del.json()], [200, { success: true }]);
    // ... or, as some HTTP clients do, the content type with no body at all.
    const del2 = await node('DELETE', `webhooks/${all.json().data.uuid}`, undefined);
    assert.deepEqual([del2.statusCode, del2.json()], [200, { success: true }]);
    assert.deepEqual((await node('GET', 'webhooks', undefined)).json(), { success: true, webhooks: [] });
  });

  it('WABA and VoIP calls are not served: 404 in 2Chat (FastAPI) form', async () => {
    for (const [method, endpoint] of [
      ['GET', 'voip/virtual-numbers'],
      ['GET', 'waba/numbers'],
      ['GET', 'waba/templates'],
      ['POST', 'waba/send-message'],
    ] as const) {
      const res = await node(method, endpoint, {}, method === 'GET' ? { page: 0, per_page: 100 } : {});
      assert.deepEqual([res.statusCode, res.json()], [404, { detail: 'Not Found' }], endpoint);
    }
  });
});
