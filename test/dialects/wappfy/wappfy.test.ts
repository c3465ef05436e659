/**
 * The Wappfy dialect over HTTP on the sandbox, written from Wappfy's documented examples (the groups
 * guide, seed 002, the API reference and the response-format page): status codes, the envelope on
 * every answer, both group shapes field by field, and the stored state after each change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { ADMIN_KEY, createUnpacedInstance, databaseKinds, seedPrivacy, startTestApp, type TestApp } from '../../support/app.js';

type Inst = Awaited<ReturnType<typeof createUnpacedInstance>>;

const P1 = '5511999998881@s.whatsapp.net';
const P2 = '5511999998882@s.whatsapp.net';
const P3 = '5511999998883@s.whatsapp.net';
const NOBODY = '5511999998889@s.whatsapp.net';
const REQ_ID = /^req-[0-9a-z]{26}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Wappfy's success envelope: `{success: true, data, meta: {requestId, timestamp}}`, nothing else. */
function data(res: LightMyRequestResponse, status = 200): any {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json();
  assert.deepEqual(Object.keys(body), ['success', 'data', 'meta']);
  assert.equal(body.success, true);
  assert.match(body.meta.requestId, REQ_ID);
  assert.equal(body.meta.requestId, res.headers['x-request-id']);
  assert.match(body.meta.timestamp, ISO);
  return body.data;
}

/** Wappfy's error envelope: `{success: false, error: {code, message, details}, meta}`. */
function error(res: LightMyRequestResponse, status: number, code: string): any {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json();
  assert.deepEqual(Object.keys(body), ['success', 'error', 'meta']);
  assert.equal(body.success, false);
  assert.deepEqual(Object.keys(body.error), ['code', 'message', 'details']);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.details !== null && typeof body.error.details === 'object', 'details is an object');
  assert.match(body.meta.requestId, REQ_ID);
  assert.match(body.meta.timestamp, ISO);
  return body.error;
}

const jid = (phone: string) => `${phone}@s.whatsapp.net`;

