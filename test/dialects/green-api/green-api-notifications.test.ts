/** Green API dialect: the receiveNotification / deleteNotification queue over the event log. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { databaseKinds, manualClock, seedPrivacy, startTestApp, type TestApp } from '../../support/app.js';
import { createNotifiedInstance, cus, drain, green, type GreenInstance } from './green-api-helpers.js';

type Item = { receiptId: number; body: Record<string, unknown> };
const receive = async (t: TestApp, i: GreenInstance, query?: string) => {
  const res = await green(t, i, 'receiveNotification', { query });
  assert.equal(res.statusCode, 200);
  return res.json() as Item | null;
};
const del = async (t: TestApp, i: GreenInstance, receiptId: number | string) => green(t, i, 'deleteNotification', { verb: 'DELETE', suffix: `/${receiptId}` });
const instanceData = (i: GreenInstance) => ({ idInstance: Number(i.idInstance), wid: cus(i), typeInstance: 'whatsapp' });

for (const db of await databaseKinds()) {
  describe(`Green API notification queue (${db})`, () => {
    test('FIFO from the instance creation on; a receipt is served until deleted; deletes survive a restart', async () => {
      const clock = manualClock();
      let t = await startTestApp({ db, now: clock.now });
      try {
        const a = await createNotifiedInstance(t);
        const b = await createNotifiedInstance(t);
        const ts = Math.floor(clock.now() / 1000);
        const first = await receive(t, a);
        assert.deepEqual(first, { receiptId: 1, body: { typeWebhook: 'stateInstanceChanged', instanceData: instanceData(a), timestamp: ts, stateInstance: 'authorized' } });
        assert.deepEqual(await receive(t, a), first, 'not deleted: served again');
        assert.deepEqual((await del(t, a, 1)).json(), { result: true });
        assert.deepEqual((await del(t, a, 1)).json(), { result: false });
        assert.deepEqual((await del(t, a, 999)).json(), { result: false });
        assert.equal((await del(t, a, 'abc')).statusCode, 400);

        const sent = (await green(t, a, 'sendMessage', { payload: { chatId: cus(b), message: 'Hi B' } })).json().idMessage as string;
        await green(t, a, 'sendMessage', { payload: { chatId: cus(b), message: 'Second' } });
        const second = await receive(t, a);
        assert.deepEqual(second, {
          receiptId: 2,
          body: {
            typeWebhook: 'outgoingAPIMessageReceived',
            instanceData: instanceData(a),
            timestamp: ts,
            idMessage: sent,
            senderData: { chatId: cus(b), chatName: '', sender: cus(a), senderName: '', senderContactName: '' },
            messageData: { typeMessage: 'textMessage', textMessageData: { textMessage: 'Hi B' } },
          },
        });
        // Each send is followed in the log by its delivery receipt (seq 3 and 5; outgoingWebhook is
        // off here, so not a notification), so 'Second' is receipt 4. Deleting out of order: 4 first, then 2; nothing is served twice.
        assert.deepEqual((await del(t, a, 4)).json(), { result: true });
        assert.equal((await receive(t, a))?.receiptId, 2);
        assert.deepEqual((await del(t, a, 2)).json(), { result: true });

        // B's queue: its own state, then both incoming messages, in order.
        const bodies = await drain(t, b, 3);
        assert.equal(bodies[0]!.typeWebhook, 'stateInstanceChanged');
        assert.deepEqual(bodies[1], {
          typeWebhook: 'incomingMessageReceived',
          instanceData: instanceData(b),
          timestamp: ts,
          idMessage: sent,
          senderData: { chatId: cus(a), chatName: '', sender: cus(a), senderName: '', senderContactName: '' },
          messageData: { typeMessage: 'textMessage', textMessageData: { textMessage: 'Hi B' } },
        });
        assert.equal((bodies[2]!.messageData as { textMessageData: { textMessage: string } }).textMessageData.textMessage, 'Second');

        await green(t, a, 'sendMessage', { payload: { chatId: cus(b), message: 'After restart' } });
        t = await t.restart();
        const next = await receive(t, a);
        assert.equal(next?.receiptId, 6, 'deleted receipts are remembered across a restart');
        assert.deepEqual(next?.body.messageData, { typeMessage: 'textMessage', textMessageData: { textMessage: 'After restart' } });
      } finally {
        await t.close();
      }
    });
  });
}

describe('Green API notification bodies', () => {
  test("with groupgate's opt-in extension, group changes arrive as notificationMessage in the group chat; invites as groupInviteMessage", async () => {
    const t = await startTestApp();
    try {
      const a = await createNotifiedInstance(t);
      const b = await createNotifiedInstance(t);
      const c = await createNotifiedInstance(t);
      await seedPrivacy(t, c.phone, { registered: true, groupAddPrivacy: 'nobody' });
      await drain(t, a, 1);
      await drain(t, b, 1);
      await drain(t, c, 1);
      const groupId = (await green(t, a, 'createGroup', { payload: { groupName: 'Team', chatIds: [cus(b)] } })).json().chatId as string;
      await green(t, a, 'setGroupAdmin', { payload: { groupId, participantChatId: cus(b) } });
      await green(t, a, 'updateGroupName', { payload: { groupId, groupName: 'Team 2' } });
      assert.deepEqual((await green(t, a, 'addGroupParticipant', { payload: { groupId, participantChatId: cus(c) } })).json(), { addParticipant: false });

      const note = (body: Record<string, unknown>) => ({
        sender: (body.senderData as { sender: string }).sender,
        chatId: (body.senderData as { chatId: string }).chatId,
        ...((body.messageData as { notificationMessageData: Record<string, unknown> }).notificationMessageData ?? body.messageData),
      });
      const bq = await drain(t, b, 3);
      assert.ok(bq.every((x) => x.typeWebhook === 'incomingMessageReceived'));
      assert.ok(bq.every((x) => (x.messageData as { typeMessage: string }).typeMessage === 'notificationMessage'));
      assert.deepEqual(bq.map(note), [
        { sender: cus(a), chatId: groupId, type: 'GROUP_PARTICIPANT_ADD', participants: [cus(b)] },
        { sender: cus(a), chatId: groupId, type: 'GROUP_PARTICIPANT_PROMOTE', participants: [cus(b)] },
        { sender: cus(a), chatId: groupId, type: 'GROUP_CHANGE_SUBJECT', subject: 'Team 2' },
      ]);
      assert.equal((bq[0]!.senderData as { chatName: string }).chatName, 'Team');

      const [invite] = await drain(t, c, 1);
      const data = (invite!.messageData as { groupInviteMessageData: Record<string, unknown> }).groupInviteMessageData;
      assert.equal(invite!.typeWebhook, 'incomingMessageReceived');
      assert.equal((invite!.messageData as { typeMessage: string }).typeMessage, 'groupInviteMessage');
      assert.deepEqual(invite!.senderData, { chatId: cus(a), chatName: '', sender: cus(a), senderName: '', senderContactName: '' });
      assert.equal(data.groupJid, groupId);
      assert.equal(data.groupName, 'Team 2');
      assert.equal(typeof data.inviteCode, 'string');
      // A string of Unix seconds, as the official v2 client types it.
      assert.match(String(data.inviteExpiration), /^\d+$/);
      assert.equal(typeof data.inviteExpiration, 'string');
      assert.ok(Number(data.inviteExpiration) > Date.now() / 1000);

      const aq = await drain(t, a, 4);
      assert.deepEqual(
        aq.map((x) => [x.typeWebhook, (x.messageData as { typeMessage: string }).typeMessage]),
        [
          ['incomingMessageReceived', 'notificationMessage'],
          ['incomingMessageReceived', 'notificationMessage'],
          ['incomingMessageReceived', 'notificationMessage'],
          ['outgoingAPIMessageReceived', 'groupInviteMessage'],
        ],
      );
      assert.deepEqual(note(aq[0]!), { sender: cus(a), chatId: groupId, type: 'GROUP_CREATE', subject: 'Team', participants: [cus(a), cus(b)] });
      assert.deepEqual((aq[3]!.senderData as { chatId: string }).chatId, cus(c));
    } finally {
      await t.close();
    }
  });

  test('items older than 24 hours are not served', async () => {
    const clock = manualClock();
    const t = await startTestApp({ now: clock.now });
    try {
      const a = await createNotifiedInstance(t);
      const b = await createNotifiedInstance(t);
      clock.advance(25 * 60 * 60 * 1000);
      await green(t, a, 'sendMessage', { payload: { chatId: cus(b), message: 'fresh' } });
      const item = await receive(t, a);
      assert.equal(item?.receiptId, 2);
      assert.equal(item?.body.typeWebhook, 'outgoingAPIMessageReceived');
    } finally {
      await t.close();
    }
  });
});

describe('Green API long poll', () => {
  test('a notification appended while the poll waits answers it at once', { timeout: 20_000 }, async () => {
    const t = await startTestApp();
    try {
      const a = await createNotifiedInstance(t);
      const b = await createNotifiedInstance(t);
      await drain(t, a, 1);
      // Latch: the poll has subscribed to the event log, i.e. it is waiting.
      let subscribed!: () => void;
      const waiting = new Promise<void>((resolve) => (subscribed = resolve));
      const subscribe = t.core.events.subscribe.bind(t.core.events);
      t.core.events.subscribe = (listener) => {
        subscribed();
        return subscribe(listener);
      };
      const poll = green(t, a, 'receiveNotification', { query: 'receiveTimeout=60' });
      await waiting;
      t.core.events.subscribe = subscribe;
      const sent = (await green(t, a, 'sendMessage', { payload: { chatId: cus(b), message: 'wake up' } })).json().idMessage;
      const res = await poll;
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().receiptId, 2);
      assert.equal(res.json().body.idMessage, sent);
    } finally {
      await t.close();
    }
  });

  test('with a webhookUrl set the queue stays empty: null after receiveTimeout, and nothing replayed later', { timeout: 30_000 }, async () => {
    const t = await startTestApp();
    try {
      const a = await createNotifiedInstance(t);
      const b = await createNotifiedInstance(t);
      await green(t, a, 'setSettings', { payload: { webhookUrl: 'https://example.com/hook' } });
      const poll = green(t, a, 'receiveNotification', { query: 'receiveTimeout=5' });
      await green(t, a, 'sendMessage', { payload: { chatId: cus(b), message: 'by webhook' } });
      const res = await poll;
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(res.body, 'null');
      await green(t, a, 'setSettings', { payload: { webhookUrl: '' } });
      await green(t, a, 'sendMessage', { payload: { chatId: cus(b), message: 'by queue' } });
      const item = await receive(t, a);
      assert.equal((item?.body.messageData as { textMessageData: { textMessage: string } }).textMessageData.textMessage, 'by queue');
    } finally {
      await t.close();
    }
  });

  test('receiveTimeout outside 5..60 is a validation error', async () => {
    const t = await startTestApp();
    try {
      const a = await createNotifiedInstance(t);
      for (const v of ['4', '61', 'x']) {
        const res = await green(t, a, 'receiveNotification', { query: `receiveTimeout=${v}` });
        assert.equal(res.statusCode, 400, v);
        assert.match(res.json().message, /^Validation failed\. Details: "receiveTimeout"/);
      }
    } finally {
      await t.close();
    }
  });
});
