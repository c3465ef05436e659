/** The 2Chat dialect over HTTP on the sandbox: exact bodies and status codes. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSandboxInstance, createUnpacedInstance, databaseKinds, seedPrivacy, startTestApp, type TestApp } from '../../support/app.js';

type Inst = Awaited<ReturnType<typeof createSandboxInstance>>;

const P1 = '+5511977770001';
const P2 = '+5511977770002';
const P3 = '+5511977770003';
const NOBODY = '+5511977770009';
const UNREGISTERED = '+5511977770008';
const UUID = /^WAG[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const ADDED = { statusCode: 200, message: 'The participant was added successfully', isInviteV4Sent: false };
const ALREADY = { statusCode: 409, message: 'The participant is already in the group', isInviteV4Sent: false };

for (const db of await databaseKinds()) {
  describe(`2chat dialect (${db})`, () => {
    let t: TestApp;
    let a: Inst;
    let b: Inst;
    let key: string; // admin-made key scoped to A and B
    let uuid: string;
    let waGroupId: string;

    const chat = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: Record<string, unknown>, apiKey: string | null = key) =>
      t.request({ method, url: `/open/whatsapp${url}`, ...(payload ? { payload } : {}), headers: apiKey === null ? {} : { 'x-user-api-key': apiKey }, key: null });

    before(async () => {
      t = await startTestApp({ db });
      a = await createUnpacedInstance(t, { name: 'A' });
      b = await createUnpacedInstance(t, { name: 'B' });
      await seedPrivacy(t, NOBODY, { registered: true, groupAddPrivacy: 'nobody' });
      await seedPrivacy(t, UNREGISTERED, { registered: false, groupAddPrivacy: 'everyone' });
      const res = await t.request({ method: 'POST', url: '/api/keys', payload: { name: '2chat', instances: [a.id, b.id] } });
      key = res.json().key;
    });
    after(() => t.close());

    describe('happy path', () => {
      it('group/create answers the seed 004 shape, per number', async () => {
        const res = await chat('POST', '/group/create', {
          from_number: `+${a.phone}`,
          group: { name: 'My cool WhatsApp group', description: 'About', participants: [P1, NOBODY, UNREGISTERED] },
        });
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json() as { group: { uuid: string; wa_group_id: string } };
        assert.match(body.group.uuid, UUID);
        assert.match(body.group.wa_group_id, /^\d+@g\.us$/);
        uuid = body.group.uuid;
        waGroupId = body.group.wa_group_id;
        assert.deepEqual(body, {
          success: true,
          group: {
            name: 'My cool WhatsApp group',
            wa_group_id: waGroupId,
            participants: {
              [`+${a.phone}`]: { statusCode: 200, message: 'The participant was added successfully', isGroupCreator: true, isInviteV4Sent: false },
              [P1]: { ...ADDED, isGroupCreator: false },
              [NOBODY]: {
                statusCode: 403,
                message: "The participant can't be added to the group because of their privacy settings; an invitation to join was sent privately",
                isGroupCreator: false,
                isInviteV4Sent: true,
              },
              [UNREGISTERED]: { statusCode: 404, message: 'The number is not registered on WhatsApp', isGroupCreator: false, isInviteV4Sent: false },
            },
            accepted_numbers: [P1],
            unaccepted_numbers: [NOBODY, UNREGISTERED],
            uuid,
          },
        });
        assert.deepEqual(Object.keys(body.group), ['name', 'wa_group_id', 'participants', 'accepted_numbers', 'unaccepted_numbers', 'uuid']);
      });

      it('the new group is listed at once, and group/{uuid} shows it', async () => {
        const list = await chat('GET', `/groups/${encodeURIComponent(`+${a.phone}`)}`);
        assert.equal(list.statusCode, 200, list.body);
        const data = list.json().data as Record<string, unknown>[];
        assert.equal(data.length, 1);
        const summary = {
          uuid,
          wa_group_id: waGroupId,
          wa_owner_id: `${a.phone}@c.us`,
          wa_group_name: 'My cool WhatsApp group',
          wa_subject: 'About',
          wa_created_at: data[0]!.wa_created_at,
          size: 2,
          is_muted: false,
          is_read_only: false,
          read_only: false,
          channel_is_owner: true,
          profile_pic_url: null,
          owner_contact: null,
        };
        assert.deepEqual(list.json(), { success: true, data: [summary], count: 1 });
        assert.match(String(data[0]!.wa_created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        const one = await chat('GET', `/group/${uuid}`);
        assert.equal(one.statusCode, 200, one.body);
        assert.deepEqual(one.json(), {
          success: true,
          data: {
            ...summary,
            participants: [
              { wa_participant_id: `${a.phone}@c.us`, wa_pushname: null, wa_is_admin: true, wa_is_super_admin: true, phone_number: `+${a.phone}` },
              { wa_participant_id: `${P1.slice(1)}@c.us`, wa_pushname: null, wa_is_admin: false, wa_is_super_admin: false, phone_number: P1 },
            ],
          },
        });
        // listing again keeps the same uuid
        assert.equal((await chat('GET', `/groups/${encodeURIComponent(`+${a.phone}`)}`)).json().data[0].uuid, uuid);
      });

      it('add-participant answers per number; an already-present number is 409 in the map', async () => {
        const res = await chat('POST', `/group/${uuid}/add-participant`, { from_number: `+${a.phone}`, participants: [P1, P2] });
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(res.json(), { success: true, participants: { [P1]: ALREADY, [P2]: ADDED } });
        const all = await chat('POST', `/group/${uuid}/add-participant`, { from_number: `+${a.phone}`, participants: [P1, P2] });
        assert.equal(all.statusCode, 200, all.body);
        assert.deepEqual(all.json(), { success: true, participants: { [P1]: ALREADY, [P2]: ALREADY } });
      });

      it('promote, demote and remove answer accepted / unaccepted numbers', async () => {
        const promote = await chat('POST', `/group/${uuid}/promote-participant`, { from_number: `+${a.phone}`, participants: [P2, P3] });
        assert.deepEqual(promote.json(), { success: true, participants: { accepted_numbers: [P2], unaccepted_numbers: [P3] } });
        const shown = (await chat('GET', `/group/${uuid}`)).json().data.participants as { phone_number: string; wa_is_admin: boolean }[];
        assert.equal(shown.find((p) => p.phone_number === P2)!.wa_is_admin, true);
        const demote = await chat('POST', `/group/${uuid}/demote-participant`, { from_number: `+${a.phone}`, participants: [P2] });
        assert.deepEqual(demote.json(), { success: true, participants: { accepted_numbers: [P2], unaccepted_numbers: [] } });
        const before = Math.floor(Date.now() / 1000);
        const remove = await chat('POST', `/group/${uuid}/remove-participant`, { from_number: `+${a.phone}`, participants: [P2, P3] });
        const stamp = remove.json().participants.timestamp as number;
        assert.ok(Number.isInteger(stamp) && stamp >= before && stamp <= Math.floor(Date.now() / 1000) + 1, String(stamp));
        assert.deepEqual(remove.json(), { success: true, participants: { timestamp: stamp, accepted_numbers: [P2], unaccepted_numbers: [P3] } });
        assert.deepEqual(Object.keys(remove.json().participants), ['timestamp', 'accepted_numbers', 'unaccepted_numbers']);
        const none = await chat('POST', `/group/${uuid}/remove-participant`, { from_number: `+${a.phone}`, participants: [P3] });
        assert.equal(none.statusCode, 200, none.body);
        assert.deepEqual(none.json(), { success: true, participants: { timestamp: none.json().participants.timestamp, accepted_numbers: [], unaccepted_numbers: [P3] } });
      });

      it('set-description', async () => {
        const res = await chat('POST', `/group/${uuid}/set-description`, { from_number: `+${a.phone}`, description: 'New text' });
        assert.deepEqual(res.json(), { success: true });
        assert.equal((await chat('GET', `/group/${uuid}`)).json().data.wa_subject, 'New text');
      });
    });

    describe('errors', () => {
      it('more than 10 participants is 400', async () => {
        const many = Array.from({ length: 11 }, (_, i) => `+55119777701${String(i).padStart(2, '0')}`);
        const res = await chat('POST', '/group/create', { from_number: `+${a.phone}`, group: { name: 'Too many', participants: many } });
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), { success: false, message: 'You can send up to 10 participants per request; add the rest with add-participant' });
        const add = await chat('POST', `/group/${uuid}/add-participant`, { from_number: `+${a.phone}`, participants: many });
        assert.equal(add.statusCode, 400);
      });

      it('a number not in E.164 with its + is 422', async () => {
        const res = await chat('POST', '/group/create', { from_number: `+${a.phone}`, group: { name: 'x', participants: [P1, P2.slice(1)] } });
        assert.equal(res.statusCode, 422);
        assert.deepEqual(res.json(), {
          detail: [{ loc: ['body', 'group', 'participants', 1], msg: 'value is not a valid phone number in E.164 format (+<country code><number>)', type: 'value_error.phone' }],
        });
        const from = await chat('POST', '/group/create', { from_number: a.phone, group: { name: 'x', participants: [P1] } });
        assert.equal(from.statusCode, 422);
        assert.deepEqual(from.json().detail[0].loc, ['body', 'from_number']);
        const jid = await chat('POST', `/group/${uuid}/add-participant`, { from_number: `+${a.phone}`, participants: [`${P3.slice(1)}@s.whatsapp.net`] });
        assert.equal(jid.statusCode, 422);
        const missing = await chat('POST', '/group/create', { group: { name: 'x', participants: [P1] } });
        assert.equal(missing.statusCode, 422);
        assert.deepEqual(missing.json().detail[0].loc, ['body', 'from_number']);
      });

      it('an unknown uuid or number is 404, a wrong method 405', async () => {
        const unknown = await chat('GET', '/group/WAG00000000-0000-4000-8000-000000000000');
        assert.equal(unknown.statusCode, 404);
        assert.equal(unknown.json().success, false);
        const number = await chat('GET', `/groups/${encodeURIComponent('+5511977770055')}`);
        assert.equal(number.statusCode, 404);
        assert.deepEqual(number.json(), { success: false, message: 'the number +5511977770055 is not connected to this account' });
        const method = await chat('PUT', '/group/create', {});
        assert.equal(method.statusCode, 405);
        assert.deepEqual(method.json(), { detail: 'Method Not Allowed' });
        const path = await chat('GET', '/nothing');
        assert.deepEqual([path.statusCode, path.json()], [404, { detail: 'Not Found' }]);
      });

      it('a member that is not an admin is refused with 403', async () => {
        const link = (await t.request({ method: 'GET', url: `/api/instances/${a.id}/groups/${waGroupId}/invite-code` })).json().code as string;
        assert.equal((await t.request({ method: 'POST', url: `/api/instances/${b.id}/groups/join`, payload: { code: link } })).statusCode, 200);
        const res = await chat('POST', `/group/${uuid}/add-participant`, { from_number: `+${b.phone}`, participants: [P3] });
        assert.equal(res.statusCode, 403);
        assert.deepEqual(res.json(), { success: false, message: 'the instance is not an admin of this group' });
      });
    });

    describe('pacing', () => {
      it('a second creation too soon is 429; pacing never makes 2Chat answer 202', async () => {
        const c = await createSandboxInstance(t, { name: 'paced' });
        const create = (name: string) =>
          t.request({
            method: 'POST',
            url: '/open/whatsapp/group/create',
            payload: { from_number: `+${c.phone}`, group: { name, participants: [P1] } },
            headers: { 'x-user-api-key': 'test-admin-key-0123456789abcdef' },
            key: null,
          });
        const first = await create('First');
        assert.equal(first.statusCode, 200, first.body);
        const second = await create('Second');
        assert.equal(second.statusCode, 429, second.body);
        assert.equal(second.json().success, false);
        assert.ok(Number(second.headers['retry-after']) > 0);
        const many = Array.from({ length: 6 }, (_, i) => `+55119777702${String(i).padStart(2, '0')}`);
        const add = await t.request({
          method: 'POST',
          url: `/open/whatsapp/group/${first.json().group.uuid}/add-participant`,
          payload: { from_number: `+${c.phone}`, participants: many },
          headers: { 'x-user-api-key': 'test-admin-key-0123456789abcdef' },
          key: null,
        });
        assert.notEqual(add.statusCode, 202, add.body);
        if (add.statusCode !== 200) {
          assert.equal(add.json().success, false, add.body);
          assert.match(add.json().message, /pacing|already started/);
        }
      });
    });

    describe('security', () => {
      it('no key is 403, a wrong key 401', async () => {
        const none = await chat('GET', `/group/${uuid}`, undefined, null);
        assert.deepEqual([none.statusCode, none.json()], [403, { detail: 'Not authenticated' }]);
        const wrong = await chat('GET', `/group/${uuid}`, undefined, 'gg_wrong');
        assert.deepEqual([wrong.statusCode, wrong.json()], [401, { detail: 'Invalid API Key' }]);
        const token = await chat('GET', `/group/${uuid}`, undefined, a.token);
        assert.deepEqual([token.statusCode, token.json()], [401, { detail: 'Invalid API Key' }]);
      });

      it("a scoped key sees only its instances' numbers and groups", async () => {
        const onlyB = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'b', instances: [b.id] } })).json().key as string;
        const list = await chat('GET', `/groups/${encodeURIComponent(`+${a.phone}`)}`, undefined, onlyB);
        assert.equal(list.statusCode, 404);
        assert.equal((await chat('GET', `/group/${uuid}`, undefined, onlyB)).statusCode, 404);
        const create = await chat('POST', '/group/create', { from_number: `+${a.phone}`, group: { name: 'x', participants: [P1] } }, onlyB);
        assert.equal(create.statusCode, 404);
        assert.equal((await chat('GET', `/groups/${encodeURIComponent(`+${b.phone}`)}`, undefined, onlyB)).statusCode, 200);
      });
    });
  });
}
