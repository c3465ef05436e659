/**
 * A whole Green API day with the official JavaScript clients, unchanged but for where they point:
 * v1 (`@green-api/whatsapp-api-client`) through its `host` option, v2
 * (`@green-api/whatsapp-api-client-js-v2`) through the two-line subclass the README shows. Link
 * state, settings, list groups, check numbers, create, add 20 people one call at a time with pacing
 * on (a short test policy; a held request advances the manual clock), read, send, receive, poll
 * notifications and receive webhooks; every body is checked against Green API's documented shapes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import whatsAppClient from '@green-api/whatsapp-api-client';
import { GreenApiClient } from '@green-api/whatsapp-api-client-js-v2';
import { createSandboxInstance, manualClock, startTestApp, type TestApp } from '../../support/app.js';
import { startReceiver } from '../../support/fixtures/webhook-receiver.js';
import { ALL_NOTIFICATIONS, cus, green, PNG, type GreenInstance } from './green-api-helpers.js';

/** The v2 client pointed at groupgate: the subclass the README shows; its console logger silenced. */
function v2(base: string, instance: GreenInstance): GreenApiClient {
  class LocalClient extends GreenApiClient {
    protected override buildUrl(): string {
      return `${base}/waInstance${this.instance.idInstance}`;
    }
  }
  const client = new LocalClient({ idInstance: Number(instance.idInstance), apiTokenInstance: instance.token });
  Object.defineProperty(client, 'logger', { value: new Proxy({}, { get: () => () => {} }) });
  return client;
}

/** The v1 client pointed at groupgate by its host option. */
const v1 = (base: string, instance: GreenInstance) => whatsAppClient.restAPI({ host: base, idInstance: instance.idInstance, apiTokenInstance: instance.token });

type Notification = { receiptId: number; body: Record<string, unknown> };

const SHORT_PACING = { addBatchPauseSeconds: 30, addBatchPauseJitterSeconds: 0, groupCreateIntervalSeconds: 300, groupCreateJitterSeconds: 0 };
const PEOPLE = Array.from({ length: 20 }, (_, i) => `1555444${String(i).padStart(4, '0')}`);

