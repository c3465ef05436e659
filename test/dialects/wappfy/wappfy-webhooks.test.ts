/**
 * Wappfy's webhook API over HTTP, written from its guide (the create example) and its API reference
 * (the list's fields): subscribe, list, read, update, delete in Wappfy's envelope; validation in the
 * envelope; a scoped key sees and touches only its instance's subscriptions. Then a day against a
 * local receiver: group.joined, group.left, message.received and instance.connected bodies field by
 * field, each signed per Standard Webhooks with the secret the client gave, exactly once per event
 * and subscription.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { ADMIN_KEY, createUnpacedInstance, databaseKinds, startTestApp, type TestApp } from '../../support/app.js';
import { startReceiver, type Receiver } from '../../support/fixtures/webhook-receiver.js';
import { wappfyBody } from '../../../src/dialects/wappfy/wire-format.js';
import type { EventRecord } from '../../../src/core/events/event-model.js';
import type { Instance } from '../../../src/core/instances/instance-model.js';

type Inst = Awaited<ReturnType<typeof createUnpacedInstance>>;
type Body = Record<string, any>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const LIST_FIELDS = ['id', 'user_id', 'url', 'events', 'retry_count', 'timeout_ms', 'is_active', 'created_at', 'updated_at', 'secret', 'description', 'instance_id', 'headers'];
const AVAILABLE = [
  'message.received',
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
  'instance.connected',
  'instance.disconnected',
  'instance.qr',
  'group.joined',
  'group.left',
];

function data(res: LightMyRequestResponse, status = 200): any {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json();
  assert.deepEqual(Object.keys(body), ['success', 'data', 'meta']);
  assert.equal(body.success, true);
  assert.match(body.meta.timestamp, ISO);
  return body.data;
}

function error(res: LightMyRequestResponse, status: number, code: string): any {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json();
  assert.deepEqual(Object.keys(body), ['success', 'error', 'meta']);
  assert.equal(body.success, false);
  assert.deepEqual(Object.keys(body.error), ['code', 'message', 'details']);
  assert.equal(body.error.code, code, res.body);
  assert.equal(typeof body.meta.requestId, 'string');
  return body.error;
}

const jid = (i: Inst) => `${i.phone}@s.whatsapp.net`;

for (const db of await databaseKinds()) {
  describe(`wappfy webhooks API (${db})`, () => {
    let t: TestApp;
    let a: Inst;
    let b: Inst;
    let keyA: string; // scoped to A
    let keyAId: string;
    let keyB: string; // scoped to B
    let id: string;

    const wappfy = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, key = keyA) =>
      t.request({ method, url: `/wappfy${url}`, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}), headers: { 'x-api-key': key }, key: null });
    const core = async () => (await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks as Body[];

    /** The guide's create example, for instance A. */
    const example = () => ({
      url: 'https://your-server.com/webhooks/wappfy',
      events: ['message.received', 'message.sent', 'message.delivered'],
      instance_id: a.id,
      secret: 'whsec_my_signing_secret',
      retry_count: 3,
      timeout_ms: 10000,
    });

    before(async () => {
      t = await startTestApp({ db });
      a = await createUnpacedInstance(t, { name: 'A' });
      b = await createUnpacedInstance(t, { name: 'B' });
      const ka = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'wappfy A', instances: [a.id] } })).json();
      keyA = ka.key;
      keyAId = ka.id;
      keyB = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'wappfy B', instances: [b.id] } })).json().key;
    });
    after(() => t.close());

    it("subscribes with the guide's example: 201, the example answer's fields, no secret echoed", async () => {
      const d = data(await wappfy('POST', '/api/webhooks', example()), 201);
      assert.match(d.id, UUID);
      assert.match(d.created_at, ISO);
      assert.deepEqual(d, {
        id: d.id,
        url: 'https://your-server.com/webhooks/wappfy',
        events: ['message.received', 'message.sent', 'message.delivered'],
        instance_id: a.id,
        is_active: true,
        retry_count: 3,
        timeout_ms: 10000,
        created_at: d.created_at,
      });
      id = d.id;
      // A durable core subscription of A, managed by the dialect, in the wappfy format, for the event-log types it needs.
      const subs = await core();
      assert.deepEqual(
        subs.map((s) => [s.format, s.managedBy, s.instances, s.events, s.enabled]),
        [['wappfy', 'wappfy', [a.id], ['message.received', 'message.sent', 'message.status'], true]],
      );
      assert.ok(!JSON.stringify(subs).includes('my_signing_secret'));
    });

    it('lists with the reference fields; the secret is masked, never returned', async () => {
      const list = data(await wappfy('GET', '/api/webhooks'));
      assert.equal(list.length, 1);
      assert.deepEqual(Object.keys(list[0]), LIST_FIELDS);
      assert.deepEqual(list[0], {
        id,
        user_id: keyAId,
        url: 'https://your-server.com/webhooks/wappfy',
        events: ['message.received', 'message.sent', 'message.delivered'],
        retry_count: 3,
        timeout_ms: 10000,
        is_active: true,
        created_at: list[0].created_at,
        updated_at: list[0].updated_at,
        secret: '********',
        description: null,
        instance_id: a.id,
        headers: {},
      });
      assert.deepEqual(data(await wappfy('GET', `/api/webhooks/${id}`)), list[0]);
    });

    it('a generated secret is shown once, at creation', async () => {
      const d = data(await wappfy('POST', '/api/webhooks', { url: 'https://example.com/other', events: ['group.joined'], instance_id: a.id }), 201);
      assert.match(d.secret, /^[A-Za-z0-9_-]{32}$/);
      assert.equal(d.retry_count, 3);
      assert.equal(d.timeout_ms, 10000);
      const again = data(await wappfy('GET', `/api/webhooks/${d.id}`));
      assert.equal(again.secret, '********');
      assert.ok(!JSON.stringify(data(await wappfy('GET', '/api/webhooks'))).includes(d.secret));
      data(await wappfy('DELETE', `/api/webhooks/${d.id}`));
    });

    it('updates: url, events, retry_count, timeout_ms, description, is_active; the core subscription follows', async () => {
      const d = data(
        await wappfy('PATCH', `/api/webhooks/${id}`, {
          url: 'https://your-server.com/hooks/v2',
          events: ['group.joined', 'group.left'],
          retry_count: 5,
          timeout_ms: 30000,
          description: 'groups only',
          is_active: false,
        }),
      );
      assert.deepEqual(
        [d.id, d.url, d.events, d.retry_count, d.timeout_ms, d.description, d.is_active, d.secret],
        [id, 'https://your-server.com/hooks/v2', ['group.joined', 'group.left'], 5, 30000, 'groups only', false, '********'],
      );
      assert.ok(d.updated_at >= d.created_at);
      assert.deepEqual(data(await wappfy('GET', `/api/webhooks/${id}`)), d);
      const [sub] = await core();
      assert.deepEqual(
        [sub!.url, sub!.events, sub!.enabled],
        ['https://your-server.com/hooks/v2', ['group.participants.added', 'group.joined', 'group.participants.removed', 'group.participants.left', 'group.left'], false],
      );
      const on = data(await wappfy('PATCH', `/api/webhooks/${id}`, { is_active: true }));
      assert.deepEqual([on.is_active, on.url, on.events, on.description], [true, 'https://your-server.com/hooks/v2', ['group.joined', 'group.left'], 'groups only']);
      assert.equal((await core())[0]!.enabled, true);
    });

    it('validation errors are in the envelope and change nothing', async () => {
      const before = JSON.stringify(data(await wappfy('GET', '/api/webhooks')));
      const coreBefore = JSON.stringify(await core());
      const cases: [unknown, number, string][] = [
        [{ ...example(), retry_count: 6 }, 400, 'VALIDATION_ERROR'],
        [{ ...example(), retry_count: -1 }, 400, 'VALIDATION_ERROR'],
        [{ ...example(), timeout_ms: 999 }, 400, 'VALIDATION_ERROR'],
        [{ ...example(), timeout_ms: 30001 }, 400, 'VALIDATION_ERROR'],
        [{ ...example(), events: [] }, 400, 'VALIDATION_ERROR'],
        [{ ...example(), url: undefined }, 400, 'VALIDATION_ERROR'],
        [{ ...example(), url: '   ' }, 400, 'VALIDATION_ERROR'],
        [{ ...example(), instance_id: undefined }, 400, 'VALIDATION_ERROR'],
        [{ ...example(), secret: 'short' }, 400, 'VALIDATION_ERROR'],
        [{ ...example(), url: 'ftp://example.com/x' }, 422, 'WEBHOOK_URL_REFUSED'],
        [{ ...example(), url: 'http://169.254.169.254/latest' }, 422, 'WEBHOOK_URL_REFUSED'],
        [{ ...example(), instance_id: 'nope' }, 404, 'INSTANCE_NOT_FOUND'],
      ];
      for (const [body, status, code] of cases) error(await wappfy('POST', '/api/webhooks', body), status, code);

      const unproduced = error(
        await wappfy('POST', '/api/webhooks', { ...example(), events: ['message.received', 'message.reaction', 'contact.created'] }),
        400,
        'VALIDATION_ERROR',
      );
      assert.equal(unproduced.message, `groupgate does not produce message.reaction, contact.created; events available: ${AVAILABLE.join(', ')}`);
      assert.deepEqual(unproduced.details, { field: 'events', unsupported: ['message.reaction', 'contact.created'], available: AVAILABLE });
      const unknown = error(await wappfy('POST', '/api/webhooks', { ...example(), events: ['message.nothing'] }), 400, 'VALIDATION_ERROR');
      assert.match(unknown.message, /^unknown event "message\.nothing"; events available: message\.received, /);

      error(await wappfy('PATCH', `/api/webhooks/${id}`, {}), 400, 'VALIDATION_ERROR');
      error(await wappfy('PATCH', `/api/webhooks/${id}`, { retry_count: 9 }), 400, 'VALIDATION_ERROR');
      error(await wappfy('PATCH', `/api/webhooks/${id}`, { events: ['message.reaction'] }), 400, 'VALIDATION_ERROR');
      error(await wappfy('PATCH', `/api/webhooks/${id}`, { url: ' ' }), 400, 'VALIDATION_ERROR');
      error(await wappfy('PATCH', `/api/webhooks/${id}`, { instance_id: b.id }), 400, 'VALIDATION_ERROR');
      error(await wappfy('PATCH', `/api/webhooks/${id}`, { url: 'http://169.254.169.254/x' }), 422, 'WEBHOOK_URL_REFUSED');
      error(await wappfy('GET', '/api/webhooks/a1b2c3d4-e5f6-4890-abcd-ef1234567890'), 404, 'NOT_FOUND');
      error(await wappfy('DELETE', '/api/webhooks/a1b2c3d4-e5f6-4890-abcd-ef1234567890'), 404, 'NOT_FOUND');
      assert.equal(JSON.stringify(data(await wappfy('GET', '/api/webhooks'))), before);
      assert.equal(JSON.stringify(await core()), coreBefore);
    });

    it("a key scoped to one instance neither subscribes to nor sees another's", async () => {
      const before = JSON.stringify(await core());
      error(await wappfy('POST', '/api/webhooks', example(), keyB), 404, 'INSTANCE_NOT_FOUND');
      assert.deepEqual(data(await wappfy('GET', '/api/webhooks', undefined, keyB)), []);
      error(await wappfy('GET', `/api/webhooks/${id}`, undefined, keyB), 404, 'NOT_FOUND');
      error(await wappfy('PATCH', `/api/webhooks/${id}`, { url: 'https://evil.example.com/x' }, keyB), 404, 'NOT_FOUND');
      error(await wappfy('DELETE', `/api/webhooks/${id}`, undefined, keyB), 404, 'NOT_FOUND');
      assert.equal(JSON.stringify(await core()), before);
      // B's own subscription is B's: A does not see it; the admin key sees both.
      const mine = data(await wappfy('POST', '/api/webhooks', { ...example(), instance_id: b.id }, keyB), 201);
      assert.deepEqual(
        data(await wappfy('GET', '/api/webhooks', undefined, keyB)).map((w: Body) => w.id),
        [mine.id],
      );
      assert.deepEqual(
        data(await wappfy('GET', '/api/webhooks')).map((w: Body) => w.id),
        [id],
      );
      error(await wappfy('GET', `/api/webhooks/${mine.id}`), 404, 'NOT_FOUND');
      assert.deepEqual(
        data(await wappfy('GET', '/api/webhooks', undefined, ADMIN_KEY))
          .map((w: Body) => w.id)
          .sort(),
        [id, mine.id].sort(),
      );
      data(await wappfy('DELETE', `/api/webhooks/${mine.id}`, undefined, keyB));
    });

    it('deletes: the core subscription goes with it', async () => {
      const d = data(await wappfy('DELETE', `/api/webhooks/${id}`));
      assert.deepEqual(d, { id, deleted: true });
      assert.deepEqual(data(await wappfy('GET', '/api/webhooks')), []);
      assert.deepEqual(await core(), []);
      error(await wappfy('GET', `/api/webhooks/${id}`), 404, 'NOT_FOUND');
    });

    it('the routes are in the OpenAPI document under the wappfy tag', async () => {
      const doc = (await t.request({ method: 'GET', url: '/openapi.json', key: null })).json();
      for (const [path, methods] of [
        ['/wappfy/api/webhooks', ['get', 'post']],
        ['/wappfy/api/webhooks/{id}', ['get', 'patch', 'delete']],
      ] as const) {
        for (const m of methods) assert.ok(doc.paths[path]?.[m]?.tags?.includes('wappfy'), `${m} ${path}`);
      }
    });
  });
}

