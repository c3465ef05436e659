/** The Z-API dialect over HTTP on the sandbox: exact bodies and status codes. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSandboxInstance, createUnpacedInstance, databaseKinds, seedPrivacy, startTestApp, type TestApp } from '../../support/app.js';

type Inst = Awaited<ReturnType<typeof createSandboxInstance>>;

const P1 = '5511988880001';
const P2 = '5511988880002';
const P3 = '5511988880003';
const NOBODY = '5511988880009';
const UNREGISTERED = '5511988880008';

/** A request to a Z-API endpoint of an instance, without a native key. */
function zapi(
  t: TestApp,
  inst: Pick<Inst, 'id' | 'token'>,
  endpoint: string,
  opts: { method?: 'GET' | 'POST' | 'PUT' | 'DELETE'; payload?: unknown; headers?: Record<string, string> } = {},
) {
  return t.request({
    method: opts.method ?? (opts.payload === undefined ? 'GET' : 'POST'),
    url: `/instances/${inst.id}/token/${inst.token}/${endpoint}`,
    ...(opts.payload === undefined ? {} : { payload: opts.payload as Record<string, unknown> }),
    headers: opts.headers,
    key: null,
  });
}

const sentInvites = async (t: TestApp, instanceId: string) => (await t.core.events.list(instanceId, {}, 1000)).filter((e) => e.type === 'message.sent').map((e) => e.data.chatId);