describe('official Green API clients through a whole day', () => {
  let t: TestApp;
  let base: string;
  const clock = manualClock();
  const waits: number[] = [];
  let a: GreenInstance; // the integration's instance (v2 client)
  let b: GreenInstance; // a second integration (v1 client)
  let groupId: string;

  before(async () => {
    t = await startTestApp({
      now: clock.now,
      sleep: async (ms) => {
        waits.push(ms);
        clock.advance(ms);
      },
    });
    a = await createSandboxInstance(t);
    b = await createSandboxInstance(t);
    for (const i of [a, b]) await t.request({ method: 'PATCH', url: `/api/instances/${i.id}/pacing`, payload: SHORT_PACING });
    await t.request({ method: 'PUT', url: `/api/sandbox/accounts/%2B${b.phone.replace(/^\+/, '')}`, payload: { registered: true, groupAddPrivacy: 'everyone', name: 'Bea' } });
    await t.request({ method: 'PUT', url: '/api/sandbox/accounts/%2B15554449999', payload: { registered: false, groupAddPrivacy: 'everyone' } });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(() => t.close());

  test('v2: morning: state, account, settings', async () => {
    const client = v2(base, a);
    assert.deepEqual(await client.getStateInstance(), { stateInstance: 'authorized' });
    assert.deepEqual(await client.getWaSettings(), {
      avatar: '',
      phone: a.phone.replace(/^\+/, ''),
      stateInstance: 'authorized',
      deviceId: `${a.phone.replace(/^\+/, '')}@s.whatsapp.net`,
    });
    const settings = await client.getSettings();
    assert.equal(settings.wid, cus(a));
    assert.equal(settings.incomingWebhook, 'no', 'Green API: every switch is off on a new instance');
    assert.deepEqual(await client.setSettings({ ...ALL_NOTIFICATIONS }), { saveSettings: true });
    const after = await client.getSettings();
    assert.deepEqual([after.incomingWebhook, after.outgoingWebhook, after.outgoingAPIMessageWebhook, after.stateWebhook], ['yes', 'yes', 'yes', 'yes']);
  });

  test('v2: check numbers, create a group, add 20 people one call at a time (held by pacing, all true)', async () => {
    const client = v2(base, a);
    assert.deepEqual(await client.checkWhatsapp({ phoneNumber: Number(PEOPLE[0]) }), { existsWhatsapp: true });
    assert.deepEqual(await client.checkWhatsapp({ phoneNumber: 15554449999 }), { existsWhatsapp: false });

    const created = await client.createGroup({ groupName: 'Customers', chatIds: [cus(b)] });
    assert.deepEqual(Object.keys(created), ['created', 'chatId', 'groupInviteLink']);
    assert.equal(created.created, true);
    assert.match(created.chatId, /^\d+@g\.us$/);
    assert.match(created.groupInviteLink, /^https:\/\/chat\.whatsapp\.com\/[A-Za-z0-9_-]+$/);
    groupId = created.chatId;

    waits.length = 0;
    for (const p of PEOPLE) assert.deepEqual(await client.addGroupParticipant({ groupId, participantChatId: `${p}@c.us` }), { addParticipant: true });
    // The first add ran at once; each of the 19 others waited its 30 s turn inside its request.
    assert.deepEqual(waits, Array(19).fill(30_000));

    const data = await client.getGroupData({ groupId });
    assert.deepEqual(Object.keys(data), [
      'groupId',
      'owner',
      'subject',
      'creation',
      'participants',
      'subjectTime',
      'subjectOwner',
      'groupInviteLink',
      'ephemeralExpiration',
      'allowParticipantsEditGroupSettings',
      'allowParticipantsSendMessages',
      'allowParticipantsAddMembers',
      'isCommunity',
      'isCommunityAnnounce',
      'size',
    ]);
    assert.equal(data.subject, 'Customers');
    assert.equal(data.owner, cus(a));
    assert.equal(data.groupInviteLink, created.groupInviteLink);
    assert.equal((data as unknown as { size: number }).size, 22);
    assert.deepEqual(data.participants[0], { id: cus(a), lid: (data.participants[0] as { lid?: string }).lid, isAdmin: true, isSuperAdmin: true });
    assert.match(String((data.participants[0] as { lid?: string }).lid), /^\d+@lid$/);
    assert.deepEqual(
      data.participants.map((p) => p.id),
      [cus(a), cus(b), ...PEOPLE.map((p) => `${p}@c.us`)],
    );
  });

  test('v2: list groups the Green API way (getContacts / getChats, type "group")', async () => {
    const client = v2(base, a);
    const contacts = await client.getContacts();
    assert.deepEqual(
      contacts.filter((c) => c.type === 'group'),
      [{ id: groupId, name: 'Customers', contactName: '', type: 'group' }],
    );
    assert.ok(contacts.some((c) => c.id === cus(b) && c.type === 'user'));
    assert.ok(contacts.every((c) => Object.keys(c).join() === 'id,name,contactName,type'));
    const chats = (await t.request({ method: 'GET', url: `/waInstance${a.idInstance}/getChats/${a.token}`, key: null })).json() as Record<string, unknown>[];
    assert.deepEqual(
      chats.filter((c) => c.type === 'group'),
      [{ archive: false, id: groupId, ephemeralExpiration: 0, ephemeralSettingTimestamp: 0, name: 'Customers', type: 'group' }],
    );
  });

  test('v1: a second integration: state, settings by webhook, PNG group picture labelled JPEG, a message to the group', async () => {
    const receiver = await startReceiver();
    try {
      const client = v1(base, b);
      assert.deepEqual(await client.instance.getStateInstance(), { stateInstance: 'authorized' });
      assert.deepEqual(await client.settings.setSettings({ webhookUrl: receiver.url, webhookUrlToken: 'Bearer day', incomingWebhook: 'yes', outgoingAPIMessageWebhook: 'yes' }), {
        saveSettings: true,
      });
      assert.equal((await client.settings.getSettings()).webhookUrl, receiver.url);
      assert.deepEqual(await client.instance.checkWhatsapp(Number(PEOPLE[1])), { existsWhatsapp: true });
      // getChats is in the 0.4.4 bundle but not in its typings.
      const instanceApi = client.instance as unknown as { getChats(): Promise<{ id: string; type: string; name: string }[]> };
      const groups = await instanceApi.getChats();
      assert.deepEqual(
        groups.filter((c) => c.type === 'group').map((c) => [c.id, c.name]),
        [[groupId, 'Customers']],
      );
      const data = await client.group.getGroupData(groupId);
      assert.equal(data.groupInviteLink, '', 'not an admin: no link, as Green API');

      // The v1 client reads a file and sends it as image/jpeg, whatever it is: a PNG here.
      const dir = await mkdtemp(join(tmpdir(), 'gg-green-'));
      const file = join(dir, 'logo.png');
      await writeFile(file, PNG);
      await v2(base, a).setGroupAdmin({ groupId, participantChatId: cus(b) });
      assert.deepEqual(await client.group.setGroupPicture(groupId, file), { setGroupPicture: true, urlAvatar: '', reason: '' });

      const sent = await client.message.sendMessage(groupId, null, 'Good morning from B');
      assert.match(sent.idMessage, /^\S+$/);
      await receiver.waitFor((r) => r.some((x) => x.body.includes('Good morning from B')));
      const hook = JSON.parse(receiver.received.find((x) => x.body.includes('Good morning from B'))!.body);
      assert.equal(receiver.received.find((x) => x.body.includes('Good morning from B'))!.headers.authorization, 'Bearer day');
      assert.deepEqual(hook, {
        typeWebhook: 'outgoingAPIMessageReceived',
        instanceData: { idInstance: Number(b.idInstance), wid: cus(b), typeInstance: 'whatsapp' },
        timestamp: hook.timestamp,
        idMessage: sent.idMessage,
        senderData: { chatId: groupId, chatName: '', sender: cus(b), senderName: '', senderContactName: '' },
        messageData: { typeMessage: 'textMessage', textMessageData: { textMessage: 'Good morning from B' } },
      });
      assert.ok(Number.isInteger(hook.timestamp));
      // No group-change notifications were sent by webhook: Green API has none.
      assert.ok(receiver.received.every((x) => !x.body.includes('notificationMessage')));
    } finally {
      await receiver.close();
    }
  });

  test("v2: send, receive, and poll the day's notifications (receiveNotification / deleteNotification)", async () => {
    const client = v2(base, a);
    const sent = await client.sendMessage({ chatId: groupId, message: 'Welcome, everyone' });
    const bodies: Record<string, unknown>[] = [];
    for (;;) {
      const item = (await client.receiveNotification(5)) as Notification | null;
      if (!item) break;
      bodies.push(item.body);
      assert.deepEqual(await client.deleteNotification(item.receiptId), { result: true });
    }
    const types = bodies.map((x) => x.typeWebhook);
    assert.equal(types[0], 'stateInstanceChanged');
    assert.deepEqual(bodies[0], { typeWebhook: 'stateInstanceChanged', instanceData: bodies[0]!.instanceData, timestamp: bodies[0]!.timestamp, stateInstance: 'authorized' });
    // Exactly what Green API sends: no notificationMessage for the creation, the 20 adds or the promotion.
    assert.ok(bodies.every((x) => JSON.stringify(x.messageData ?? {}).includes('notificationMessage') === false));

    const incoming = bodies.find((x) => x.typeWebhook === 'incomingMessageReceived')!;
    assert.deepEqual(incoming, {
      typeWebhook: 'incomingMessageReceived',
      instanceData: { idInstance: Number(a.idInstance), wid: cus(a), typeInstance: 'whatsapp' },
      timestamp: incoming.timestamp,
      idMessage: incoming.idMessage,
      senderData: { chatId: groupId, chatName: 'Customers', sender: cus(b), senderName: 'Bea', senderContactName: '' },
      messageData: { typeMessage: 'textMessage', textMessageData: { textMessage: 'Good morning from B' } },
    });

    const outgoing = bodies.find((x) => x.typeWebhook === 'outgoingAPIMessageReceived' && x.idMessage === sent.idMessage)!;
    assert.deepEqual(outgoing.messageData, { typeMessage: 'textMessage', textMessageData: { textMessage: 'Welcome, everyone' } });
    const status = bodies.find((x) => x.typeWebhook === 'outgoingMessageStatus' && x.idMessage === sent.idMessage)!;
    assert.deepEqual(status, {
      typeWebhook: 'outgoingMessageStatus',
      chatId: groupId,
      instanceData: { idInstance: Number(a.idInstance), wid: cus(a), typeInstance: 'whatsapp' },
      timestamp: status.timestamp,
      idMessage: sent.idMessage,
      status: 'delivered',
      sendByApi: true,
    });
    assert.ok(types.indexOf('outgoingAPIMessageReceived') < types.indexOf('outgoingMessageStatus'));
  });

  test('v2 and v1: the journals and contact lookups', async () => {
    const client = v2(base, a);
    const incoming = await client.lastIncomingMessages();
    assert.deepEqual(Object.keys(incoming[0]!), ['type', 'idMessage', 'timestamp', 'typeMessage', 'chatId', 'senderId', 'senderName', 'senderContactName', 'textMessage']);
    assert.deepEqual(
      { ...incoming[0], idMessage: '', timestamp: 0 },
      {
        type: 'incoming',
        idMessage: '',
        timestamp: 0,
        typeMessage: 'textMessage',
        chatId: groupId,
        senderId: cus(b),
        senderName: 'Bea',
        senderContactName: '',
        textMessage: 'Good morning from B',
      },
    );
    const outgoing = await client.lastOutgoingMessages();
    assert.deepEqual(
      { ...outgoing[0], idMessage: '', timestamp: 0 },
      { type: 'outgoing', idMessage: '', timestamp: 0, typeMessage: 'textMessage', chatId: groupId, textMessage: 'Welcome, everyone', statusMessage: 'delivered', sendByApi: true },
    );
    const one = v1(base, b);
    assert.equal(((await one.instance.getContactInfo(cus(a))) as { chatId: string }).chatId, cus(a));
    assert.deepEqual(await one.instance.getAvatar(groupId, undefined as unknown as number), { existsWhatsapp: true, urlAvatar: '', available: false, reason: 'no avatar' });
    assert.deepEqual((await green(t, a, 'getStatusInstance')).json(), { statusInstance: 'online' });
    assert.deepEqual((await green(t, a, 'getAuthorizationCode', { payload: { phoneNumber: Number(a.phone.replace(/^\+/, '')) } })).json(), { status: false, code: '' });
  });

  test('evening: leaving as an admin answers removeAdmin, as Green API documents', async () => {
    assert.deepEqual(await v2(base, b).leaveGroup({ groupId }), { removeAdmin: true });
    assert.deepEqual(await v1(base, a).group.leaveGroup(groupId), { removeAdmin: true });
  });

  test("a wrong token surfaces as the clients' error for 401", async () => {
    await assert.rejects(v2(base, { ...a, token: 'wrong-token' }).getStateInstance(), /401/);
    await assert.rejects(v1(base, { ...a, token: 'wrong-token' }).instance.getStateInstance(), /401/);
  });
});
