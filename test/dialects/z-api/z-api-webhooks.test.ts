/**
 * A Z-API integration's day against a local receiver: connect, set every webhook to one URL, create a
 * group, add, promote, someone joins by link, someone asks to join, a member writes in the group (from
 * another sandbox instance), send a text, rename, change settings, restart, disconnect. Every callback
 * is asserted on its Z-API shape (the shapes themselves, field by field, are in z-api-callback.test.ts,
 * with their sources), and the receiver sees each event exactly once per URL kind.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../../support/fixtures/webhook-receiver.js';
import { createUnpacedInstance, seedPrivacy, startTestApp, type TestApp } from '../../support/app.js';

type Inst = Awaited<ReturnType<typeof createUnpacedInstance>>;
type Body = Record<string, unknown>;

const P2 = '5511977770002';
const NOBODY = '5511977770009';

describe('a Z-API integration, one day', () => {
  let t: TestApp;
  let receiver: Receiver;
  let a: Inst; // the integration's number
  let b: Inst; // a member who writes
  let c: Inst; // joins by link
  let d: Inst; // asks to join
  const zapi = (inst: Inst, endpoint: string, payload?: unknown, method?: 'GET' | 'POST' | 'PUT') =>
    t.request({
      method: method ?? (payload === undefined ? 'GET' : 'POST'),
      url: `/instances/${inst.id}/token/${inst.token}/${endpoint}`,
      ...(payload === undefined ? {} : { payload: payload as object }),
      key: null,
    });
  const bodies = () => receiver.received.map((r) => JSON.parse(r.body) as Body);
  const arrived = (pred: (b: Body) => boolean) => receiver.waitFor((rs) => rs.some((r) => pred(JSON.parse(r.body) as Body)));
  const notified = (n: string) => arrived((x) => x.notification === n);

  before(async () => {
    t = await startTestApp({ config: { webhookRetryBaseMs: 10 } });
    receiver = await startReceiver();
    a = await createUnpacedInstance(t, { name: 'A' });
    b = await createUnpacedInstance(t, { name: 'B' });
    c = await createUnpacedInstance(t, { name: 'C' });
    d = await createUnpacedInstance(t, { name: 'D' });
    await seedPrivacy(t, `+${NOBODY}`, { registered: true, groupAddPrivacy: 'nobody' });
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  let group = ''; // <digits>-group
  let link = '';

  it('connect: status, qr-code, qr-code/image and phone-code answer as a connected number', async () => {
    assert.deepEqual((await zapi(a, 'status')).json(), { connected: true, error: 'You are already connected.', smartphoneConnected: true });
    for (const endpoint of ['qr-code', 'qr-code/image', 'phone-code/5511999999999']) {
      const res = await zapi(a, endpoint);
      assert.deepEqual([res.statusCode, res.json()], [200, { connected: true }], endpoint);
    }
    const bad = await zapi(a, 'phone-code/not-a-phone');
    assert.equal(bad.statusCode, 400, bad.body);
    assert.equal((await zapi(a, 'qr-code', {}, 'POST')).statusCode, 405);
  });

  it('update-every-webhooks: one subscription per URL kind; a refused URL changes nothing; me shows them', async () => {
    const refused = await zapi(a, 'update-every-webhooks', { value: 'http://169.254.169.254/x' }, 'PUT');
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal(((await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks as unknown[]).length, 0);

    const set = await zapi(a, 'update-every-webhooks', { value: receiver.url, notifySentByMe: true }, 'PUT');
    assert.deepEqual([set.statusCode, set.json()], [200, { value: true }]);
    const subs = (await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks as { format: string; url: string; instances: string[] }[];
    assert.deepEqual(
      subs.map((s) => [s.format, s.url, s.instances]),
      Array(6).fill(['z-api', receiver.url, [a.id]]),
    );
    const me = (await zapi(a, 'me')).json() as Body;
    assert.deepEqual([me.id, me.token, me.name, me.connected, me.receiveCallbackSentByMe], [a.id, null, 'A', true, true]);
    for (const field of ['connectedCallbackUrl', 'deliveryCallbackUrl', 'disconnectedCallbackUrl', 'messageStatusCallbackUrl', 'presenceChatCallbackUrl', 'receivedCallbackUrl']) {
      assert.equal(me[field], receiver.url, field);
    }
  });

  it('create-group: phonesNotAdded lists the number privacy refused; GROUP_CREATE names the group', async () => {
    const res = await zapi(a, 'create-group', { groupName: 'Day', phones: [b.phone, NOBODY], autoInvite: false });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { phone: string; phonesNotAdded: string[]; invitationLink: string };
    assert.deepEqual(Object.keys(body), ['phone', 'phonesNotAdded', 'invitationLink']);
    assert.deepEqual(body.phonesNotAdded, [NOBODY]);
    group = body.phone;
    link = body.invitationLink;
    await notified('GROUP_CREATE');
    const created = bodies().find((x) => x.notification === 'GROUP_CREATE')!;
    assert.deepEqual([created.phone, created.participantPhone, created.fromMe, created.notificationParameters, created.chatName], [group, a.phone, true, ['Day'], 'Day']);

    const meta = (await zapi(a, `group-metadata/${group}`)).json() as Body;
    assert.deepEqual([meta.invitationLink, meta.invitationLinkError], [link, null]);
    const asMember = (await zapi(b, `group-metadata/${group}`)).json() as Body;
    assert.deepEqual([asMember.invitationLink, asMember.invitationLinkError], [null, 'not-authorized']);
  });

  it('add and promote: the instance’s own changes reach its received URL', async () => {
    assert.deepEqual((await zapi(a, 'add-participant', { groupId: group, phones: [P2], autoInvite: false })).json(), { value: true });
    assert.deepEqual((await zapi(a, 'add-admin', { groupId: group, phones: [b.phone] })).json(), { value: true });
    await notified('GROUP_PARTICIPANT_PROMOTE');
    const add = bodies().find((x) => x.notification === 'GROUP_PARTICIPANT_ADD')!;
    assert.deepEqual([add.participantPhone, add.fromMe, add.notificationParameters], [a.phone, true, [P2]]);
    const promote = bodies().find((x) => x.notification === 'GROUP_PARTICIPANT_PROMOTE')!;
    assert.deepEqual([promote.participantPhone, promote.fromMe, promote.notificationParameters], [a.phone, true, [b.phone]]);
  });

  it('group-invitation-metadata previews the group; a join by link is GROUP_PARTICIPANT_INVITE', async () => {
    const preview = await zapi(c, `group-invitation-metadata?url=${encodeURIComponent(link)}`);
    assert.equal(preview.statusCode, 200, preview.body);
    const p = preview.json() as Body;
    assert.deepEqual([p.phone, p.owner, p.subject, p.participantsCount, p.requireAdminApproval], [group, a.phone, 'Day', 3, false]);
    assert.equal((await zapi(c, 'group-invitation-metadata?url=https%3A%2F%2Fchat.whatsapp.com%2Fnope')).statusCode, 400);

    assert.deepEqual((await zapi(c, `accept-invite-group?url=${encodeURIComponent(link)}`)).json(), { success: true });
    await notified('GROUP_PARTICIPANT_INVITE');
    const joined = bodies().find((x) => x.notification === 'GROUP_PARTICIPANT_INVITE')!;
    assert.deepEqual([joined.participantPhone, joined.fromMe, joined.notificationParameters], [c.phone, false, [c.phone]]);
  });

  it('a member writes in the group: ReceivedCallback with the text and the member', async () => {
    const sent = await t.request({ method: 'POST', url: `/api/instances/${b.id}/messages`, payload: { chatId: `${group.replace(/-group$/, '')}@g.us`, text: 'hello group' } });
    assert.equal(sent.statusCode < 300, true, sent.body);
    await arrived((x) => (x.text as Body | undefined)?.message === 'hello group');
    const msg = bodies().find((x) => (x.text as Body | undefined)?.message === 'hello group')!;
    assert.deepEqual(
      [msg.type, msg.isGroup, msg.phone, msg.fromMe, msg.participantPhone, msg.status, msg.connectedPhone, msg.instanceId, msg.chatName, msg.senderName],
      ['ReceivedCallback', true, group, false, b.phone, 'RECEIVED', a.phone, a.id, 'Day', b.phone],
    );
  });

  it('send-text: DeliveryCallback, MessageStatusCallback SENT then RECEIVED, and (notifySentByMe) a fromMe ReceivedCallback', async () => {
    const res = await zapi(a, 'send-text', { phone: group, message: 'from the api' });
    assert.equal(res.statusCode, 200, res.body);
    const { zaapId, messageId } = res.json() as { zaapId: string; messageId: string };
    await arrived((x) => x.type === 'DeliveryCallback');
    await arrived((x) => x.fromMe === true && (x.text as Body | undefined)?.message === 'from the api');
    assert.deepEqual(
      bodies().filter((x) => x.type === 'DeliveryCallback'),
      [{ phone: group, zaapId, messageId, type: 'DeliveryCallback', instanceId: a.id }],
    );
    const mine = bodies().find((x) => x.fromMe === true && (x.text as Body | undefined)?.message === 'from the api')!;
    assert.deepEqual([mine.messageId, mine.status, mine.phone], [messageId, 'SENT', group]);
    // The sandbox reports delivery (RECEIVED); READ is shaped in z-api-callback.test.ts.
    await arrived((x) => x.type === 'MessageStatusCallback' && x.status === 'RECEIVED');
    const statuses = bodies().filter((x) => x.type === 'MessageStatusCallback' && (x.ids as string[])[0] === messageId);
    assert.deepEqual(statuses[0], {
      instanceId: a.id,
      status: 'SENT',
      ids: [messageId],
      momment: statuses[0]!.momment,
      phoneDevice: 0,
      phone: group,
      type: 'MessageStatusCallback',
      isGroup: true,
    });
    assert.deepEqual(
      statuses.map((x) => x.status),
      ['SENT', 'RECEIVED'],
    );
  });

  it('update-group-photo takes an image URL (Z-API: "url or base64"); what is not an image changes nothing', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    const server = createServer((req, res) => (req.url === '/logo.png' ? res.writeHead(200, { 'content-type': 'image/png' }).end(png) : res.writeHead(200).end('not an image')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const groupId = `${group.replace(/-group$/, '')}@g.us`;
      const picture = async () => (await t.request({ method: 'GET', url: `/api/instances/${a.id}/groups/${encodeURIComponent(groupId)}` })).json().picture;
      const before = await picture();
      const text = await zapi(a, 'update-group-photo', { groupId: group, groupPhoto: `${base}/page.html` });
      assert.deepEqual([text.statusCode, text.json().error], [400, 'unsupported_media_type']);
      assert.deepEqual(await picture(), before);
      assert.deepEqual((await zapi(a, 'update-group-photo', { groupId: group, groupPhoto: `${base}/logo.png` })).json(), { value: true });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('rename and settings: one notification per change; a join request carries requestMethod', async () => {
    assert.deepEqual((await zapi(a, 'update-group-name', { groupId: group, groupName: 'Day 2' })).json(), { value: true });
    assert.deepEqual((await zapi(a, 'update-group-settings', { phone: group, adminOnlyMessage: true, requireAdminApproval: true })).json(), { value: true });
    assert.deepEqual((await zapi(d, `accept-invite-group?url=${encodeURIComponent(link)}`)).json(), { success: true });
    await notified('MEMBERSHIP_APPROVAL_REQUEST');
    const pick = (n: string) => bodies().filter((x) => x.notification === n);
    assert.deepEqual(
      pick('GROUP_CHANGE_SUBJECT').map((x) => x.notificationParameters),
      [['Day 2']],
    );
    assert.deepEqual(
      pick('GROUP_CHANGE_ANNOUNCE').map((x) => x.notificationParameters),
      [['on']],
    );
    assert.deepEqual(
      pick('GROUP_MEMBERSHIP_JOIN_APPROVAL_MODE').map((x) => x.notificationParameters),
      [['on']],
    );
    assert.deepEqual(
      pick('MEMBERSHIP_APPROVAL_REQUEST').map((x) => [x.participantPhone, x.notificationParameters, x.requestMethod]),
      [[d.phone, [d.phone], 'invite_link']],
    );
  });

  it('restart sends ConnectedCallback; disconnect sends DisconnectedCallback', async () => {
    assert.deepEqual((await zapi(a, 'restart')).json(), { value: true });
    await arrived((x) => x.type === 'ConnectedCallback');
    assert.deepEqual((await zapi(a, 'disconnect')).json(), { value: true });
    await arrived((x) => x.type === 'DisconnectedCallback');
    const up = bodies().filter((x) => x.type === 'ConnectedCallback');
    assert.equal(up.length, 1);
    assert.deepEqual([up[0]!.connected, up[0]!.phone, up[0]!.instanceId, up[0]!.isBusiness], [true, a.phone, a.id, false]);
    const down = bodies().filter((x) => x.type === 'DisconnectedCallback');
    assert.deepEqual(
      down.map((x) => [x.disconnected, x.error, x.instanceId]),
      [[true, 'Device has been disconnected', a.id]],
    );
    assert.equal((await zapi(a, 'status')).json().connected, false);
  });

  it('the receiver saw every event exactly once per URL kind, each message signed and with its own webhook-id', async () => {
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    assert.equal(new Set(ids).size, ids.length, 'a webhook-id arrived twice');
    for (const r of receiver.received) assert.match(String(r.headers['webhook-signature']), /^v1,/);
    const kinds = bodies().map((x) =>
      String(
        x.notification ?? (x.type === 'ReceivedCallback' ? `text:${(x.text as Body).message}:${x.fromMe}` : x.type === 'MessageStatusCallback' ? `status:${x.status}` : x.type),
      ),
    );
    assert.equal(kinds.length, 15, kinds.join(', '));
    const count = (k: string) => kinds.filter((x) => x === k).length;
    for (const k of [
      'GROUP_CREATE',
      'GROUP_PARTICIPANT_ADD',
      'GROUP_PARTICIPANT_PROMOTE',
      'GROUP_PARTICIPANT_INVITE',
      'text:hello group:false',
      'DeliveryCallback',
      'status:SENT',
      'status:RECEIVED',
      'text:from the api:true',
      'GROUP_CHANGE_SUBJECT',
      'GROUP_CHANGE_ANNOUNCE',
      'GROUP_MEMBERSHIP_JOIN_APPROVAL_MODE',
      'MEMBERSHIP_APPROVAL_REQUEST',
      'ConnectedCallback',
      'DisconnectedCallback',
    ]) {
      assert.equal(count(k), 1, `${k}: ${count(k)} deliveries`);
    }
  });

  it('update-webhook-received-delivery and update-notify-sent-by-me switch the instance’s own messages; "" unsubscribes', async () => {
    assert.deepEqual((await zapi(a, 'update-notify-sent-by-me', { notifySentByMe: false }, 'PUT')).json(), { value: true });
    assert.equal((await zapi(a, 'me')).json().receiveCallbackSentByMe, false);
    assert.deepEqual((await zapi(a, 'update-webhook-received-delivery', { value: receiver.url }, 'PUT')).json(), { value: true });
    assert.equal((await zapi(a, 'me')).json().receiveCallbackSentByMe, true);
    assert.deepEqual((await zapi(a, 'update-webhook-received', { value: '' }, 'PUT')).json(), { value: true });
    assert.equal((await zapi(a, 'me')).json().receivedCallbackUrl, null);
    const left = (await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks as unknown[];
    assert.equal(left.length, 5);
  });
});