for (const db of await databaseKinds()) {
  describe(`z-api dialect (${db})`, () => {
    let t: TestApp;
    let a: Inst;
    let b: Inst;
    let group: string; // <digits>-group

    before(async () => {
      t = await startTestApp({ db });
      a = await createUnpacedInstance(t, { name: 'A' });
      b = await createUnpacedInstance(t, { name: 'B' });
      await seedPrivacy(t, `+${NOBODY}`, { registered: true, groupAddPrivacy: 'nobody' });
      await seedPrivacy(t, `+${UNREGISTERED}`, { registered: false, groupAddPrivacy: 'everyone' });
    });
    after(() => t.close());

    describe('happy path', () => {
      it('create-group answers {phone, phonesNotAdded, invitationLink}', async () => {
        const res = await zapi(t, a, 'create-group', { payload: { groupName: 'Z group', phones: [P1, P2], autoInvite: false } });
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json() as { phone: string; phonesNotAdded: string[]; invitationLink: string };
        // developer.z-api.io/en/group/create-group: phone, phonesNotAdded, invitationLink.
        assert.deepEqual(Object.keys(body), ['phone', 'phonesNotAdded', 'invitationLink']);
        assert.deepEqual(body.phonesNotAdded, []);
        assert.match(body.phone, /^\d{10,}-group$/);
        assert.match(body.invitationLink, /^https:\/\/chat\.whatsapp\.com\/[A-Za-z0-9_-]+$/);
        group = body.phone;
      });

      it('group-metadata shows the group in Z-API form', async () => {
        const res = await zapi(t, a, `group-metadata/${group}`);
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json() as Record<string, unknown>;
        const link = (await zapi(t, a, `group-invitation-link/${group}`)).json().invitationLink;
        assert.deepEqual(body, {
          phone: group,
          description: '',
          owner: a.phone,
          subject: 'Z group',
          creation: body.creation,
          invitationLink: link,
          invitationLinkError: null,
          communityId: null,
          adminOnlyMessage: false,
          adminOnlySettings: true,
          requireAdminApproval: false,
          isGroupAnnouncement: false,
          participants: [
            { phone: a.phone, isAdmin: false, isSuperAdmin: true },
            { phone: P1, isAdmin: false, isSuperAdmin: false },
            { phone: P2, isAdmin: false, isSuperAdmin: false },
          ],
          subjectTime: body.subjectTime,
          subjectOwner: body.subjectOwner,
        });
        assert.equal(typeof body.creation, 'number');
        const light = (await zapi(t, a, `light-group-metadata/${group}`)).json() as Record<string, unknown>;
        assert.deepEqual(light, { ...body, invitationLink: null });
        // the @g.us form is accepted too
        const byJid = await zapi(t, a, `group-metadata/${group.replace('-group', '')}%40g.us`);
        assert.equal(byJid.json().phone, group);
      });

      it('group-invitation-link answers by GET and POST; redefine-invitation-link needs no body nor content type', async () => {
        const get = await zapi(t, a, `group-invitation-link/${group}`);
        const post = await zapi(t, a, `group-invitation-link/${group}`, { method: 'POST' });
        assert.equal(get.statusCode, 200);
        assert.deepEqual(post.json(), get.json());
        assert.deepEqual(Object.keys(get.json()), ['phone', 'invitationLink']);
        const redefined = await zapi(t, a, `redefine-invitation-link/${group}`, { method: 'POST' });
        assert.equal(redefined.statusCode, 200, redefined.body);
        assert.deepEqual(Object.keys(redefined.json()), ['invitationLink']);
        assert.notEqual(redefined.json().invitationLink, get.json().invitationLink);
        const again = await zapi(t, a, `redefine-invitation-link/${group}`, { method: 'POST', headers: { 'content-type': 'application/json' } });
        assert.equal(again.statusCode, 200, again.body);
      });

      it('updates answer {value: true} and show in the metadata', async () => {
        assert.deepEqual((await zapi(t, a, 'update-group-name', { payload: { groupId: group, groupName: 'Renamed' } })).json(), { value: true });
        assert.deepEqual((await zapi(t, a, 'update-group-description', { payload: { groupId: group, groupDescription: 'About us' } })).json(), { value: true });
        const settings = await zapi(t, a, 'update-group-settings', {
          payload: { phone: group, adminOnlyMessage: true, adminOnlySettings: false, requireAdminApproval: true, adminOnlyAddMember: true },
        });
        assert.deepEqual(settings.json(), { value: true });
        const meta = (await zapi(t, a, `light-group-metadata/${group}`)).json() as Record<string, unknown>;
        assert.equal(meta.subject, 'Renamed');
        assert.equal(meta.description, 'About us');
        assert.equal(meta.subjectOwner, a.phone);
        assert.deepEqual([meta.adminOnlyMessage, meta.adminOnlySettings, meta.requireAdminApproval], [true, false, true]);
        const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]).toString('base64');
        assert.deepEqual((await zapi(t, a, 'update-group-photo', { payload: { groupId: group, groupPhoto: `data:image/png;base64,${png}` } })).json(), { value: true });
        assert.deepEqual((await zapi(t, a, 'update-group-settings', { payload: { phone: group, requireAdminApproval: false, adminOnlyMessage: false } })).json(), { value: true });
      });

      it('participants: add, admin, remove answer {value} per the state reached', async () => {
        assert.deepEqual((await zapi(t, a, 'add-participant', { payload: { groupId: group, phones: [P3], autoInvite: true } })).json(), { value: true });
        // already a member: the state asked for holds
        assert.deepEqual((await zapi(t, a, 'add-participant', { payload: { groupId: group, phones: [P3] } })).json(), { value: true });
        // not on WhatsApp: could not be added
        assert.deepEqual((await zapi(t, a, 'add-participant', { payload: { groupId: group, phones: [UNREGISTERED] } })).json(), { value: false });
        assert.deepEqual((await zapi(t, a, 'add-admin', { payload: { groupId: group, phones: [P3] } })).json(), { value: true });
        let meta = (await zapi(t, a, `light-group-metadata/${group}`)).json() as { participants: { phone: string; isAdmin: boolean }[] };
        assert.deepEqual(
          meta.participants.find((p) => p.phone === P3),
          { phone: P3, isAdmin: true, isSuperAdmin: false },
        );
        assert.deepEqual((await zapi(t, a, 'remove-admin', { payload: { groupId: group, phones: [P3] } })).json(), { value: true });
        assert.deepEqual((await zapi(t, a, 'remove-participant', { payload: { groupId: group, phones: [P3] } })).json(), { value: true });
        meta = (await zapi(t, a, `light-group-metadata/${group}`)).json();
        assert.deepEqual(
          meta.participants.map((p) => p.phone),
          [a.phone, P1, P2],
        );
      });

      it('autoInvite sends the invitation privately to whoever privacy refused', async () => {
        const res = await zapi(t, a, 'add-participant', { payload: { groupId: group, phones: [NOBODY], autoInvite: true } });
        assert.deepEqual(res.json(), { value: true });
        assert.ok((await sentInvites(t, a.id)).includes(`${NOBODY}@s.whatsapp.net`));
        const refused = await zapi(t, a, 'create-group', { payload: { groupName: 'No invites', phones: [P1, NOBODY], autoInvite: false } });
        assert.equal(refused.statusCode, 200);
        const invites = (await sentInvites(t, a.id)).filter((c) => c === `${NOBODY}@s.whatsapp.net`);
        assert.equal(invites.length, 1);
      });

      it('accept-invite-group joins by link; approve-participant approves a join request', async () => {
        const link = (await zapi(t, a, `group-invitation-link/${group}`)).json().invitationLink as string;
        const joined = await zapi(t, b, `accept-invite-group?url=${encodeURIComponent(link)}`);
        assert.deepEqual(joined.json(), { success: true });
        const list = (await zapi(t, b, 'groups?page=1&pageSize=10')).json() as Record<string, unknown>[];
        assert.deepEqual(list, [
          {
            isGroup: true,
            name: 'Renamed',
            phone: group,
            unread: '0',
            lastMessageTime: list[0]!.lastMessageTime,
            isMuted: '0',
            isMarkedSpam: 'false',
            archived: 'false',
            pinned: 'false',
            muteEndTime: null,
            messagesUnread: '0',
          },
        ]);
        // B is a member, not an admin: admin-only changes answer {value: false}
        assert.deepEqual((await zapi(t, b, 'add-admin', { payload: { groupId: group, phones: [P1] } })).json(), { value: false });
        assert.deepEqual((await zapi(t, b, 'leave-group', { payload: { groupId: group } })).json(), { value: true });
        assert.deepEqual((await zapi(t, b, 'groups')).json(), []);
        assert.deepEqual((await zapi(t, a, 'update-group-settings', { payload: { phone: group, requireAdminApproval: true } })).json(), { value: true });
        assert.deepEqual((await zapi(t, b, `accept-invite-group?url=${encodeURIComponent(link)}`)).json(), { success: true });
        assert.deepEqual((await zapi(t, a, 'approve-participant', { payload: { groupId: group, phones: [b.phone] } })).json(), { value: true });
        const meta = (await zapi(t, a, `light-group-metadata/${group}`)).json() as { participants: { phone: string }[] };
        assert.ok(meta.participants.some((p) => p.phone === b.phone));
        assert.deepEqual((await zapi(t, a, 'reject-participant', { payload: { groupId: group, phones: [P3] } })).json(), { value: false });
      });

      it('send-text and status', async () => {
        const sent = await zapi(t, a, 'send-text', { payload: { phone: group, message: 'hello group' } });
        assert.equal(sent.statusCode, 200, sent.body);
        const body = sent.json() as { zaapId: string; messageId: string; id: string };
        assert.deepEqual(Object.keys(body), ['zaapId', 'messageId', 'id']);
        assert.equal(body.id, body.messageId);
        assert.equal((await zapi(t, a, 'send-text', { payload: { phone: P1, message: 'hi' } })).statusCode, 200);
        assert.deepEqual((await zapi(t, a, 'status')).json(), { connected: true, error: 'You are already connected.', smartphoneConnected: true });
      });

      it('accepts the idInstance in place of the id', async () => {
        const res = await zapi(t, { id: a.idInstance, token: a.token }, 'status');
        assert.equal(res.statusCode, 200);
      });
    });

    describe('errors', () => {
      it('validation is 400 with Z-API error bodies', async () => {
        const own = await zapi(t, a, 'create-group', { payload: { groupName: 'x', phones: [a.phone, P1], autoInvite: true } });
        assert.equal(own.statusCode, 400);
        assert.equal(own.json().error, 'invalid_participant');
        const none = await zapi(t, a, 'create-group', { payload: { groupName: 'x', phones: [], autoInvite: true } });
        assert.equal(none.statusCode, 400);
        assert.equal(none.json().error, 'validation_failed');
        const badId = await zapi(t, a, 'update-group-name', { payload: { groupId: 'nope', groupName: 'x' } });
        assert.deepEqual(badId.json(), { error: 'invalid_group_id', message: 'groupId must be a group id such as 120363019502650977-group' });
        // A URL is fetched under the webhook address rules: a cloud metadata address never is.
        const url = await zapi(t, a, 'update-group-photo', { payload: { groupId: group, groupPhoto: 'http://169.254.169.254/a.jpg' } });
        assert.equal(url.statusCode, 400);
        assert.equal(url.json().error, 'media_url_refused');
        const noSettings = await zapi(t, a, 'update-group-settings', { payload: { phone: group } });
        assert.equal(noSettings.statusCode, 400);
        const notJson = await t.request({
          method: 'POST',
          url: `/instances/${a.id}/token/${a.token}/update-group-name`,
          payload: '{bad',
          headers: { 'content-type': 'application/json' },
          key: null,
        });
        assert.equal(notJson.statusCode, 400);
        assert.equal(notJson.json().error, 'validation_failed');
      });

      it('an unknown group is 404 on reads and {value: false} on changes', async () => {
        const meta = await zapi(t, a, 'group-metadata/120363000000000000-group');
        assert.equal(meta.statusCode, 404);
        assert.equal(meta.json().error, 'group_not_found');
        assert.deepEqual((await zapi(t, a, 'update-group-name', { payload: { groupId: '120363000000000000-group', groupName: 'x' } })).json(), { value: false });
      });

      it('a wrong method is 405, an unknown endpoint 404', async () => {
        const wrong = await zapi(t, a, 'create-group');
        assert.equal(wrong.statusCode, 405);
        assert.equal(wrong.headers.allow, 'POST');
        assert.deepEqual(wrong.json(), { error: 'method_not_allowed', message: 'use POST for create-group' });
        assert.equal((await zapi(t, a, 'status', { method: 'POST' })).statusCode, 405);
        const unknown = await zapi(t, a, 'no-such-endpoint');
        assert.equal(unknown.statusCode, 404);
        assert.deepEqual(unknown.json(), { error: 'not_found', message: 'no such Z-API endpoint' });
        assert.doesNotMatch(unknown.body, new RegExp(a.token));
      });

      it('a POST body that is not JSON is 415', async () => {
        const res = await t.request({
          method: 'POST',
          url: `/instances/${a.id}/token/${a.token}/update-group-name`,
          payload: 'groupId=x',
          headers: { 'content-type': 'text/plain' },
          key: null,
        });
        assert.equal(res.statusCode, 415);
        assert.deepEqual(res.json(), { error: 'unsupported_media_type', message: 'send the body as JSON with Content-Type: application/json' });
        const form = await t.request({
          method: 'POST',
          url: `/instances/${a.id}/token/${a.token}/send-text`,
          payload: 'phone=1',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          key: null,
        });
        assert.equal(form.statusCode, 415);
      });
    });

    describe('pacing', () => {
      it('a second group creation too soon is 429 with Retry-After; add-participant beyond one batch is queued', async () => {
        const c = await createSandboxInstance(t, { name: 'paced' });
        const first = await zapi(t, c, 'create-group', { payload: { groupName: 'First', phones: [P1], autoInvite: false } });
        assert.equal(first.statusCode, 200, first.body);
        const second = await zapi(t, c, 'create-group', { payload: { groupName: 'Second', phones: [P2], autoInvite: false } });
        assert.equal(second.statusCode, 429, second.body);
        // Z-API's error shape, saying when and why.
        assert.deepEqual(Object.keys(second.json()), ['error', 'message']);
        assert.equal(second.json().error, 'rate_limited');
        assert.match(
          second.json().message,
          /^pacing: the next group creation may run at \d{4}-\d{2}-\d{2}T[\d:.]+Z, later than the 120 seconds a request may wait: .+; retry after \d+ seconds$/,
        );
        assert.ok(Number(second.headers['retry-after']) > 0);
        const many = Array.from({ length: 6 }, (_, i) => `55119888801${String(i).padStart(2, '0')}`);
        const queued = await zapi(t, c, 'add-participant', { payload: { groupId: first.json().phone, phones: many, autoInvite: false } });
        assert.deepEqual([queued.statusCode, queued.json()], [200, { value: true }]);
        const ops = (await t.core.events.list(c.id, {}, 1000)).map((e) => e.type);
        assert.ok(!ops.includes('group.participants.added'), 'the batch waits for pacing');
      });
    });

    describe('security', () => {
      it("a wrong token is 401, an unknown instance 404, another instance's token 401", async () => {
        const wrong = await zapi(t, { id: a.id, token: 'ggi_wrong' }, 'status');
        assert.equal(wrong.statusCode, 401);
        assert.deepEqual(wrong.json(), { error: 'Invalid token' });
        const unknown = await zapi(t, { id: 'nosuchinst', token: a.token }, 'status');
        assert.equal(unknown.statusCode, 404);
        assert.deepEqual(unknown.json(), { error: 'Instance not found' });
        assert.equal((await zapi(t, { id: a.id, token: b.token }, 'status')).statusCode, 401);
        const admin = await t.request({ method: 'GET', url: `/instances/${a.id}/token/test-admin-key-0123456789abcdef/status`, key: null });
        assert.equal(admin.statusCode, 401);
      });

      it('the Client-Token header is enforced once set, and only its hash is stored', async () => {
        const set = await t.request({ method: 'PUT', url: `/api/instances/${a.id}/zapi-client-token`, payload: { clientToken: 'client-secret-123' } });
        assert.equal(set.statusCode, 200, set.body);
        assert.deepEqual(set.json(), { clientTokenSet: true });
        const stored = await t.core.store.instances.get(a.id);
        assert.equal(typeof stored!.settings.zapiClientTokenHash, 'string');
        assert.doesNotMatch(JSON.stringify(stored!.settings), /client-secret-123/);
        const missing = await zapi(t, a, 'status');
        assert.equal(missing.statusCode, 401);
        assert.deepEqual(missing.json(), { error: 'null not allowed' });
        const wrong = await zapi(t, a, 'status', { headers: { 'client-token': 'nope-nope-nope' } });
        assert.equal(wrong.statusCode, 401);
        assert.deepEqual(wrong.json(), { error: 'Client-Token not allowed' });
        assert.equal((await zapi(t, a, 'status', { headers: { 'client-token': 'client-secret-123' } })).statusCode, 200);
        // instance B has none: no header needed
        assert.equal((await zapi(t, b, 'status')).statusCode, 200);
        const del = await t.request({ method: 'DELETE', url: `/api/instances/${a.id}/zapi-client-token` });
        assert.deepEqual(del.json(), { clientTokenSet: false });
        assert.equal((await zapi(t, a, 'status')).statusCode, 200);
      });

      it('the native route needs a key that sees the instance', async () => {
        const none = await t.request({ method: 'PUT', url: `/api/instances/${a.id}/zapi-client-token`, payload: { clientToken: 'client-secret-123' }, key: null });
        assert.equal(none.statusCode, 401);
        const scoped = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'b only', instances: [b.id] } })).json().key as string;
        const other = await t.request({ method: 'PUT', url: `/api/instances/${a.id}/zapi-client-token`, payload: { clientToken: 'client-secret-123' }, key: scoped });
        assert.equal(other.statusCode, 404);
      });

      it('the token never appears in the log', () => {
        assert.ok(!t.logs.join('\n').includes(a.token));
      });
    });
  });
}
