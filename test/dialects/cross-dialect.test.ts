/** One group, four APIs: made through Green API or Z-API, read the same through every other one. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUnpacedInstance, databaseKinds, startTestApp, type TestApp } from '../support/app.js';

for (const db of await databaseKinds()) {
  describe(`a group seen through every dialect (${db})`, () => {
    let t: TestApp;
    let a: Awaited<ReturnType<typeof createUnpacedInstance>>;
    let key: string;
    before(async () => {
      t = await startTestApp({ db });
      a = await createUnpacedInstance(t);
      key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: '2chat', instances: [a.id] } })).json().key;
    });
    after(() => t.close());

    /** The group's name and sorted +E164 participants as Z-API, 2Chat and the native API show them. */
    async function seenEverywhere(jid: string) {
      const zapi = await t.request({ method: 'GET', url: `/instances/${a.id}/token/${a.token}/group-metadata/${jid.replace('@g.us', '-group')}`, key: null });
      assert.equal(zapi.statusCode, 200, zapi.body);
      // 2Chat has never seen the group: it gets its uuid when first listed, at once.
      const list = await t.request({ method: 'GET', url: `/open/whatsapp/groups/${encodeURIComponent(`+${a.phone}`)}`, headers: { 'x-user-api-key': key }, key: null });
      assert.equal(list.statusCode, 200, list.body);
      const entry = (list.json().data as { uuid: string; wa_group_id: string; wa_group_name: string }[]).find((g) => g.wa_group_id === jid);
      assert.ok(entry, 'listed by 2Chat at once');
      const two = await t.request({ method: 'GET', url: `/open/whatsapp/group/${entry.uuid}`, headers: { 'x-user-api-key': key }, key: null });
      assert.equal(two.statusCode, 200, two.body);
      const native = await t.request({ method: 'GET', url: `/api/instances/${a.id}/groups/${encodeURIComponent(jid)}` });
      assert.equal(native.statusCode, 200, native.body);
      return {
        zapi: { name: zapi.json().subject, people: (zapi.json().participants as { phone: string }[]).map((p) => `+${p.phone}`).sort() },
        twoChat: { name: entry.wa_group_name, people: (two.json().data.participants as { phone_number: string }[]).map((p) => p.phone_number).sort() },
        native: { name: native.json().name, people: (native.json().participants as { phone: string }[]).map((p) => p.phone).sort() },
      };
    }

    it('created through Green API: the same name and participants through Z-API, 2Chat and the native API', async () => {
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
      assert.match(created.json().groupInviteLink, /^https:\/\/chat\.whatsapp\.com\/[A-Za-z0-9_-]{22}$/);
      const expected = { name: 'Four APIs', people: [`+${a.phone}`, ...phones.map((p) => `+${p}`)].sort() };
      assert.deepEqual(await seenEverywhere(jid), { zapi: expected, twoChat: expected, native: expected });
    });

    it('created through Z-API: the same through 2Chat and the native API', async () => {
      const phones = ['5511966660001', '5511966660002', '5511966660003'];
      const created = await t.request({
        method: 'POST',
        url: `/instances/${a.id}/token/${a.token}/create-group`,
        payload: { groupName: 'Three APIs', phones, autoInvite: true },
        key: null,
      });
      assert.equal(created.statusCode, 200, created.body);
      const jid = (created.json().phone as string).replace(/-group$/, '@g.us');
      const expected = { name: 'Three APIs', people: [`+${a.phone}`, ...phones.map((p) => `+${p}`)].sort() };
      assert.deepEqual(await seenEverywhere(jid), { zapi: expected, twoChat: expected, native: expected });
    });
  });
}
