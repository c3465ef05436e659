/**
 * The native group API through HTTP on the sandbox: instances A, B and C in one network live a
 * group's whole life cycle; each sees the others' actions in its store and event log at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSandboxInstance, databaseKinds, startTestApp, type TestApp } from '../../support/app.js';

type Inst = Awaited<ReturnType<typeof createSandboxInstance>>;
const NOBODY = '+5511977770001';
const enc = encodeURIComponent;

async function eventsOf(t: TestApp, inst: Inst) {
  const res = await t.request({ method: 'GET', url: `/api/instances/${inst.id}/events?limit=1000` });
  assert.equal(res.statusCode, 200);
  return res.json().events as { id: string; seq: number; type: string; data: Record<string, any> }[];
}

for (const db of await databaseKinds()) {
  describe(`group life cycle on ${db}`, () => {
    let t: TestApp;
    let A: Inst, B: Inst, C: Inst;
    let groupId: string;
    let code: string;

    before(async () => {
      t = await startTestApp({ db });
      A = await createSandboxInstance(t, { name: 'A' });
      B = await createSandboxInstance(t, { name: 'B' });
      C = await createSandboxInstance(t, { name: 'C' });
      const seeded = await t.request({ method: 'PUT', url: `/api/sandbox/accounts/${enc(NOBODY)}`, payload: { registered: true, groupAddPrivacy: 'nobody' } });
      assert.equal(seeded.statusCode, 200);
    });
    after(() => t.close());

    it('A creates a group with B and a privacy-nobody number: B added, the other invited', async () => {
      const res = await t.request({
        method: 'POST',
        url: `/api/instances/${A.id}/groups`,
        payload: { name: 'Launch team', participants: [`${B.phone}@s.whatsapp.net`, NOBODY], description: 'Our launch' },
      });
      assert.equal(res.statusCode, 201);
      const g = res.json();
      groupId = g.id;
      assert.match(g.id, /^120363\d{12}@g\.us$/);
      assert.equal(g.name, 'Launch team');
      assert.equal(g.description, 'Our launch');
      assert.equal(g.myRole, 'superadmin');
      assert.equal(g.size, 2);
      assert.equal(g.settings.locked, true, 'groups made here are locked by default');
      assert.deepEqual(
        g.outcomes.map((o: any) => [o.participant, o.status, o.inviteSent]),
        [
          [`${B.phone}@s.whatsapp.net`, 'added', false],
          [NOBODY, 'invited', true],
        ],
      );
      assert.equal(g.outcomes[0].jid, `${B.phone}@s.whatsapp.net`);
      assert.match(g.outcomes[0].lid, /^\d+@lid$/);
      const roles = Object.fromEntries(g.participants.map((p: any) => [p.phone, p.role]));
      assert.deepEqual(roles, { [`+${A.phone}`]: 'superadmin', [`+${B.phone}`]: 'member' });
    });

    it('B sees the group in its store and group.joined in its event log at once', async () => {
      const g = (await t.request({ method: 'GET', url: `/api/instances/${B.id}/groups/${enc(groupId)}` })).json();
      assert.equal(g.name, 'Launch team');
      assert.equal(g.myRole, 'member');
      const joined = (await eventsOf(t, B)).filter((e) => e.type === 'group.joined');
      assert.equal(joined.length, 1);
      assert.equal(joined[0]!.data.groupId, groupId);
      assert.equal(joined[0]!.data.actor.phone, `+${A.phone}`);
      const created = (await eventsOf(t, A)).filter((e) => e.type === 'group.created');
      assert.equal(created.length, 1, 'one group.created for the creator, never twice');
      const sent = (await eventsOf(t, A)).filter((e) => e.type === 'message.sent');
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.data.chatId, `${NOBODY.slice(1)}@s.whatsapp.net`);
      assert.equal(sent[0]!.data.groupInvite.groupId, groupId);
    });

    it('list answers from the store with total, search and paging', async () => {
      const res = await t.request({ method: 'GET', url: `/api/instances/${A.id}/groups?limit=10&search=launch` });
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.equal(body.total, 1);
      assert.equal(body.groups[0].id, groupId);
      // A list item counts its participants and does not pretend to list them.
      assert.equal('participants' in body.groups[0], false);
      const details = (await t.request({ method: 'GET', url: `/api/instances/${A.id}/groups/${encodeURIComponent(groupId)}` })).json();
      assert.equal(body.groups[0].size, details.participants.length);
      assert.ok(body.groups[0].size > 0);
      assert.deepEqual(body.groups[0].settings, details.settings);
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${A.id}/groups?search=nomatch` })).json().total, 0);
      // The bare digits are accepted as the group id too.
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${A.id}/groups/${groupId.split('@')[0]}` })).statusCode, 200);
    });

    it('B (member) cannot rename a locked group: 403 not_group_admin', async () => {
      const res = await t.request({ method: 'PATCH', url: `/api/instances/${B.id}/groups/${enc(groupId)}`, payload: { name: 'Hijack' } });
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().error.code, 'not_group_admin');
    });

    it('A promotes B; B, now admin, renames; both see it', async () => {
      // A page read before the change (each group's text is kept for the next page), then after it.
      const page = async () => (await t.request({ method: 'GET', url: `/api/instances/${A.id}/groups?limit=10` })).json();
      const summary = async () => {
        const { participants: _p, ...details } = (await t.request({ method: 'GET', url: `/api/instances/${A.id}/groups/${enc(groupId)}` })).json();
        return details;
      };
      assert.deepEqual((await page()).groups[0], await summary());
      assert.deepEqual((await page()).groups[0], await summary(), 'the same page again');
      const promoted = await t.request({ method: 'POST', url: `/api/instances/${A.id}/groups/${enc(groupId)}/participants/promote`, payload: { participants: [`+${B.phone}`] } });
      assert.equal(promoted.statusCode, 200);
      assert.equal(promoted.json().outcomes[0].status, 'promoted');
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${B.id}/groups/${enc(groupId)}` })).json().myRole, 'admin');
      const renamed = await t.request({ method: 'PATCH', url: `/api/instances/${B.id}/groups/${enc(groupId)}`, payload: { name: 'Launch team 2' } });
      assert.equal(renamed.statusCode, 200);
      assert.equal(renamed.json().name, 'Launch team 2');
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${A.id}/groups/${enc(groupId)}` })).json().name, 'Launch team 2');
      const after = await page();
      assert.equal(after.groups[0].name, 'Launch team 2');
      assert.deepEqual(after.groups[0], await summary());
      const updates = (await eventsOf(t, A)).filter((e) => e.type === 'group.updated' && e.data.changes.name);
      assert.equal(updates.length, 1);
      assert.equal(updates[0]!.data.changes.name, 'Launch team 2');
      assert.equal(updates[0]!.data.actor.phone, `+${B.phone}`);
      assert.equal((await eventsOf(t, B)).filter((e) => e.type === 'group.participants.promoted').length, 1);
    });

    it('A revokes the code: the old one fails to join with a clear error, the new one works', async () => {
      const first = await t.request({ method: 'GET', url: `/api/instances/${A.id}/groups/${enc(groupId)}/invite-code` });
      assert.equal(first.statusCode, 200);
      const old = first.json().code;
      assert.match(old, /^[A-Za-z0-9_-]{22}$/);
      assert.equal(first.json().link, `https://chat.whatsapp.com/${old}`);
      const revoked = await t.request({ method: 'POST', url: `/api/instances/${A.id}/groups/${enc(groupId)}/invite-code/revoke` });
      assert.equal(revoked.statusCode, 200);
      code = revoked.json().code;
      assert.notEqual(code, old);
      const fail = await t.request({ method: 'POST', url: `/api/instances/${C.id}/groups/join`, payload: { code: old } });
      assert.equal(fail.statusCode, 410);
      assert.equal(fail.json().error.code, 'invite_code_revoked');
      const info = await t.request({ method: 'GET', url: `/api/instances/${C.id}/groups/join-info?code=${code}` });
      assert.equal(info.json().name, 'Launch team 2');
      const ok = await t.request({ method: 'POST', url: `/api/instances/${C.id}/groups/join`, payload: { code: `https://chat.whatsapp.com/${code}` } });
      assert.equal(ok.statusCode, 200);
      assert.deepEqual(ok.json(), { status: 'joined', groupId });
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${C.id}/groups/${enc(groupId)}` })).json().size, 3);
      const again = await t.request({ method: 'POST', url: `/api/instances/${C.id}/groups/join`, payload: { code } });
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().error.code, 'already_member');
      assert.equal((await eventsOf(t, B)).filter((e) => e.type === 'group.invite_code.changed').length, 1);
      assert.equal((await eventsOf(t, A)).filter((e) => e.type === 'group.invite_code.changed').length, 1, 'one reset, one event');
    });

    it('approval mode turns a join into a pending request that A approves', async () => {
      const leave = await t.request({ method: 'POST', url: `/api/instances/${C.id}/groups/${enc(groupId)}/leave` });
      assert.equal(leave.statusCode, 200);
      const settings = await t.request({ method: 'PATCH', url: `/api/instances/${A.id}/groups/${enc(groupId)}/settings`, payload: { approvalMode: true } });
      assert.equal(settings.statusCode, 200);
      assert.equal(settings.json().settings.approvalMode, true);
      const join = await t.request({ method: 'POST', url: `/api/instances/${C.id}/groups/join`, payload: { code } });
      assert.equal(join.statusCode, 202);
      assert.deepEqual(join.json(), { status: 'pending_approval', groupId });
      const pending = (await t.request({ method: 'GET', url: `/api/instances/${A.id}/groups/${enc(groupId)}/join-requests` })).json();
      assert.deepEqual(
        pending.requests.map((r: any) => r.phone),
        [`+${C.phone}`],
      );
      assert.ok((await eventsOf(t, A)).some((e) => e.type === 'group.join_request.created'));
      const approved = await t.request({ method: 'POST', url: `/api/instances/${A.id}/groups/${enc(groupId)}/join-requests/approve`, payload: { participants: [`+${C.phone}`] } });
      assert.equal(approved.statusCode, 200);
      assert.equal(approved.json().outcomes[0].status, 'approved');
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${C.id}/groups/${enc(groupId)}` })).statusCode, 200);
      assert.ok(
        (await t.request({ method: 'GET', url: `/api/instances/${A.id}/groups/${enc(groupId)}/participants` })).json().participants.some((p: any) => p.phone === `+${C.phone}`),
      );
    });

    it('B leaves and cannot be re-added at once (recently_left)', async () => {
      assert.equal((await t.request({ method: 'POST', url: `/api/instances/${B.id}/groups/${enc(groupId)}/leave` })).statusCode, 200);
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${B.id}/groups/${enc(groupId)}` })).statusCode, 404);
      assert.ok((await eventsOf(t, B)).some((e) => e.type === 'group.left' && e.data.reason === 'left'));
      assert.ok((await eventsOf(t, A)).some((e) => e.type === 'group.participants.left'));
      const res = await t.request({ method: 'POST', url: `/api/instances/${A.id}/groups/${enc(groupId)}/participants`, payload: { participants: [`+${B.phone}`] } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().outcomes[0].status, 'recently_left');
    });

    it('messages go to the group and arrive as message.received for the other members', async () => {
      const sent = await t.request({ method: 'POST', url: `/api/instances/${A.id}/messages`, payload: { chatId: groupId, text: 'hello team' } });
      assert.equal(sent.statusCode, 201);
      const got = (await eventsOf(t, C)).filter((e) => e.type === 'message.received');
      assert.ok(got.some((e) => e.data.text === 'hello team' && e.data.chatId === groupId));
    });

    it('contacts/check tells who is on WhatsApp', async () => {
      await t.request({ method: 'PUT', url: '/api/sandbox/accounts/+5511966660000', payload: { registered: false, groupAddPrivacy: 'everyone' } });
      const res = await t.request({ method: 'POST', url: `/api/instances/${A.id}/contacts/check`, payload: { phones: ['+5511966660000', `${B.phone}@c.us`] } });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(
        res.json().results.map((r: any) => [r.phone, r.registered, r.jid]),
        [
          ['+5511966660000', false, undefined],
          [`+${B.phone}`, true, `${B.phone}@s.whatsapp.net`],
        ],
      );
    });

    it('the event logs have no gaps or duplicates, in order, across a restart', async () => {
      const before = await eventsOf(t, A);
      t = await t.restart();
      await t.request({ method: 'PATCH', url: `/api/instances/${A.id}/groups/${enc(groupId)}`, payload: { description: 'after restart' } });
      const all = await eventsOf(t, A);
      assert.deepEqual(all.slice(0, before.length), before);
      assert.deepEqual(
        all.map((e) => e.seq),
        all.map((_, i) => i + 1),
      );
      assert.equal(new Set(all.map((e) => e.id)).size, all.length);
      const ids = all.map((e) => e.id);
      assert.deepEqual([...ids].sort(), ids, 'ids sort in log order');
      const page = (await t.request({ method: 'GET', url: `/api/instances/${A.id}/events?after=${all[2]!.id}&limit=2` })).json();
      assert.deepEqual(
        page.events.map((e: any) => e.seq),
        [4, 5],
      );
      const clamped = (await t.request({ method: 'GET', url: `/api/instances/${A.id}/events?limit=99999` })).json();
      assert.equal(clamped.events.length, all.length);
      assert.equal((await t.request({ method: 'GET', url: `/api/instances/${A.id}/events?limit=abc&after=zz` })).statusCode, 200);
    });

    it('after a restart the store answers list and details without touching the engine', async () => {
      t = await t.restart();
      await t.request({ method: 'POST', url: `/api/instances/${A.id}/logout` });
      const list = await t.request({ method: 'GET', url: `/api/instances/${A.id}/groups` });
      assert.equal(list.statusCode, 200);
      assert.equal(list.json().groups[0].id, groupId);
      const details = await t.request({ method: 'GET', url: `/api/instances/${A.id}/groups/${enc(groupId)}` });
      assert.equal(details.statusCode, 200);
      assert.equal(details.json().description, 'after restart');
      const refused = await t.request({ method: 'PATCH', url: `/api/instances/${A.id}/groups/${enc(groupId)}`, payload: { name: 'x' } });
      assert.equal(refused.statusCode, 409);
      assert.equal(refused.json().error.code, 'instance_not_connected');
    });
  });
}
