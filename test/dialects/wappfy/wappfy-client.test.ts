/**
 * A whole day of a client written from Wappfy's documentation, over real HTTP, changed in one thing
 * only: its base URL (`https://api.wappfy.io` becomes `http://<host>:<port>/wappfy`). It knows
 * Wappfy's response format (`{success, data, meta}`, errors `{success: false, error}`), sends the
 * guide's `X-Api-Key` (and, for the second instance, the API reference's `Authorization: Bearer`),
 * writes group ids raw in the path as the guide's curl lines do, and reads only the fields the
 * guide's and the reference's examples show. Pacing stays on (a short policy; a held request
 * advances the manual clock), so a paced call is an ordinary answer to the client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { manualClock, createSandboxInstance, startTestApp, type TestApp } from '../../support/app.js';

/** Wappfy's documented failure: the status and `error: {code, message, details}`. */
class WappfyApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(`${status} ${code}`);
  }
}

type Auth = { 'X-Api-Key': string } | { Authorization: string };

/** The client, as Wappfy's groups guide, API reference and messages endpoint describe the calls. */
class WappfyClient {
  constructor(
    private readonly baseUrl: string,
    private readonly auth: Auth,
  ) {}

  private async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...this.auth, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as { success: boolean; data?: T; error?: { code: string }; meta: { requestId: string; timestamp: string } };
    assert.equal(typeof json.meta.requestId, 'string');
    assert.ok(!Number.isNaN(Date.parse(json.meta.timestamp)));
    if (!json.success) throw new WappfyApiError(res.status, json.error!.code);
    assert.ok(res.status === 200 || res.status === 201, `${method} ${path}: ${res.status}`);
    return json.data as T;
  }

  createGroup = (instanceId: string, body: { name: string; participants: string[]; description?: string }) => this.call('POST', `/api/instances/${instanceId}/groups`, body);
  listGroups = (instanceId: string, query = '') => this.call<any[]>('GET', `/api/instances/${instanceId}/groups${query}`);
  getGroup = (instanceId: string, groupId: string) => this.call('GET', `/api/instances/${instanceId}/groups/${groupId}`);
  updateGroup = (instanceId: string, groupId: string, body: { name?: string; description?: string }) => this.call('PATCH', `/api/instances/${instanceId}/groups/${groupId}`, body);
  leaveGroup = (instanceId: string, groupId: string) => this.call('POST', `/api/instances/${instanceId}/groups/${groupId}/leave`);
  listParticipants = (instanceId: string, groupId: string) => this.call<any[]>('GET', `/api/instances/${instanceId}/groups/${groupId}/participants`);
  addParticipants = (instanceId: string, groupId: string, participants: string[]) =>
    this.call('POST', `/api/instances/${instanceId}/groups/${groupId}/participants`, { participants });
  /** The groups guide's form. */
  removeParticipants = (instanceId: string, groupId: string, participants: string[]) =>
    this.call('DELETE', `/api/instances/${instanceId}/groups/${groupId}/participants`, { participants });
  /** The API reference's form. */
  removeParticipantsPost = (instanceId: string, groupId: string, participants: string[]) =>
    this.call('POST', `/api/instances/${instanceId}/groups/${groupId}/participants/remove`, { participants });
  getInviteCode = (instanceId: string, groupId: string) => this.call<{ code: string; link: string }>('GET', `/api/instances/${instanceId}/groups/${groupId}/invite-code`);
  joinGroup = (instanceId: string, code: string) => this.call('POST', `/api/instances/${instanceId}/groups/join`, { code });
  sendText = (instanceId: string, chatId: string, text: string) =>
    this.call<{ message_id: string; status: string }>('POST', `/api/instances/${instanceId}/messages/send`, { chat_id: chatId, type: 'text', text });
}

const SHORT_PACING = { addBatchPauseSeconds: 30, addBatchPauseJitterSeconds: 0, groupCreateIntervalSeconds: 300, groupCreateJitterSeconds: 0 };
const jid = (phone: string) => `${phone.replace(/^\+/, '')}@s.whatsapp.net`;
const P1 = '5511999998888@s.whatsapp.net'; // the guide's example participants
const P2 = '5511888887777@s.whatsapp.net';
const P3 = '5511777776666@s.whatsapp.net';

