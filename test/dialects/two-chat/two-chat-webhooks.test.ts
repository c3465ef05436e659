/**
 * A 2Chat integration's day against a local receiver: subscribe, create, add, someone joins by
 * link, someone leaves, someone is removed, a member writes, send to the group, unsubscribe and
 * see deliveries stop. Every body is asserted field by field.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../../support/fixtures/webhook-receiver.js';
import { createUnpacedInstance, startTestApp, type TestApp } from '../../support/app.js';
import { channelUuid } from '../../../src/dialects/two-chat/wire-format.js';

type Inst = Awaited<ReturnType<typeof createUnpacedInstance>>;
type Body = Record<string, unknown>;

const WHK = /^WHK[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe('2chat webhooks: an integration day', () => {
  let t: TestApp;
  let rx: Receiver;
  let a: Inst; // the 2Chat number
  let b: Inst;
  let c: Inst;
  let d: Inst;
  let key: string;
  let uuid: string;
  let groupId: string;
  const hooks: Record<string, string> = {};

  const chat = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>, apiKey = key) =>
    t.request({ method, url: `/open${url}`, ...(payload ? { payload } : {}), headers: { 'x-user-api-key': apiKey }, key: null });
  const bodies = (event: string) => rx.received.map((r) => JSON.parse(r.body) as Body).filter((x) => x.event === event);
  const plus = (i: Inst) => `+${i.phone}`;
  const wa = (i: Inst) => `${i.phone}@c.us`;

  before(async () => {
    t = await startTestApp({ config: { webhookRetryBaseMs: 10 } });
    rx = await startReceiver('/2chat');
    a = await createUnpacedInstance(t, { name: 'A' });
    b = await createUnpacedInstance(t, { name: 'B' });
    c = await createUnpacedInstance(t, { name: 'C' });
    d = await createUnpacedInstance(t, { name: 'D' });
    key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: '2chat', instances: [a.id] } })).json().key;
  });
  after(async () => {
    await t.close();
    await rx.close();
  });

  it('subscribes with hook_url and on_number; the answer carries the uuid', async () => {
    for (const event of ['whatsapp.group.join', 'whatsapp.group.leave', 'whatsapp.group.remove']) {
      const res = await chat('POST', `/webhooks/subscribe/${event}`, { hook_url: rx.url, on_number: plus(a) });
      assert.equal(res.statusCode, 200, res.body);
      const data = res.json().data as Body;
      assert.match(String(data.uuid), WHK);
      assert.match(String(data.created_at), SECONDS);
      assert.deepEqual(res.json(), {
        success: true,
        data: {
          uuid: data.uuid,
          event_name: event,
          channel_uuid: channelUuid(a.id),
          hook_url: rx.url,
          hook_params: { waweb_uuid: channelUuid(a.id) },
          created_at: data.created_at,
        },
      });
      hooks[event] = String(data.uuid);
    }
    const list = await chat('GET', '/webhooks');
    assert.deepEqual(
      (list.json().webhooks as Body[]).map((w) => [w.uuid, w.event_name, w.hook_url]),
      Object.entries(hooks).map(([e, u]) => [u, e, rx.url]),
    );
    // Each is a durable, signed core subscription, managed by the dialect.
    const core = (await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks as { format: string; managedBy: string; instances: string[] }[];
    assert.deepEqual(
      core.map((w) => [w.format, w.managedBy, w.instances]),
      [0, 1, 2].map(() => ['2chat', '2chat', [a.id]]),
    );
  });

  it('create, then add: the added number is a whatsapp.group.join', async () => {
    const created = await chat('POST', '/whatsapp/group/create', { from_number: plus(a), group: { name: 'Day group', participants: [plus(b)] } });
    assert.equal(created.statusCode, 200, created.body);
    uuid = created.json().group.uuid;
    groupId = created.json().group.wa_group_id;
    const msg = await chat('POST', '/webhooks/subscribe/whatsapp.group.message.received', { hook_url: rx.url, on_number: plus(a), to_group_uuid: uuid });
    assert.equal(msg.statusCode, 200, msg.body);
    assert.deepEqual(msg.json().data.hook_params, { waweb_uuid: channelUuid(a.id), to_group_uuid: uuid });
    hooks['whatsapp.group.message.received'] = msg.json().data.uuid;

    const add = await chat('POST', `/whatsapp/group/${uuid}/add-participant`, { from_number: plus(a), participants: [plus(c)] });
    assert.equal(add.statusCode, 200, add.body);
    await rx.waitFor(() => bodies('whatsapp.group.join').length === 1);
    const join = bodies('whatsapp.group.join')[0]!;
    assert.match(String(join.id), ULID);
    assert.match(String(join.created_at), SECONDS);
    assert.deepEqual(join, {
      id: join.id,
      uuid: join.id,
      event: 'whatsapp.group.join',
      created_at: join.created_at,
      channel_uuid: channelUuid(a.id),
      channel_phone_number: plus(a),
      group: { uuid, wa_group_id: groupId, wa_group_name: null },
      remote_phone_number: plus(c),
      participants: [{ phone_number: plus(c), wa_participant_id: wa(c) }],
      action_by: plus(a),
    });
    const r = rx.received.find((x) => JSON.parse(x.body).id === join.id)!;
    // The Standard Webhooks id: the event id, suffixed with the subscription's provider slot (its 2Chat uuid), the same on every retry.
    assert.match(String(r.headers['webhook-id']), new RegExp(`^${join.id}\\.WHK[0-9a-f-]{36}$`));
    assert.match(String(r.headers['webhook-signature']), /^v1,[A-Za-z0-9+/=]+$/);
    assert.match(String(r.headers['webhook-timestamp']), /^\d+$/);
  });

  it('joining by link is a whatsapp.group.join too', async () => {
    const code = await t.request({ method: 'GET', url: `/api/instances/${a.id}/groups/${encodeURIComponent(groupId)}/invite-code` });
    assert.equal(code.statusCode, 200, code.body);
    const joined = await t.request({ method: 'POST', url: `/api/instances/${d.id}/groups/join`, payload: { code: code.json().code } });
    assert.equal(joined.statusCode, 200, joined.body);
    await rx.waitFor(() => bodies('whatsapp.group.join').length === 2);
    const join = bodies('whatsapp.group.join')[1]!;
    assert.deepEqual(
      { group: join.group, remote_phone_number: join.remote_phone_number, participants: join.participants, action_by: join.action_by },
      {
        group: { uuid, wa_group_id: groupId, wa_group_name: null },
        remote_phone_number: plus(d),
        participants: [{ phone_number: plus(d), wa_participant_id: wa(d) }],
        action_by: plus(d),
      },
    );
  });

  it('someone leaves: whatsapp.group.leave; someone is removed: whatsapp.group.remove', async () => {
    const left = await t.request({ method: 'POST', url: `/api/instances/${b.id}/groups/${encodeURIComponent(groupId)}/leave` });
    assert.equal(left.statusCode, 200, left.body);
    await rx.waitFor(() => bodies('whatsapp.group.leave').length === 1);
    const leave = bodies('whatsapp.group.leave')[0]!;
    assert.deepEqual(leave, {
      id: leave.id,
      uuid: leave.id,
      event: 'whatsapp.group.leave',
      created_at: leave.created_at,
      channel_uuid: channelUuid(a.id),
      channel_phone_number: plus(a),
      group: { uuid, wa_group_id: groupId, wa_group_name: null },
      remote_phone_number: plus(b),
      participants: [{ phone_number: plus(b), wa_participant_id: wa(b) }],
      action_by: leave.action_by,
    });
    assert.ok(leave.action_by === plus(b) || leave.action_by === null, String(leave.action_by));

    const removed = await chat('POST', `/whatsapp/group/${uuid}/remove-participant`, { from_number: plus(a), participants: [plus(c)] });
    assert.equal(removed.statusCode, 200, removed.body);
    await rx.waitFor(() => bodies('whatsapp.group.remove').length === 1);
    const remove = bodies('whatsapp.group.remove')[0]!;
    assert.deepEqual(remove, {
      id: remove.id,
      uuid: remove.id,
      event: 'whatsapp.group.remove',
      created_at: remove.created_at,
      channel_uuid: channelUuid(a.id),
      channel_phone_number: plus(a),
      group: { uuid, wa_group_id: groupId, wa_group_name: null },
      remote_phone_number: plus(c),
      participants: [{ phone_number: plus(c), wa_participant_id: wa(c) }],
      action_by: plus(a),
    });
    // A leaving is not a removal, nor the other way round.
    assert.equal(bodies('whatsapp.group.leave').length, 1);
  });

  it('a member writes: whatsapp.group.message.received for the subscribed group', async () => {
    const named = await t.request({
      method: 'PUT',
      url: `/api/sandbox/accounts/${encodeURIComponent(plus(d))}`,
      payload: { registered: true, groupAddPrivacy: 'everyone', name: 'Dora' },
    });
    assert.equal(named.statusCode, 200, named.body);
    const sent = await t.request({ method: 'POST', url: `/api/instances/${d.id}/messages`, payload: { chatId: groupId, text: 'hello group' } });
    assert.equal(sent.statusCode, 201, sent.body);
    await rx.waitFor(() => bodies('whatsapp.group.message.received').length === 1);
    const m = bodies('whatsapp.group.message.received')[0]!;
    assert.deepEqual(m, {
      id: sent.json().id,
      uuid: sent.json().id,
      event: 'whatsapp.group.message.received',
      created_at: m.created_at,
      session_key: `WW-${channelUuid(a.id)}-${groupId}`,
      message: { text: 'hello group' },
      remote_phone_number: plus(d),
      channel_phone_number: plus(a),
      sent_by: 'user',
      group: { uuid, wa_group_id: groupId, wa_group_name: 'Day group' },
      participant: { phone_number: plus(d), wa_participant_id: wa(d), wa_pushname: 'Dora' },
    });
    assert.match(String(m.created_at), SECONDS);
  });

  it('send to the group by uuid, then unsubscribe: deliveries stop', async () => {
    const send = await chat('POST', '/whatsapp/send-message', { from_number: plus(a), to_group_uuid: uuid, text: 'from the API' });
    assert.equal(send.statusCode, 200, send.body);
    assert.deepEqual(send.json(), { success: true, message_uuid: send.json().message_uuid, batched: false });
    const seen = await t.request({ method: 'GET', url: `/api/instances/${d.id}/events?types=message.received` });
    assert.ok(JSON.stringify(seen.json()).includes('from the API'), seen.body);

    for (const id of Object.values(hooks)) {
      const del = await chat('DELETE', `/webhooks/${id}`);
      assert.deepEqual([del.statusCode, del.json()], [200, { success: true }]);
    }
    assert.deepEqual((await chat('GET', '/webhooks')).json(), { success: true, webhooks: [] });
    const core = (await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks as unknown[];
    assert.equal(core.length, 0);
    const again = await chat('DELETE', `/webhooks/${hooks['whatsapp.group.join']}`);
    assert.deepEqual([again.statusCode, again.json()], [404, { success: false, message: `no webhook with uuid ${hooks['whatsapp.group.join']}` }]);

    // A sentinel subscription made after the unsubscribes sees the next join; the old ones saw nothing.
    const sentinel = await startReceiver('/sentinel');
    try {
      const s = await chat('POST', '/webhooks/subscribe/whatsapp.group.join', { hook_url: sentinel.url, on_number: plus(a) });
      assert.equal(s.statusCode, 200, s.body);
      const before = rx.received.length;
      const add = await chat('POST', `/whatsapp/group/${uuid}/add-participant`, { from_number: plus(a), participants: [plus(c)] });
      assert.equal(add.statusCode, 200, add.body);
      await sentinel.waitFor((r) => r.length === 1);
      assert.equal(rx.received.length, before);
    } finally {
      await sentinel.close();
    }
  });

  describe('errors change nothing', () => {
    it('an unknown or unproduced event, a bad URL, a foreign group or number are 4xx', async () => {
      const count = async () => ((await chat('GET', '/webhooks')).json().webhooks as unknown[]).length;
      const n = await count();
      const unknown = await chat('POST', '/webhooks/subscribe/whatsapp.nothing', { hook_url: rx.url, on_number: plus(a) });
      assert.equal(unknown.statusCode, 400);
      assert.equal(unknown.json().success, false);
      assert.match(unknown.json().message, /^unknown event whatsapp\.nothing; events available: whatsapp\.group\.join, /);
      const call = await chat('POST', '/webhooks/subscribe/whatsapp.call.received', { hook_url: rx.url, on_number: plus(a) });
      assert.equal(call.statusCode, 400);
      assert.match(call.json().message, /^groupgate does not produce whatsapp\.call\.received/);
      const ssrf = await chat('POST', '/webhooks/subscribe/whatsapp.group.join', { hook_url: 'http://169.254.169.254/x', on_number: plus(a) });
      assert.ok(ssrf.statusCode >= 400 && ssrf.statusCode < 500, ssrf.body);
      assert.equal(ssrf.json().success, false);
      const foreign = await chat('POST', '/webhooks/subscribe/whatsapp.group.join', { hook_url: rx.url, on_number: plus(b) });
      assert.equal(foreign.statusCode, 404);
      const noGroup = await chat('POST', '/webhooks/subscribe/whatsapp.group.join', {
        hook_url: rx.url,
        on_number: plus(a),
        to_group_uuid: 'WAG00000000-0000-4000-8000-000000000000',
      });
      assert.equal(noGroup.statusCode, 404);
      const notGroupEvent = await chat('POST', '/webhooks/subscribe/whatsapp.number.status', { hook_url: rx.url, on_number: plus(a), to_group_uuid: uuid });
      assert.equal(notGroupEvent.statusCode, 400);
      const missing = await chat('POST', '/webhooks/subscribe/whatsapp.group.join', { on_number: plus(a) });
      assert.equal(missing.statusCode, 422);
      assert.deepEqual(missing.json().detail[0].loc, ['body', 'hook_url']);
      const wrongMethod = await chat('GET', '/webhooks/subscribe/whatsapp.group.join');
      assert.equal(wrongMethod.statusCode, 405);
      assert.equal(await count(), n);
      const core = (await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks as unknown[];
      assert.equal(core.length, n);
    });

    it('send-message refuses both targets, neither, media and pins', async () => {
      const both = await chat('POST', '/whatsapp/send-message', { from_number: plus(a), to_number: plus(b), to_group_uuid: uuid, text: 'x' });
      assert.deepEqual([both.statusCode, both.json()], [400, { success: false, message: "You can't use to_number and to_group_uuid in the same request" }]);
      const neither = await chat('POST', '/whatsapp/send-message', { from_number: plus(a), text: 'x' });
      assert.equal(neither.statusCode, 400);
      const media = await chat('POST', '/whatsapp/send-message', { from_number: plus(a), to_number: plus(b), text: 'x', url: 'https://example.com/a.png' });
      assert.deepEqual(
        [media.statusCode, media.json()],
        [400, { success: false, message: 'groupgate sends text messages only: url (media) and pin (location) are not supported' }],
      );
      const bad = await chat('POST', '/whatsapp/send-message', { from_number: plus(a), to_number: '5511', text: 'x' });
      assert.equal(bad.statusCode, 422);
      const otherGroup = await chat('POST', '/whatsapp/send-message', { from_number: plus(a), to_group_uuid: 'WAG00000000-0000-4000-8000-000000000000', text: 'x' });
      assert.equal(otherGroup.statusCode, 404);
    });
  });
});