describe('wappfy webhooks: a day against a local receiver', () => {
  let t: TestApp;
  let rx: Receiver;
  let a: Inst; // the Wappfy instance
  let b: Inst;
  let c: Inst;
  let d: Inst;
  let key: string;
  let groupId: string;
  let mainId: string;
  let joinsId: string;
  const SECRET = 'whsec_my_signing_secret';
  /** A sandbox person (not an instance) added last, as a sentinel. */
  const LATE = '5511977776666@s.whatsapp.net';

  const wappfy = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    t.request({ method, url: `/wappfy${url}`, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}), headers: { 'x-api-key': key }, key: null });
  const parsed = () => rx.received.map((r) => ({ r, body: JSON.parse(r.body) as Body }));
  const bodies = (event: string, hook = mainId) => parsed().filter((x) => x.body.event === event && String(x.r.headers['webhook-id']).endsWith(`.${hook}`));

  before(async () => {
    t = await startTestApp({ config: { webhookRetryBaseMs: 10 } });
    rx = await startReceiver('/wappfy');
    a = await createUnpacedInstance(t, { name: 'A' });
    b = await createUnpacedInstance(t, { name: 'B' });
    c = await createUnpacedInstance(t, { name: 'C' });
    d = await createUnpacedInstance(t, { name: 'D' });
    key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'wappfy', instances: [a.id] } })).json().key;
    const main = await wappfy('POST', '/api/webhooks', {
      url: rx.url,
      events: ['group.joined', 'group.left', 'message.received', 'instance.connected'],
      instance_id: a.id,
      secret: SECRET,
      retry_count: 3,
      timeout_ms: 10000,
    });
    assert.equal(main.statusCode, 201, main.body);
    mainId = main.json().data.id;
    const joins = await wappfy('POST', '/api/webhooks', { url: rx.url, events: ['group.joined'], instance_id: a.id, secret: SECRET });
    assert.equal(joins.statusCode, 201, joins.body);
    joinsId = joins.json().data.id;
  });
  after(async () => {
    await t.close();
    await rx.close();
  });

  /** Verifies a delivery with the `standardwebhooks` package, keyed with the secret as given. */
  const verify = (x: { r: { body: string; headers: Record<string, unknown> } }) =>
    new Webhook(SECRET, { format: 'raw' }).verify(x.r.body, x.r.headers as Record<string, string>) as Body;

  it('someone is added: group.joined, signed with the secret the client gave', async () => {
    const created = await wappfy('POST', `/api/instances/${a.id}/groups`, { name: 'Day group', participants: [jid(b)] });
    assert.equal(created.statusCode, 201, created.body);
    groupId = created.json().data.group_id;
    const add = await wappfy('POST', `/api/instances/${a.id}/groups/${groupId}/participants`, { participants: [jid(c)] });
    assert.equal(add.statusCode, 200, add.body);
    await rx.waitFor(() => bodies('group.joined').length === 1);
    const x = bodies('group.joined')[0]!;
    assert.deepEqual(verify(x), x.body);
    assert.match(x.body.timestamp, ISO);
    assert.deepEqual(x.body, {
      event: 'group.joined',
      instance_id: a.id,
      timestamp: x.body.timestamp,
      data: { group: { group_id: groupId, id: groupId, name: null, subject: null }, participants: [jid(c)], action: 'add', actor: jid(a) },
    });
    const [eventId, slot] = String(x.r.headers['webhook-id']).split('.');
    assert.match(eventId!, ULID);
    assert.equal(slot, mainId);
    assert.match(String(x.r.headers['webhook-signature']), /^v1,[A-Za-z0-9+/=]+$/);
    assert.match(String(x.r.headers['webhook-timestamp']), /^\d+$/);
    // No provider header of our invention.
    assert.equal(x.r.headers['x-wappfy-signature'], undefined);
    // The other subscription to group.joined gets the same event once, under its own id.
    await rx.waitFor(() => bodies('group.joined', joinsId).length === 1);
    assert.deepEqual(bodies('group.joined', joinsId)[0]!.body, x.body);
    assert.equal(String(bodies('group.joined', joinsId)[0]!.r.headers['webhook-id']), `${eventId}.${joinsId}`);
  });

  it('someone joins by link: group.joined with action join', async () => {
    const code = await wappfy('GET', `/api/instances/${a.id}/groups/${groupId}/invite-code`);
    assert.equal(code.statusCode, 200, code.body);
    const joined = await t.request({ method: 'POST', url: `/api/instances/${d.id}/groups/join`, payload: { code: code.json().data.code } });
    assert.equal(joined.statusCode, 200, joined.body);
    await rx.waitFor(() => bodies('group.joined').length === 2);
    const x = bodies('group.joined')[1]!;
    assert.deepEqual(verify(x), x.body);
    assert.deepEqual(x.body.data, { group: { group_id: groupId, id: groupId, name: null, subject: null }, participants: [jid(d)], action: 'join', actor: jid(d) });
  });

  it('someone leaves, someone is removed: group.left with action leave, then remove', async () => {
    const left = await t.request({ method: 'POST', url: `/api/instances/${b.id}/groups/${encodeURIComponent(groupId)}/leave` });
    assert.equal(left.statusCode, 200, left.body);
    await rx.waitFor(() => bodies('group.left').length === 1);
    const leave = bodies('group.left')[0]!;
    assert.deepEqual(verify(leave), leave.body);
    assert.deepEqual(leave.body, {
      event: 'group.left',
      instance_id: a.id,
      timestamp: leave.body.timestamp,
      data: { group: { group_id: groupId, id: groupId, name: null, subject: null }, participants: [jid(b)], action: 'leave', actor: leave.body.data.actor },
    });
    assert.ok(leave.body.data.actor === jid(b) || leave.body.data.actor === null, String(leave.body.data.actor));

    const removed = await wappfy('POST', `/api/instances/${a.id}/groups/${groupId}/participants/remove`, { participants: [jid(c)] });
    assert.equal(removed.statusCode, 200, removed.body);
    await rx.waitFor(() => bodies('group.left').length === 2);
    const remove = bodies('group.left')[1]!;
    assert.deepEqual(verify(remove), remove.body);
    assert.deepEqual(remove.body.data, { group: { group_id: groupId, id: groupId, name: null, subject: null }, participants: [jid(c)], action: 'remove', actor: jid(a) });
  });

  it('a member writes: message.received', async () => {
    const named = await t.request({
      method: 'PUT',
      url: `/api/sandbox/accounts/${encodeURIComponent(`+${d.phone}`)}`,
      payload: { registered: true, groupAddPrivacy: 'everyone', name: 'Dora' },
    });
    assert.equal(named.statusCode, 200, named.body);
    const sent = await t.request({ method: 'POST', url: `/api/instances/${d.id}/messages`, payload: { chatId: groupId, text: 'hello group' } });
    assert.equal(sent.statusCode, 201, sent.body);
    await rx.waitFor(() => bodies('message.received').length === 1);
    const x = bodies('message.received')[0]!;
    assert.deepEqual(verify(x), x.body);
    assert.match(x.body.data.timestamp, ISO);
    assert.deepEqual(x.body, {
      event: 'message.received',
      instance_id: a.id,
      timestamp: x.body.timestamp,
      data: {
        id: sent.json().id,
        chat_id: groupId,
        from: jid(d),
        from_me: false,
        is_group: true,
        type: 'text',
        text: 'hello group',
        timestamp: x.body.data.timestamp,
        sender_name: 'Dora',
        chat_name: 'Day group',
      },
    });
  });

  it('the instance reconnects: instance.connected', async () => {
    const restarted = await t.request({ method: 'POST', url: `/api/instances/${a.id}/restart` });
    assert.equal(restarted.statusCode, 200, restarted.body);
    await rx.waitFor(() => bodies('instance.connected').length === 1);
    const x = bodies('instance.connected')[0]!;
    assert.deepEqual(verify(x), x.body);
    assert.deepEqual(x.body, {
      event: 'instance.connected',
      instance_id: a.id,
      timestamp: x.body.timestamp,
      data: { status: 'connected', reason: x.body.data.reason, phone: jid(a) },
    });
    assert.equal(typeof x.body.data.reason, 'string');
  });

  it('exactly one delivery per event and subscription; the rest of the log is skipped, nothing pending', async () => {
    // A sentinel event after everything: once it is in, every earlier event was decided.
    const added = await wappfy('POST', `/api/instances/${a.id}/groups/${groupId}/participants`, { participants: [LATE] });
    assert.equal(added.statusCode, 200, added.body);
    await rx.waitFor(() => bodies('group.joined').length === 3 && bodies('group.joined', joinsId).length === 3);
    const ids = rx.received.map((r) => String(r.headers['webhook-id']));
    assert.equal(new Set(ids).size, ids.length, 'no event was delivered twice to one subscription');
    assert.deepEqual(Object.fromEntries(['group.joined', 'group.left', 'message.received', 'instance.connected'].map((e) => [e, bodies(e).length])), {
      'group.joined': 3,
      'group.left': 2,
      'message.received': 1,
      'instance.connected': 1,
    });
    assert.equal(parsed().filter((x) => String(x.r.headers['webhook-id']).endsWith(`.${joinsId}`)).length, 3);
    assert.ok(rx.received.every((r) => r.status === 200));
    const subs = (await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks as Body[];
    for (const sub of subs) {
      const pending = await t.request({ method: 'GET', url: `/api/webhooks/${sub.id}/deliveries?status=pending` });
      assert.deepEqual(pending.json().deliveries, [], pending.body);
    }
  });

  it('deleting the subscription stops its deliveries', async () => {
    for (const id of [mainId, joinsId]) assert.equal((await wappfy('DELETE', `/api/webhooks/${id}`)).statusCode, 200);
    const sentinel = await startReceiver('/sentinel');
    try {
      const s = await wappfy('POST', '/api/webhooks', { url: sentinel.url, events: ['group.left'], instance_id: a.id, secret: SECRET });
      assert.equal(s.statusCode, 201, s.body);
      const before = rx.received.length;
      const removed = await wappfy('POST', `/api/instances/${a.id}/groups/${groupId}/participants/remove`, { participants: [LATE] });
      assert.equal(removed.statusCode, 200, removed.body);
      await sentinel.waitFor((r) => r.length === 1);
      assert.equal(rx.received.length, before);
    } finally {
      await sentinel.close();
    }
  });
});