describe('a client written from Wappfy docs, only its base URL changed', () => {
  let t: TestApp;
  let baseUrl: string;
  const clock = manualClock();
  let a: Awaited<ReturnType<typeof createSandboxInstance>>;
  let b: Awaited<ReturnType<typeof createSandboxInstance>>;
  let key: string;

  before(async () => {
    t = await startTestApp({ now: clock.now, sleep: async (ms) => clock.advance(ms) });
    a = await createSandboxInstance(t, { name: 'A' });
    b = await createSandboxInstance(t, { name: 'B' });
    for (const i of [a, b]) await t.request({ method: 'PATCH', url: `/api/instances/${i.id}/pacing`, payload: SHORT_PACING });
    key = (await t.request({ method: 'POST', url: '/api/keys', payload: { name: 'wappfy client', instances: [a.id, b.id] } })).json().key;
    baseUrl = `${await t.app.listen({ port: 0, host: '127.0.0.1' })}/wappfy`;
  });
  after(() => t.close());

  test('creates, lists, reads, updates, adds, removes, gets the invite code, joins, leaves and sends to a group', async () => {
    const wappfy = new WappfyClient(baseUrl, { 'X-Api-Key': key });
    const other = new WappfyClient(baseUrl, { Authorization: `Bearer ${key}` });

    // Create (guide: Create a Group): the answer's group_id and participants as the guide shows them.
    const created = await wappfy.createGroup(a.id, { name: 'Project Alpha', participants: [P1, P2] });
    const groupId: string = created.group_id;
    assert.match(groupId, /^\d+@g\.us$/);
    assert.equal(created.name, 'Project Alpha');
    for (const p of [P1, P2])
      assert.deepEqual(
        pick(
          created.participants.find((x: any) => x.id === p),
          ['id', 'is_admin'],
        ),
        { id: p, is_admin: false },
      );

    // List (guide: List Groups; reference: limit/offset).
    const listed = await wappfy.listGroups(a.id);
    assert.deepEqual(
      pick(
        listed.find((g) => g.group_id === groupId),
        ['group_id', 'name', 'participant_count'],
      ),
      { group_id: groupId, name: 'Project Alpha', participant_count: 3 },
    );
    assert.equal((await wappfy.listGroups(a.id, '?limit=50&offset=0')).length, listed.length);

    // Read (guide: Get Group Info): the creator is admin and super admin.
    const info = await wappfy.getGroup(a.id, groupId);
    assert.deepEqual(pick(info, ['group_id', 'name', 'description', 'owner']), { group_id: groupId, name: 'Project Alpha', description: '', owner: jid(a.phone) });
    assert.ok(!Number.isNaN(Date.parse(info.created_at)));
    assert.deepEqual(
      info.participants.find((p: any) => p.id === jid(a.phone)),
      { id: jid(a.phone), is_admin: true, is_super_admin: true, admin: 'superadmin' },
    );

    // Update (guide: Update a Group, its example body).
    const updated = await wappfy.updateGroup(a.id, groupId, { name: 'Project Alpha v2', description: 'Updated workspace for Project Alpha' });
    assert.deepEqual(pick(updated, ['name', 'description']), { name: 'Project Alpha v2', description: 'Updated workspace for Project Alpha' });

    // Add, then remove both ways (guide: DELETE .../participants; reference: POST .../participants/remove).
    const added = await wappfy.addParticipants(a.id, groupId, [P3]);
    assert.ok(added.participants.some((p: any) => p.id === P3));
    assert.deepEqual((await wappfy.listParticipants(a.id, groupId)).map((p) => p.id).sort(), [jid(a.phone), P1, P2, P3].sort());
    const removed = await wappfy.removeParticipants(a.id, groupId, [P3]);
    assert.ok(!removed.participants.some((p: any) => p.id === P3));
    const removedToo = await wappfy.removeParticipantsPost(a.id, groupId, [P2]);
    assert.ok(!removedToo.participants.some((p: any) => p.id === P2));

    // Seed 002's refusals reach the client as Wappfy errors.
    await assert.rejects(wappfy.addParticipants(a.id, groupId, [P1]), (e: WappfyApiError) => e.status === 409);
    await assert.rejects(wappfy.addParticipants(a.id, groupId, ['+5511777776666']), (e: WappfyApiError) => e.status === 422);

    // Invite code (guide), then the second instance joins with the code only (guide's note) using Bearer.
    const invite = await wappfy.getInviteCode(a.id, groupId);
    assert.equal(invite.link, `https://chat.whatsapp.com/${invite.code}`);
    await assert.rejects(other.getInviteCode(b.id, groupId), (e: WappfyApiError) => e.status === 404 && e.code === 'NOT_FOUND');
    const joined = await other.joinGroup(b.id, invite.code);
    assert.equal(joined.id, groupId);
    assert.equal(joined.subject, 'Project Alpha v2');
    assert.ok(joined.participants.some((p: any) => p.id === jid(b.phone) && p.admin === null));
    await assert.rejects(other.updateGroup(b.id, groupId, { name: 'Hijack' }), (e: WappfyApiError) => e.status === 403 && e.code === 'FORBIDDEN');

    // Send to the group (seed 002: the standard send endpoint with the group's chat id).
    const sent = await wappfy.sendText(a.id, groupId, 'Hello from Wappfy!');
    assert.equal(sent.status, 'sent');
    const events = await t.core.events.list(a.id, { seq: 0 }, 1000);
    assert.ok(events.some((e) => e.type === 'message.sent' && e.data.chatId === groupId && e.data.messageId === sent.message_id));

    // Leave (guide: Leave a Group): the group is gone for B, still there for A.
    assert.deepEqual(await other.leaveGroup(b.id, groupId), { group_id: groupId, left: true });
    await assert.rejects(other.getGroup(b.id, groupId), (e: WappfyApiError) => e.status === 404);
    assert.ok(!(await other.listGroups(b.id)).some((g) => g.group_id === groupId));
    const final = await wappfy.getGroup(a.id, groupId);
    assert.deepEqual(final.participants.map((p: any) => p.id).sort(), [jid(a.phone), P1].sort());
  });
});

function pick(o: Record<string, unknown> | undefined, keys: string[]): Record<string, unknown> {
  assert.ok(o, 'present');
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}
