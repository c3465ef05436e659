/** One group, three APIs: made through Z-API, read through 2Chat and the native API. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUnpacedInstance, databaseKinds, startTestApp, type TestApp } from '../helpers/app.js';

for (const db of await databaseKinds()) {
  describe(`a group created through Z-API (${db})`, () => {
    let t: TestApp;
    let a: Awaited<ReturnType<typeof createUnpacedInstance>>;
    let key: string;
    before(async () => {
      t = await startTestApp({ db });
      a = await createUnpacedInstance(t);
      key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: '2chat', instances: [a.id] } })).json().key;
    });
    after(() => t.close());

    it('is visible with the same participants through 2Chat and the native API', async () => {
      const phones = ['5511966660001', '5511966660002', '5511966660003'];
      const created = await t.request({
        method: 'POST',
        url: `/instances/${a.id}/token/${a.token}/create-group`,
        payload: { groupName: 'Three APIs', phones, autoInvite: true },
        key: null,
      });
      assert.equal(created.statusCode, 200, created.body);
      const zapiId = created.json().phone as string;
      const jid = zapiId.replace(/-group$/, '@g.us');

      const zapiMeta = (await t.request({ method: 'GET', url: `/instances/${a.id}/token/${a.token}/light-group-metadata/${zapiId}`, key: null })).json();
      const zapiPeople = (zapiMeta.participants as { phone: string }[]).map((p) => `+${p.phone}`).sort();

      // 2Chat has never seen the group: it gets its uuid when first listed.
      const list = await t.request({ method: 'GET', url: `/open/whatsapp/groups/${encodeURIComponent(`+${a.phone}`)}`, headers: { 'x-user-api-key': key }, key: null });
      assert.equal(list.statusCode, 200, list.body);
      const entry = (list.json().data as { uuid: string; wa_group_id: string; wa_group_name: string }[]).find((g) => g.wa_group_id === jid);
      assert.ok(entry);
      assert.equal(entry.wa_group_name, 'Three APIs');
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
      assert.equal(native.json().name, 'Three APIs');
    });
  });
}
