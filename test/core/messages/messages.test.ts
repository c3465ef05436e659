/** Messages: what the log holds for a sent text, its delivery receipt, and the names on incoming messages. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUnpacedInstance, databaseKinds, startTestApp, type TestApp } from '../../support/app.js';

type LoggedEvent = { id: string; seq: number; type: string; data: Record<string, unknown> };

for (const db of await databaseKinds()) {
  describe(`messages and receipts (${db})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ db });
    });
    after(() => t.close());

    const log = async (instanceId: string): Promise<LoggedEvent[]> => (await t.request({ method: 'GET', url: `/api/instances/${instanceId}/events` })).json().events;
    const name = async (phone: string, displayName: string) => {
      const res = await t.request({
        method: 'PUT',
        url: `/api/sandbox/accounts/${encodeURIComponent(phone)}`,
        payload: { registered: true, groupAddPrivacy: 'everyone', name: displayName },
      });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().name, displayName);
    };

    it('a text to a person: message.sent, then its delivered receipt; the recipient sees the sender’s name', async () => {
      const a = await createUnpacedInstance(t);
      const b = await createUnpacedInstance(t);
      await name(a.phone, 'Ana');
      const sent = await t.request({ method: 'POST', url: `/api/instances/${a.id}/messages`, payload: { chatId: b.phone, text: 'hello' } });
      assert.equal(sent.statusCode, 201, sent.body);
      const messageId = sent.json().id as string;

      const mine = (await log(a.id)).filter((e) => e.type.startsWith('message.'));
      assert.deepEqual(
        mine.map((e) => [e.type, e.data.messageId]),
        [
          ['message.sent', messageId],
          ['message.status', messageId],
        ],
      );
      const receipt = mine[1]!.data;
      assert.equal(receipt.status, 'delivered');
      assert.equal(receipt.chatId, `${b.phone.replace(/\D/g, '')}@s.whatsapp.net`);
      assert.match(String(receipt.timestamp), /^\d{4}-\d\d-\d\dT/);

      const received = (await log(b.id)).find((e) => e.type === 'message.received');
      assert.equal(received?.data.messageId, messageId);
      assert.equal(received?.data.senderName, 'Ana');
      assert.equal(received?.data.chatName, 'Ana', 'a person chat is named after the person');
      assert.equal(received?.data.text, 'hello');
    });

    it('a text to a group: members see the group subject as the chat name; an unnamed sender has an empty name', async () => {
      const a = await createUnpacedInstance(t);
      const b = await createUnpacedInstance(t);
      const created = await t.request({ method: 'POST', url: `/api/instances/${a.id}/groups`, payload: { name: 'Book club', participants: [b.phone] } });
      assert.equal(created.statusCode, 201, created.body);
      const groupId = created.json().id as string;
      const sent = await t.request({ method: 'POST', url: `/api/instances/${a.id}/messages`, payload: { chatId: groupId, text: 'welcome' } });
      assert.equal(sent.statusCode, 201, sent.body);

      const received = (await log(b.id)).find((e) => e.type === 'message.received');
      assert.equal(received?.data.chatId, groupId);
      assert.equal(received?.data.chatName, 'Book club');
      assert.equal(received?.data.senderName, '');
      const statuses = (await log(a.id)).filter((e) => e.type === 'message.status');
      assert.deepEqual(
        statuses.map((e) => [e.data.messageId, e.data.status, e.data.chatId]),
        [[sent.json().id, 'delivered', groupId]],
      );
    });

    it('a text nobody receives (a group with no other member) gets no receipt', async () => {
      const a = await createUnpacedInstance(t);
      const b = await createUnpacedInstance(t);
      const groupId = (await t.request({ method: 'POST', url: `/api/instances/${a.id}/groups`, payload: { name: 'Alone soon', participants: [b.phone] } })).json().id as string;
      const removed = await t.request({ method: 'DELETE', url: `/api/instances/${a.id}/groups/${encodeURIComponent(groupId)}/participants`, payload: { participants: [b.phone] } });
      assert.equal(removed.statusCode, 200, removed.body);
      const sent = await t.request({ method: 'POST', url: `/api/instances/${a.id}/messages`, payload: { chatId: groupId, text: 'anyone?' } });
      assert.equal(sent.statusCode, 201, sent.body);
      assert.deepEqual(
        (await log(a.id)).filter((e) => e.type === 'message.status'),
        [],
      );
    });
  });
}
