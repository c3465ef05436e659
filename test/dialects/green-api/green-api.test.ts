/** Green API dialect: the group methods over HTTP on the sandbox, exact bodies and statuses. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUnpacedInstance, databaseKinds, seedPrivacy, startTestApp, type TestApp } from '../../support/app.js';
import { cus, green, JPEG, multipartBody, PNG, type GreenInstance } from './green-api-helpers.js';

const LINK = /^https:\/\/chat\.whatsapp\.com\/[A-Za-z0-9_-]{10,40}$/;
const PRIVATE = '79001230001'; // privacy: nobody
const ABSENT = '79001230002'; // not on WhatsApp
const PLAIN = '79001230003'; // anyone may add

for (const db of await databaseKinds()) {
  describe(`Green API groups (${db})`, () => {
    let t: TestApp;
    let a: GreenInstance;
    let b: GreenInstance;
    let groupId: string;

    before(async () => {
      t = await startTestApp({ db });
      a = await createUnpacedInstance(t);
      b = await createUnpacedInstance(t);
      await seedPrivacy(t, PRIVATE, { registered: true, groupAddPrivacy: 'nobody' });
      await seedPrivacy(t, ABSENT, { registered: false, groupAddPrivacy: 'everyone' });
    });
    after(() => t.close());

    const native = async (instanceId: string, gid: string) =>
      (await t.request({ method: 'GET', url: `/api/instances/${instanceId}/groups/${encodeURIComponent(gid)}` })).json() as {
        name: string;
        settings: { announcement: boolean; locked: boolean };
        createdAt: string;
        participants: { phone: string; role: string; lid: string | null }[];
      };
    /** The LID groupgate knows for a person of a group (Green API's participants[].lid). */
    const lidOf = async (gid: string, digits: string) => (await native(a.id, gid)).participants.find((p) => p.phone === `+${digits}`)!.lid!;

    describe('happy path', () => {
      test('createGroup answers {created, chatId, groupInviteLink} and the group exists with its participants', async () => {
        const res = await green(t, a, 'createGroup', { payload: { groupName: 'Customers', chatIds: [cus(b), `${PRIVATE}@c.us`] } });
        assert.equal(res.statusCode, 200);
        const body = res.json();
        assert.deepEqual(Object.keys(body), ['created', 'chatId', 'groupInviteLink']);
        assert.equal(body.created, true);
        assert.match(body.chatId, /^\d+@g\.us$/);
        assert.match(body.groupInviteLink, LINK);
        groupId = body.chatId;
        const g = await native(a.id, groupId);
        assert.equal(g.name, 'Customers');
        // The number whose privacy refuses adds is not in the group (it was sent an invite).
        assert.deepEqual(g.participants.map((p) => p.phone).sort(), [`+${a.phone}`, `+${b.phone}`].sort());
      });

      test('getGroupData answers the group in Green API form, people as @c.us', async () => {
        const res = await green(t, a, 'getGroupData', { payload: { groupId } });
        assert.equal(res.statusCode, 200);
        const g = await native(a.id, groupId);
        const created = Math.floor(Date.parse(g.createdAt) / 1000);
        const link = await t.request({ method: 'GET', url: `/api/instances/${a.id}/groups/${encodeURIComponent(groupId)}/invite-code` });
        assert.deepEqual(res.json(), {
          groupId,
          owner: cus(a),
          subject: 'Customers',
          creation: created,
          participants: [
            { id: cus(a), lid: await lidOf(groupId, a.phone), isAdmin: true, isSuperAdmin: true },
            { id: cus(b), lid: await lidOf(groupId, b.phone), isAdmin: false, isSuperAdmin: false },
          ],
          subjectTime: created,
          subjectOwner: cus(a),
          groupInviteLink: link.json().link,
          ephemeralExpiration: 0,
          allowParticipantsEditGroupSettings: false,
          allowParticipantsSendMessages: true,
          allowParticipantsAddMembers: false,
          isCommunity: false,
          isCommunityAnnounce: false,
          size: 2,
        });
      });

      test('getGroupData by a member that is not admin has an empty groupInviteLink', async () => {
        const res = await green(t, b, 'getGroupData', { payload: { groupId } });
        assert.equal(res.statusCode, 200);
        assert.equal(res.json().groupInviteLink, '');
        assert.equal(res.json().owner, cus(a));
      });

      test('updateGroupName renames the group', async () => {
        const res = await green(t, a, 'updateGroupName', { payload: { groupId, groupName: 'Customers 2026' } });
        assert.equal(res.statusCode, 200);
        assert.deepEqual(res.json(), { updateGroupName: true });
        assert.equal((await native(a.id, groupId)).name, 'Customers 2026');
        const data = (await green(t, a, 'getGroupData', { payload: { groupId } })).json();
        assert.equal(data.subject, 'Customers 2026');
        assert.equal(data.subjectOwner, cus(a));
      });

      test('updateGroupSettings maps the two Green API switches', async () => {
        const res = await green(t, a, 'updateGroupSettings', { payload: { groupId, allowParticipantsEditGroupSettings: true, allowParticipantsSendMessages: false } });
        assert.equal(res.statusCode, 200);
        assert.deepEqual(res.json(), { updateGroupSettings: true });
        const s = (await native(a.id, groupId)).settings;
        assert.equal(s.locked, false);
        assert.equal(s.announcement, true);
        const back = await green(t, a, 'updateGroupSettings', { payload: { groupId, allowParticipantsEditGroupSettings: false, allowParticipantsSendMessages: true } });
        assert.deepEqual(back.json(), { updateGroupSettings: true });
        assert.deepEqual((({ locked, announcement }) => ({ locked, announcement }))((await native(a.id, groupId)).settings), { locked: true, announcement: false });
      });

      test('addGroupParticipant, setGroupAdmin, removeAdmin, removeGroupParticipant', async () => {
        const add = await green(t, a, 'addGroupParticipant', { payload: { groupId, participantChatId: `${PLAIN}@c.us` } });
        assert.deepEqual([add.statusCode, add.json()], [200, { addParticipant: true }]);
        const promote = await green(t, a, 'setGroupAdmin', { payload: { groupId, participantChatId: `${PLAIN}@c.us` } });
        assert.deepEqual([promote.statusCode, promote.json()], [200, { setGroupAdmin: true }]);
        let data = (await green(t, a, 'getGroupData', { payload: { groupId } })).json();
        assert.deepEqual(
          data.participants.find((p: { id: string }) => p.id === `${PLAIN}@c.us`),
          { id: `${PLAIN}@c.us`, lid: await lidOf(groupId, PLAIN), isAdmin: true, isSuperAdmin: false },
        );
        const demote = await green(t, a, 'removeAdmin', { payload: { groupId, participantChatId: `${PLAIN}@c.us` } });
        assert.deepEqual([demote.statusCode, demote.json()], [200, { removeAdmin: true }]);
        data = (await green(t, a, 'getGroupData', { payload: { groupId } })).json();
        assert.equal(data.participants.find((p: { id: string }) => p.id === `${PLAIN}@c.us`).isAdmin, false);
        const remove = await green(t, a, 'removeGroupParticipant', { payload: { groupId, participantChatId: `${PLAIN}@c.us` } });
        assert.deepEqual([remove.statusCode, remove.json()], [200, { removeParticipant: true }]);
        assert.ok(!(await native(a.id, groupId)).participants.some((p) => p.phone === `+${PLAIN}`));
        assert.equal((await native(a.id, groupId)).participants.length, 2);
      });

      test('setGroupPicture takes a multipart JPEG', async () => {
        const { payload, headers } = multipartBody({ groupId }, { field: 'file', filename: 'avatar.jpg', type: 'image/jpeg', data: JPEG });
        const res = await green(t, a, 'setGroupPicture', { verb: 'POST', payload, headers });
        assert.equal(res.statusCode, 200);
        assert.deepEqual(res.json(), { setGroupPicture: true, urlAvatar: '', reason: '' });
      });
    });

    describe('group-level failures are HTTP 200 with the flag false', () => {
      test('addGroupParticipant: already a member, refused by privacy, not on WhatsApp, not a phone', async () => {
        for (const participantChatId of [cus(b), `${PRIVATE}@c.us`, `${ABSENT}@c.us`, 'not-a-phone@c.us']) {
          const res = await green(t, a, 'addGroupParticipant', { payload: { groupId, participantChatId } });
          assert.deepEqual([res.statusCode, res.json()], [200, { addParticipant: false }], participantChatId);
        }
      });

      test('removeGroupParticipant: not a member, or a wrong participantChatId (seed 003)', async () => {
        for (const participantChatId of [`${ABSENT}@c.us`, '12@c.us']) {
          const res = await green(t, a, 'removeGroupParticipant', { payload: { groupId, participantChatId } });
          assert.deepEqual([res.statusCode, res.json()], [200, { removeParticipant: false }], participantChatId);
        }
      });

      test('setGroupAdmin of someone not in the group carries an error text; removeAdmin is false', async () => {
        const res = await green(t, a, 'setGroupAdmin', { payload: { groupId, participantChatId: `${ABSENT}@c.us` } });
        assert.deepEqual([res.statusCode, res.json()], [200, { setGroupAdmin: false, error: 'participant not found' }]);
        const demote = await green(t, a, 'removeAdmin', { payload: { groupId, participantChatId: `${ABSENT}@c.us` } });
        assert.deepEqual([demote.statusCode, demote.json()], [200, { removeAdmin: false }]);
      });

      test('a member that is not admin cannot rename, change settings, add or set the picture', async () => {
        assert.deepEqual((await green(t, b, 'updateGroupName', { payload: { groupId, groupName: 'Mine' } })).json(), { updateGroupName: false });
        assert.deepEqual((await green(t, b, 'updateGroupSettings', { payload: { groupId, allowParticipantsSendMessages: true } })).json(), {
          updateGroupSettings: false,
          reason: 'NOT_ENOUGH_RIGHTS',
        });
        assert.deepEqual((await green(t, b, 'addGroupParticipant', { payload: { groupId, participantChatId: `${PLAIN}@c.us` } })).json(), { addParticipant: false });
        const { payload, headers } = multipartBody({ groupId }, { field: 'file', filename: 'a.jpg', type: 'image/jpeg', data: JPEG });
        const pic = await green(t, b, 'setGroupPicture', { verb: 'POST', payload, headers });
        assert.deepEqual([pic.statusCode, pic.json()], [200, { setGroupPicture: false, urlAvatar: null, reason: 'NOT_ENOUGH_RIGHTS' }]);
      });

      test('an unknown group: false flags, and getGroupData answers "Error: item-not-found"', async () => {
        const unknown = '120363000000000099@g.us';
        assert.deepEqual((await green(t, a, 'updateGroupName', { payload: { groupId: unknown, groupName: 'x' } })).json(), { updateGroupName: false });
        assert.deepEqual((await green(t, a, 'leaveGroup', { payload: { groupId: unknown } })).json(), { leaveGroup: false });
        const data = await green(t, a, 'getGroupData', { payload: { groupId: unknown } });
        assert.equal(data.statusCode, 200);
        assert.equal(data.body, '"Error: item-not-found"');
      });
    });

    describe('validation is 400 in Green API form', () => {
      const cases: [string, unknown, string][] = [
        ['createGroup', { chatIds: [] }, '"groupName" is required'],
        ['createGroup', { groupName: 'x'.repeat(101), chatIds: ['79001230003@c.us'] }, '"groupName" length must be less than or equal to 100 characters long'],
        ['createGroup', { groupName: 'x', chatIds: '79001230003@c.us' }, '"chatIds" must be a array'],
        ['updateGroupName', { groupId: '120363000000000099@g.us' }, '"groupName" is required'],
        ['getGroupData', {}, '"groupId" is required'],
        ['addGroupParticipant', { groupId: '120363000000000099@g.us' }, '"participantChatId" is required'],
        ['removeGroupParticipant', { groupId: 7, participantChatId: '79001230003@c.us' }, '"groupId" must be a string'],
      ];
      for (const [method, payload, detail] of cases) {
        test(`${method} ${JSON.stringify(payload).slice(0, 60)}`, async () => {
          const res = await green(t, a, method, { payload });
          assert.equal(res.statusCode, 400);
          assert.deepEqual(res.json(), { statusCode: 400, message: `Validation failed. Details: ${detail}` });
        });
      }

      test('a groupId that is not a group id', async () => {
        const res = await green(t, a, 'getGroupData', { payload: { groupId: '79001230003@c.us' } });
        assert.equal(res.statusCode, 400);
        assert.match(res.json().message, /^Validation failed\. Details: invalid group id/);
      });

      test('updateGroupSettings without any switch', async () => {
        const res = await green(t, a, 'updateGroupSettings', { payload: { groupId } });
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), {
          statusCode: 400,
          message: 'Validation failed. Details: "allowParticipantsEditGroupSettings" or "allowParticipantsSendMessages" is required',
        });
      });

      test("setGroupPicture: no file, an empty file, not an image, not multipart: Green API's 400s", async () => {
        const send = (body: ReturnType<typeof multipartBody>) => green(t, a, 'setGroupPicture', { verb: 'POST', payload: body.payload, headers: body.headers });
        const noFile = await send(multipartBody({ groupId }));
        assert.deepEqual([noFile.statusCode, noFile.json()], [400, { statusCode: 400, message: 'Validation failed. Details: "file" is required' }]);
        const empty = await send(multipartBody({ groupId }, { field: 'file', filename: 'a.jpg', type: 'image/jpeg', data: Buffer.alloc(0) }));
        assert.deepEqual([empty.statusCode, empty.json()], [400, { statusCode: 400, message: 'File is empty' }]);
        const text = await send(multipartBody({ groupId }, { field: 'file', filename: 'a.jpg', type: 'image/jpeg', data: Buffer.from('not an image') }));
        assert.deepEqual([text.statusCode, text.json()], [400, { statusCode: 400, message: 'Unsupported media type' }]);
        const json = await green(t, a, 'setGroupPicture', { payload: { groupId } });
        assert.equal(json.statusCode, 400);
      });

      test('setGroupPicture takes a PNG too, whatever type the client labels it with', async () => {
        const body = multipartBody({ groupId }, { field: 'file', filename: 'logo.png', type: 'image/jpeg', data: PNG });
        const res = await green(t, a, 'setGroupPicture', { verb: 'POST', payload: body.payload, headers: body.headers });
        assert.deepEqual([res.statusCode, res.json()], [200, { setGroupPicture: true, urlAvatar: '', reason: '' }]);
      });
    });

    describe('leaving and instance state', () => {
      test('leaveGroup leaves; the group is gone from the store', async () => {
        const res = await green(t, b, 'leaveGroup', { payload: { groupId } });
        assert.deepEqual([res.statusCode, res.json()], [200, { leaveGroup: true }]);
        const gone = await t.request({ method: 'GET', url: `/api/instances/${b.id}/groups/${encodeURIComponent(groupId)}` });
        assert.equal(gone.statusCode, 404);
        const data = (await green(t, a, 'getGroupData', { payload: { groupId } })).json();
        assert.deepEqual(
          data.participants.map((p: { id: string }) => p.id),
          [cus(a)],
        );
      });

      test('an instance that is not authorized answers 400 as Green API does', async () => {
        const c = await createUnpacedInstance(t);
        await green(t, c, 'logout');
        const res = await green(t, c, 'createGroup', { payload: { groupName: 'x', chatIds: [cus(a)] } });
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), { statusCode: 400, message: 'instance account not authorized' });
        const data = await green(t, c, 'getGroupData', { payload: { groupId } });
        assert.deepEqual([data.statusCode, data.json()], [400, { statusCode: 400, message: 'instance account not authorized' }]);
      });
    });
  });
}

describe('Green API createGroup refused by WhatsApp', () => {
  test('rate-overlimit is a 500 in Green API form, as Green API documents', async () => {
    const t = await startTestApp({ config: { sandboxGroupCreateLimitPerHour: 1 } });
    try {
      const a = await createUnpacedInstance(t);
      const first = await green(t, a, 'createGroup', { payload: { groupName: 'One', chatIds: [`${PLAIN}@c.us`] } });
      assert.equal(first.statusCode, 200);
      const second = await green(t, a, 'createGroup', { payload: { groupName: 'Two', chatIds: [`${PLAIN}@c.us`] } });
      assert.equal(second.statusCode, 500);
      assert.deepEqual(second.json(), {
        statusCode: 500,
        message: 'WhatsApp refused to create the group: too many groups were created too quickly; try again later',
      });
    } finally {
      await t.close();
    }
  });
});