for (const db of await databaseKinds()) {
  describe(`wappfy dialect (${db})`, () => {
    let t: TestApp;
    let a: Inst;
    let b: Inst;
    let key: string; // scoped to A and B
    let groupId: string;

    /** A request as a Wappfy client sends it: base URL `/wappfy`, the key in `X-Api-Key`. */
    const wappfy = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> | null = { 'x-api-key': key }) =>
      t.request({ method, url: `/wappfy${url}`, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}), headers: headers ?? {}, key: null });
    const base = (inst: Inst) => `/api/instances/${inst.id}`;
    const stored = (inst: Inst, g: string) => t.core.store.groups.get(inst.id, g);

    before(async () => {
      t = await startTestApp({ db });
      a = await createUnpacedInstance(t, { name: 'A' });
      b = await createUnpacedInstance(t, { name: 'B' });
      await seedPrivacy(t, '+5511999998889', { registered: true, groupAddPrivacy: 'nobody' });
      key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'wappfy', instances: [a.id, b.id] } })).json().key;
    });
    after(() => t.close());

    describe('happy path', () => {
      it('creates a group (guide example body); the answer carries both documented shapes and the outcomes', async () => {
        const res = await wappfy('POST', `${base(a)}/groups`, { name: 'Project Alpha', participants: [P1, P2, NOBODY] });
        const g = data(res, 201);
        assert.match(g.group_id, /^\d+@g\.us$/);
        groupId = g.group_id;
        assert.equal(g.id, groupId);
        assert.equal(g.name, 'Project Alpha');
        assert.equal(g.subject, 'Project Alpha');
        assert.equal(g.description, '');
        assert.equal(g.owner, jid(a.phone));
        assert.match(g.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        assert.equal(g.creation, Math.floor(Date.parse(g.created_at) / 1000));
        assert.equal(g.participant_count, 3);
        assert.equal(g.pictureUrl, null);
        assert.deepEqual(
          [...g.participants].sort((x: any, y: any) => x.id.localeCompare(y.id)),
          [
            { id: P1, is_admin: false, is_super_admin: false, admin: null },
            { id: P2, is_admin: false, is_super_admin: false, admin: null },
            { id: jid(a.phone), is_admin: true, is_super_admin: true, admin: 'superadmin' },
          ].sort((x, y) => x.id.localeCompare(y.id)),
        );
        assert.deepEqual(
          g.outcomes.map((o: any) => [o.participant, o.status, o.inviteSent]),
          [
            [P1, 'added', false],
            [P2, 'added', false],
            [NOBODY, 'invited', true],
          ],
        );
        const row = await stored(a, groupId);
        assert.equal(row?.subject, 'Project Alpha');
        assert.equal(row?.participants.length, 3);
      });

      it('lists groups as `data: [...]`, each item with the guide fields and the reference fields', async () => {
        const list = data(await wappfy('GET', `${base(a)}/groups`));
        assert.ok(Array.isArray(list));
        const item = list.find((g: any) => g.group_id === groupId);
        assert.ok(item, 'the new group is listed at once');
        assert.equal(item.name, 'Project Alpha');
        assert.equal(item.participant_count, 3);
        assert.equal(item.id, groupId);
        assert.equal(item.subject, 'Project Alpha');
        assert.equal(typeof item.creation, 'number');
        assert.equal(item.participants.length, 3);
        assert.ok('pictureUrl' in item && 'description' in item);
        // Paging as the API reference documents it.
        assert.deepEqual(data(await wappfy('GET', `${base(a)}/groups?limit=1&offset=1`)), []);
      });

      it('reads one group (guide: Get Group Info) with the X-Api-Key header and with Authorization: Bearer', async () => {
        const g = data(await wappfy('GET', `${base(a)}/groups/${groupId}`));
        assert.deepEqual(Object.keys(g).sort(), [
          'created_at',
          'creation',
          'description',
          'group_id',
          'id',
          'name',
          'owner',
          'participant_count',
          'participants',
          'pictureUrl',
          'subject',
        ]);
        const bearer = data(await wappfy('GET', `${base(a)}/groups/${encodeURIComponent(groupId)}`, undefined, { authorization: `Bearer ${key}` }));
        assert.deepEqual(bearer, g);
      });

      it('updates name and description (guide example); the store has them', async () => {
        const g = data(await wappfy('PATCH', `${base(a)}/groups/${groupId}`, { name: 'Project Alpha v2', description: 'Updated workspace for Project Alpha' }));
        assert.equal(g.name, 'Project Alpha v2');
        assert.equal(g.subject, 'Project Alpha v2');
        assert.equal(g.description, 'Updated workspace for Project Alpha');
        const row = await stored(a, groupId);
        assert.equal(row?.subject, 'Project Alpha v2');
        assert.equal(row?.description, 'Updated workspace for Project Alpha');
        // The API reference's field name for the title is accepted too.
        assert.equal(data(await wappfy('PATCH', `${base(a)}/groups/${groupId}`, { subject: 'Project Alpha v3' })).name, 'Project Alpha v3');
      });

      it('lists participants', async () => {
        const list = data(await wappfy('GET', `${base(a)}/groups/${groupId}/participants`));
        assert.equal(list.length, 3);
        assert.deepEqual(
          list.find((p: any) => p.id === P1),
          { id: P1, is_admin: false, is_super_admin: false, admin: null },
        );
      });

      it('adds participants: the group after the add, with outcomes', async () => {
        const g = data(await wappfy('POST', `${base(a)}/groups/${groupId}/participants`, { participants: [P3, P1] }));
        assert.equal(g.participant_count, 4);
        assert.ok(g.participants.some((p: any) => p.id === P3));
        assert.deepEqual(
          g.outcomes.map((o: any) => [o.participant, o.status]),
          [
            [P3, 'added'],
            [P1, 'already_member'],
          ],
        );
        assert.ok((await stored(a, groupId))?.participants.some((p) => p.phoneJid === P3));
      });

      it('removes participants with DELETE .../participants (seed 002)', async () => {
        const g = data(await wappfy('DELETE', `${base(a)}/groups/${groupId}/participants`, { participants: [P3] }));
        assert.equal(g.participant_count, 3);
        assert.deepEqual(
          g.outcomes.map((o: any) => [o.participant, o.status]),
          [[P3, 'removed']],
        );
        assert.ok(!(await stored(a, groupId))?.participants.some((p) => p.phoneJid === P3));
      });

      it('removes participants with POST .../participants/remove (API reference)', async () => {
        const g = data(await wappfy('POST', `${base(a)}/groups/${groupId}/participants/remove`, { participants: [P2] }));
        assert.equal(g.participant_count, 2);
        assert.ok(!g.participants.some((p: any) => p.id === P2));
        assert.ok(!(await stored(a, groupId))?.participants.some((p) => p.phoneJid === P2));
      });

      let code: string;
      it('gets the invite code', async () => {
        const invite = data(await wappfy('GET', `${base(a)}/groups/${groupId}/invite-code`));
        assert.match(invite.code, /^[A-Za-z0-9_-]{10,40}$/);
        assert.equal(invite.link, `https://chat.whatsapp.com/${invite.code}`);
        code = invite.code;
      });

      it('joins by code and answers the group object (API reference)', async () => {
        const g = data(await wappfy('POST', `${base(b)}/groups/join`, { code }));
        assert.equal(g.id, groupId);
        assert.equal(g.group_id, groupId);
        assert.equal(g.subject, 'Project Alpha v3');
        assert.ok(g.participants.some((p: any) => p.id === jid(b.phone) && p.admin === null && p.is_admin === false));
        assert.ok(await stored(b, groupId));
      });

      it('sends a text to the group through the standard send endpoint with the group chat id', async () => {
        const sent = data(await wappfy('POST', `${base(a)}/messages/send`, { chat_id: groupId, type: 'text', text: 'Hello from Wappfy!' }));
        assert.deepEqual(Object.keys(sent), ['message_id', 'status']);
        assert.equal(sent.status, 'sent');
        assert.ok(sent.message_id.length > 0);
        const events = await t.core.events.list(a.id, { seq: 0 }, 1000);
        assert.ok(events.some((e) => e.type === 'message.sent' && e.data.chatId === groupId && e.data.messageId === sent.message_id));
      });

      it('leaves the group; the store forgets it', async () => {
        const left = data(await wappfy('POST', `${base(b)}/groups/${groupId}/leave`));
        assert.deepEqual(left, { group_id: groupId, left: true });
        assert.equal(await stored(b, groupId), undefined);
        error(await wappfy('GET', `${base(b)}/groups/${groupId}`), 404, 'NOT_FOUND');
      });

      it('accepts the full invite link on join too', async () => {
        const invite = data(await wappfy('GET', `${base(a)}/groups/${groupId}/invite-code`));
        const g = data(await wappfy('POST', `${base(b)}/groups/join`, { code: invite.link }));
        assert.equal(g.id, groupId);
      });
    });

    describe("seed 002's errors", () => {
      it('403 when the instance is not an admin (update, add, remove, invite code); nothing changes', async () => {
        const before = JSON.stringify(await stored(b, groupId));
        error(await wappfy('PATCH', `${base(b)}/groups/${groupId}`, { name: 'Hijack' }), 403, 'FORBIDDEN');
        error(await wappfy('POST', `${base(b)}/groups/${groupId}/participants`, { participants: [P3] }), 403, 'FORBIDDEN');
        error(await wappfy('DELETE', `${base(b)}/groups/${groupId}/participants`, { participants: [P1] }), 403, 'FORBIDDEN');
        error(await wappfy('POST', `${base(b)}/groups/${groupId}/participants/remove`, { participants: [P1] }), 403, 'FORBIDDEN');
        error(await wappfy('GET', `${base(b)}/groups/${groupId}/invite-code`), 403, 'FORBIDDEN');
        assert.equal(JSON.stringify(await stored(b, groupId)), before);
        assert.equal((await stored(a, groupId))?.subject, 'Project Alpha v3');
      });

      it('404 when the group does not exist or the instance is not a member', async () => {
        const ghost = '120363000000000001@g.us';
        for (const [method, url, body] of [
          ['GET', `/groups/${ghost}`],
          ['PATCH', `/groups/${ghost}`, { name: 'x' }],
          ['GET', `/groups/${ghost}/participants`],
          ['POST', `/groups/${ghost}/participants`, { participants: [P1] }],
          ['DELETE', `/groups/${ghost}/participants`, { participants: [P1] }],
          ['POST', `/groups/${ghost}/participants/remove`, { participants: [P1] }],
          ['GET', `/groups/${ghost}/invite-code`],
          ['POST', `/groups/${ghost}/leave`],
        ] as const) {
          error(await wappfy(method, `${base(a)}${url}`, body), 404, 'NOT_FOUND');
        }
      });

      it('409 when every participant is already in (add) or none is in (remove); nothing changes', async () => {
        const before = JSON.stringify(await stored(a, groupId));
        const add = error(await wappfy('POST', `${base(a)}/groups/${groupId}/participants`, { participants: [P1] }), 409, 'PARTICIPANT_ALREADY_MEMBER');
        assert.deepEqual(
          add.details.outcomes.map((o: any) => o.status),
          ['already_member'],
        );
        error(await wappfy('DELETE', `${base(a)}/groups/${groupId}/participants`, { participants: [P3] }), 409, 'PARTICIPANT_NOT_MEMBER');
        error(await wappfy('POST', `${base(a)}/groups/${groupId}/participants/remove`, { participants: [P3] }), 409, 'PARTICIPANT_NOT_MEMBER');
        assert.equal(JSON.stringify(await stored(a, groupId)), before);
      });

      it('422 for a participant not written {phone}@s.whatsapp.net, on create, add and remove; nothing changes', async () => {
        const before = JSON.stringify(await stored(a, groupId));
        const groupsBefore = (await t.core.store.groups.list(a.id, { limit: 1000, offset: 0 })).total;
        for (const bad of ['+5511999998883', '5511999998883', '5511999998883@c.us', 'not-a-phone', '123@lid']) {
          const e = error(await wappfy('POST', `${base(a)}/groups/${groupId}/participants`, { participants: [P3, bad] }), 422, 'INVALID_PARTICIPANT');
          assert.deepEqual(e.details, { invalid: [bad] });
          error(await wappfy('DELETE', `${base(a)}/groups/${groupId}/participants`, { participants: [bad] }), 422, 'INVALID_PARTICIPANT');
          error(await wappfy('POST', `${base(a)}/groups`, { name: 'Nope', participants: [bad] }), 422, 'INVALID_PARTICIPANT');
        }
        assert.equal(JSON.stringify(await stored(a, groupId)), before);
        assert.equal((await t.core.store.groups.list(a.id, { limit: 1000, offset: 0 })).total, groupsBefore);
      });
    });

    describe('bad input: a clear 4xx in the envelope, never a 5xx', () => {
      it('400 VALIDATION_ERROR for schema violations, with details', async () => {
        const cases: [string, string, unknown][] = [
          ['POST', '/groups', { participants: [P1] }],
          ['POST', '/groups', { name: 'x', participants: [] }],
          ['POST', '/groups', { name: 'x', participants: 'P1' }],
          ['PATCH', `/groups/${groupId}`, {}],
          ['PATCH', `/groups/${groupId}`, { name: 'a', subject: 'b' }],
          ['POST', `/groups/${groupId}/participants`, {}],
          ['POST', '/groups/join', {}],
          ['POST', '/messages/send', { chat_id: groupId, type: 'image', media_url: 'https://example.com/x.jpg' }],
          ['POST', '/messages/send', { chat_id: groupId, type: 'text' }],
          ['POST', '/messages/send', { chat_id: 'nobody', type: 'text', text: 'hi' }],
        ];
        for (const [method, url, body] of cases) error(await wappfy(method as 'POST', `${base(a)}${url}`, body), 400, 'VALIDATION_ERROR');
        error(await wappfy('GET', `${base(a)}/groups?limit=0`), 400, 'VALIDATION_ERROR');
        error(await wappfy('GET', `${base(a)}/groups/not-a-group`), 400, 'VALIDATION_ERROR');
        error(await wappfy('POST', `${base(a)}/groups/join`, { code: '!!' }), 400, 'VALIDATION_ERROR');
        error(await wappfy('PATCH', `${base(a)}/groups/${groupId}`, { name: 'x'.repeat(101) }), 400, 'VALIDATION_ERROR');
      });

      it('malformed JSON and a NUL character are 400 VALIDATION_ERROR', async () => {
        const res = await t.app.inject({ method: 'POST', url: `/wappfy${base(a)}/groups`, headers: { 'x-api-key': key, 'content-type': 'application/json' }, payload: '{"name":' });
        error(res, 400, 'VALIDATION_ERROR');
        error(await wappfy('POST', `${base(a)}/groups`, { name: 'a\u0000b', participants: [P1] }), 400, 'VALIDATION_ERROR');
      });

      it('an unknown path is 404 NOT_FOUND in the envelope', async () => {
        error(await wappfy('GET', `${base(a)}/nothing-here`), 404, 'NOT_FOUND');
      });
    });

    describe('security', () => {
      it('no key or a wrong key: 401 UNAUTHORIZED', async () => {
        error(await wappfy('GET', `${base(a)}/groups`, undefined, null), 401, 'UNAUTHORIZED');
        error(await wappfy('GET', `${base(a)}/groups`, undefined, { 'x-api-key': 'wappfy_sk_wrong' }), 401, 'UNAUTHORIZED');
        error(await wappfy('GET', `${base(a)}/groups`, undefined, { authorization: 'Bearer wappfy_sk_wrong' }), 401, 'UNAUTHORIZED');
      });

      it('an instance token is not an API key: 401', async () => {
        error(await wappfy('GET', `${base(a)}/groups`, undefined, { 'x-api-key': a.token }), 401, 'UNAUTHORIZED');
      });

      it('a key scoped to another instance never touches this one: 404 INSTANCE_NOT_FOUND, nothing changes', async () => {
        const c = await createUnpacedInstance(t, { name: 'C' });
        const other = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'c only', instances: [c.id] } })).json().key;
        const before = JSON.stringify(await stored(a, groupId));
        const h = { 'x-api-key': other };
        error(await wappfy('GET', `${base(a)}/groups`, undefined, h), 404, 'INSTANCE_NOT_FOUND');
        error(await wappfy('PATCH', `${base(a)}/groups/${groupId}`, { name: 'Hijack' }, h), 404, 'INSTANCE_NOT_FOUND');
        error(await wappfy('POST', `${base(a)}/groups/${groupId}/participants`, { participants: [P3] }, h), 404, 'INSTANCE_NOT_FOUND');
        error(await wappfy('POST', `${base(a)}/messages/send`, { chat_id: groupId, type: 'text', text: 'x' }, h), 404, 'INSTANCE_NOT_FOUND');
        assert.equal(JSON.stringify(await stored(a, groupId)), before);
        // The admin key reaches every instance; an unknown instance is 404 INSTANCE_NOT_FOUND.
        data(await wappfy('GET', `${base(a)}/groups`, undefined, { 'x-api-key': ADMIN_KEY }));
        error(await wappfy('GET', '/api/instances/nope/groups', undefined, { 'x-api-key': ADMIN_KEY }), 404, 'INSTANCE_NOT_FOUND');
      });

      it('the native API keeps its own bodies', async () => {
        const res = await t.request({ method: 'GET', url: `/api/instances/${a.id}/groups/${groupId}` });
        assert.equal(res.statusCode, 200);
        assert.equal(res.json().id, groupId);
        assert.equal(res.json().success, undefined);
      });

      it('the OpenAPI document has a wappfy section', async () => {
        const doc = (await t.request({ method: 'GET', url: '/openapi.json', key: null })).json();
        assert.ok(doc.paths['/wappfy/api/instances/{instanceId}/groups']?.post?.tags?.includes('wappfy'));
        assert.ok(doc.paths['/wappfy/api/instances/{instanceId}/groups/{groupId}/participants/remove']);
        const wappfyPaths = Object.entries(doc.paths as Record<string, Record<string, { tags?: string[] }>>).filter(([path]) => path.startsWith('/wappfy/'));
        assert.ok(wappfyPaths.flatMap(([, ops]) => Object.keys(ops)).length >= 12, 'every Wappfy operation is documented');
        for (const [path, ops] of wappfyPaths) for (const [method, op] of Object.entries(ops)) assert.ok(op.tags?.includes('wappfy'), `${method} ${path} is tagged wappfy`);
        assert.match(doc.info.description, /Wappfy \(`\/wappfy\/api\/instances\/\{instanceId\}\/\.\.\.`/);
      });
    });
  });
}
