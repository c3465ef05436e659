/**
 * The official Green API JavaScript client (v2) works against groupgate unchanged: only its base URL
 * (`buildUrl()`) is pointed at the test server. The v1 client (`@green-api/whatsapp-api-client`)
 * cannot be installed from this registry (it depends on npm's `fs` placeholder), so it is not run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GreenApiClient } from '@green-api/whatsapp-api-client-js-v2';
import { createUnpacedInstance, startTestApp, type TestApp } from '../../support/app.js';
import { cus, type GreenInstance } from './green-api-helpers.js';

/** The official client, unchanged but for its host; its console logger is silenced. */
function clientFor(base: string, instance: GreenInstance): GreenApiClient {
  class LocalClient extends GreenApiClient {
    protected override buildUrl(): string {
      return `${base}/waInstance${this.instance.idInstance}`;
    }
  }
  const client = new LocalClient({ idInstance: Number(instance.idInstance), apiTokenInstance: instance.token });
  const quiet = new Proxy({}, { get: () => () => {} });
  Object.defineProperty(client, 'logger', { value: quiet });
  return client;
}

describe('official Green API client v2 against groupgate', () => {
  let t: TestApp;
  let a: GreenInstance;
  let b: GreenInstance;
  let client: GreenApiClient;

  before(async () => {
    t = await startTestApp();
    a = await createUnpacedInstance(t);
    b = await createUnpacedInstance(t);
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    client = clientFor(base, a);
  });
  after(() => t.close());

  test('getStateInstance', async () => {
    assert.deepEqual(await client.getStateInstance(), { stateInstance: 'authorized' });
  });

  test('the group methods, end to end', async () => {
    const other = '79001239999@c.us';
    const created = await client.createGroup({ groupName: 'Official client', chatIds: [cus(b)] });
    assert.equal(created.created, true);
    assert.match(created.chatId, /^\d+@g\.us$/);
    assert.match(created.groupInviteLink, /^https:\/\/chat\.whatsapp\.com\//);
    const groupId = created.chatId;

    assert.deepEqual(await client.addGroupParticipant({ groupId, participantChatId: other }), { addParticipant: true });
    let data = await client.getGroupData({ groupId });
    assert.equal(data.subject, 'Official client');
    assert.equal(data.owner, cus(a));
    assert.equal(data.groupInviteLink, created.groupInviteLink);
    assert.deepEqual(data.participants, [
      { id: cus(a), isAdmin: true, isSuperAdmin: true },
      { id: cus(b), isAdmin: false, isSuperAdmin: false },
      { id: other, isAdmin: false, isSuperAdmin: false },
    ]);

    assert.deepEqual(await client.setGroupAdmin({ groupId, participantChatId: cus(b) }), { setGroupAdmin: true });
    data = await client.getGroupData({ groupId });
    assert.equal(data.participants.find((p) => p.id === cus(b))?.isAdmin, true);
    assert.deepEqual(await client.removeAdmin({ groupId, participantChatId: cus(b) }), { removeAdmin: true });
    assert.deepEqual(await client.updateGroupName({ groupId, groupName: 'Renamed by client' }), { updateGroupName: true });
    assert.deepEqual(await client.removeGroupParticipant({ groupId, participantChatId: other }), { removeParticipant: true });
    data = await client.getGroupData({ groupId });
    assert.equal(data.subject, 'Renamed by client');
    assert.deepEqual(
      data.participants.map((p) => p.id),
      [cus(a), cus(b)],
    );

    assert.deepEqual(await client.leaveGroup({ groupId }), { leaveGroup: true });
    const native = await t.request({ method: 'GET', url: `/api/instances/${a.id}/groups/${encodeURIComponent(groupId)}` });
    assert.equal(native.statusCode, 404);
  });

  test('receiveNotification and deleteNotification', async () => {
    const first = await client.receiveNotification(5);
    assert.ok(first);
    assert.equal(first.receiptId, 1);
    assert.equal((first.body as { typeWebhook: string }).typeWebhook, 'stateInstanceChanged');
    assert.deepEqual(await client.deleteNotification(first.receiptId), { result: true });
    const second = await client.receiveNotification(5);
    assert.equal(second?.receiptId, 2);
  });

  test('a wrong token surfaces as the client error for 401', async () => {
    const base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const wrong = clientFor(base, { ...a, token: 'wrong-token' });
    await assert.rejects(wrong.getStateInstance(), /401/);
  });
});