describe('wappfy webhook bodies (pure)', () => {
  const instance = { id: 'k3j9x0a2mq', phone: '5511999990000' } as Instance;
  const ev = (type: string, data: Record<string, unknown>): EventRecord => ({
    id: '01JD5XQ1W2E3R4T5Y6U7I8O9P0',
    seq: 1,
    type,
    instanceId: instance.id,
    occurredAt: '2026-11-22T10:00:00.000Z',
    data,
  });
  const all = { events: AVAILABLE };

  it('instance.qr and instance.disconnected carry the status; the QR itself is read on the native API', () => {
    assert.deepEqual(wappfyBody(instance, ev('instance.status', { status: 'qr', reason: 'scan the QR' }), all), {
      event: 'instance.qr',
      instance_id: instance.id,
      timestamp: '2026-11-22T10:00:00.000Z',
      data: { status: 'qr', reason: 'scan the QR', phone: '5511999990000@s.whatsapp.net' },
    });
    for (const status of ['disconnected', 'logged_out', 'failed']) assert.equal(wappfyBody(instance, ev('instance.status', { status }), all)?.event, 'instance.disconnected');
    assert.equal(wappfyBody(instance, ev('instance.status', { status: 'starting' }), all), null);
    assert.equal(wappfyBody(instance, ev('instance.status', { status: 'qr' }), { events: ['instance.connected'] }), null);
  });

  it('receipts are message.delivered, message.read and message.failed', () => {
    for (const status of ['delivered', 'read', 'failed']) {
      assert.deepEqual(
        wappfyBody(instance, ev('message.status', { messageId: 'BAE5', chatId: '5511988887777@s.whatsapp.net', status, timestamp: '2026-11-22T10:00:01.000Z' }), all),
        {
          event: `message.${status}`,
          instance_id: instance.id,
          timestamp: '2026-11-22T10:00:00.000Z',
          data: { id: 'BAE5', chat_id: '5511988887777@s.whatsapp.net', status, timestamp: '2026-11-22T10:00:01.000Z' },
        },
      );
    }
  });

  it('message.sent is from the instance; the instance leaving a group is group.left about itself', () => {
    assert.deepEqual(
      wappfyBody(instance, ev('message.sent', { messageId: 'BAE6', chatId: '120363043968066561@g.us', text: 'hi', timestamp: '2026-11-22T10:00:02.000Z' }), all)?.data,
      {
        id: 'BAE6',
        chat_id: '120363043968066561@g.us',
        from: '5511999990000@s.whatsapp.net',
        from_me: true,
        is_group: true,
        type: 'text',
        text: 'hi',
        timestamp: '2026-11-22T10:00:02.000Z',
      },
    );
    assert.deepEqual(
      wappfyBody(
        instance,
        ev('group.left', {
          groupId: '120363043968066561@g.us',
          name: 'Team',
          reason: 'removed',
          actor: { jid: '5511988887777@s.whatsapp.net', phone: '+5511988887777', lid: null },
        }),
        all,
      )?.data,
      {
        group: { group_id: '120363043968066561@g.us', id: '120363043968066561@g.us', name: 'Team', subject: 'Team' },
        participants: ['5511999990000@s.whatsapp.net'],
        action: 'remove',
        actor: '5511988887777@s.whatsapp.net',
      },
    );
  });
});
