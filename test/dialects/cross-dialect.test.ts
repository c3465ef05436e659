/** One group, four APIs: made through Green API, read through Z-API, 2Chat and the native API. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUnpacedInstance, databaseKinds, startTestApp, type TestApp } from '../helpers/app.js';

for (const db of await databaseKinds()) {
  describe(`a group created through Green API (${db})`, () => {
    let t: TestApp;
    let a: Awaited<ReturnType<typeof createUnpacedInstance>>;
    let key: string;
    before(async () => {
      t = await startTestApp({ db });
      a = await createUnpacedInstance(t);
      key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: '2chat', instances: [a.id] } })).json().key;
    });
    after(() => t.close());

    it('has the same participants through Z-API group-metadata, 2Chat group/{uuid} and the native API', async () => {
      const phones = ['5511977710001', '5511977710002', '5511977710003'];
      const created = await t.request({
        method: 'POST',
        url: `/waInstance${a.idInstance}/createGroup/${a.token}`,
        payload: { groupName: 'Four APIs', chatIds: phones.map((p) => `${p}@c.us`) },
        key: null,
      });
      assert.equal(created.statusCode, 200, created.body);
      assert.equal(created.json().created, true);
      const jid = created.json().chatId as string;
      assert.match(jid, /^120363\d{12}@g\.us$/);
      assert.equal(created.json().groupInviteLink.startsWith('https://chat.whatsapp.com/'), true, 'an invite link');

      const zapi = await t.request({ method: 'GET', url: `/instances/${a.id}/token/${a.token}/group-metadata/${jid.replace('@g.us', '-group')}`, key: null });
      assert.equal(zapi.statusCode, 200, zapi.body);
      assert.equal(zapi.json().subject, 'Four APIs');
      const zapiPeople = (zapi.json().participants as { phone: string }[]).map((p) => `+${p.phone}`).sort();

      const list = await t.request({ method: 'GET', url: `/open/whatsapp/groups/${encodeURIComponent(`+${a.phone}`)}`, headers: { 'x-user-api-key': key }, key: null });
      assert.equal(list.statusCode, 200, list.body);
      const entry = (list.json().data as { uuid: string; wa_group_id: string }[]).find((g) => g.wa_group_id === jid);
      assert.ok(entry, 'listed by 2Chat at once');
      const two = await t.request({ method: 'GET', url: `/open/whatsapp/group/${entry.uuid}`, headers: { 'x-user-api-key': key }, key: null });
      assert.equal(two.statusCode, 200, two.body);
      const twoPeople = (two.json().data.participants as { phone_number: string }[]).map((p) => p.phone_number).sort();

      const native = await t.request({ method: 'GET', url: `/api/instances/${a.id}/groups/${encodeURIComponent(jid)}` });
      assert.equal(native.statusCode, 200, native.body);
      const nativePeople = (native.json().participants as { phone: string }[]).map((p) => p.phone).sort();

      const expected = [`+${a.phone}`, ...phones.map((p) => `+${p}`)].sort();
      assert.deepEqual(zapiPeople, expected);
      assert.deepEqual(twoPeople, expected);
      assert.deepEqual(nativePeople, expected);
    });
  });
}
