/**
 * Every status code of the native group API (seed 002's table and ours), each with its error code.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSandboxInstance, createUnpacedInstance, startTestApp, type TestApp } from '../../support/app.js';

type Inst = Awaited<ReturnType<typeof createSandboxInstance>>;
const enc = encodeURIComponent;

describe('native group API status codes', () => {
  let t: TestApp;
  let A: Inst, B: Inst, C: Inst;
  let gid: string;

  before(async () => {
    t = await startTestApp();
    A = await createUnpacedInstance(t);
    B = await createUnpacedInstance(t);
    C = await createUnpacedInstance(t);
    gid = (await t.request({ method: 'POST', url: `/api/instances/${A.id}/groups`, payload: { name: 'Codes', participants: [`+${B.phone}`] } })).json().id;
  });
  after(() => t.close());

  const expectError = async (res: Promise<{ statusCode: number; json(): any }>, status: number, code: string) => {
    const r = await res;
    assert.equal(r.statusCode, status, JSON.stringify(r.json()));
    assert.equal(r.json().error.code, code);
    assert.equal(typeof r.json().error.message, 'string');
    assert.match(r.json().requestId, /^req-/);
    return r.json();
  };

  it('201 on create', async () => {
    const r = await t.request({ method: 'POST', url: `/api/instances/${A.id}/groups`, payload: { name: 'Another', participants: [`${B.phone}@c.us`] } });
    assert.equal(r.statusCode, 201);
  });

  it('403 not_group_admin when the instance is not an admin', async () => {
    await expectError(
      t.request({ method: 'POST', url: `/api/instances/${B.id}/groups/${enc(gid)}/participants`, payload: { participants: [`+${C.phone}`] } }),
      403,
      'not_group_admin',
    );
    await expectError(t.request({ method: 'GET', url: `/api/instances/${B.id}/groups/${enc(gid)}/invite-code` }), 403, 'not_group_admin');
    await expectError(t.request({ method: 'PATCH', url: `/api/instances/${B.id}/groups/${enc(gid)}/settings`, payload: { announcement: true } }), 403, 'not_group_admin');
  });

  it('404 group_not_found when the group does not exist or the instance is not a member', async () => {
    await expectError(t.request({ method: 'GET', url: `/api/instances/${A.id}/groups/120363999999999999@g.us` }), 404, 'group_not_found');
    await expectError(t.request({ method: 'GET', url: `/api/instances/${C.id}/groups/${enc(gid)}` }), 404, 'group_not_found');
    await expectError(
      t.request({ method: 'POST', url: `/api/instances/${C.id}/groups/${enc(gid)}/participants`, payload: { participants: [`+${A.phone}`] } }),
      404,
      'group_not_found',
    );
    await expectError(t.request({ method: 'POST', url: `/api/instances/${A.id}/groups/120363999999999999@g.us/leave` }), 404, 'group_not_found');
  });

  it('409 participant_already_member when every participant is already in (add)', async () => {
    const body = await expectError(
      t.request({ method: 'POST', url: `/api/instances/${A.id}/groups/${enc(gid)}/participants`, payload: { participants: [`+${B.phone}`] } }),
      409,
      'participant_already_member',
    );
    assert.equal(body.error.details.outcomes[0].status, 'already_member');
  });

  it('409 participant_already_member also when the add runs now as a paced operation', async () => {
    const P = await createSandboxInstance(t); // pacing on (the default): the first add runs now, inline
    const g = await t.request({ method: 'POST', url: `/api/instances/${P.id}/groups`, payload: { name: 'Paced', participants: [`+${B.phone}`] } });
    assert.equal(g.statusCode, 201, g.body);
    const body = await expectError(
      t.request({ method: 'POST', url: `/api/instances/${P.id}/groups/${enc(g.json().id)}/participants`, payload: { participants: [`+${B.phone}`] } }),
      409,
      'participant_already_member',
    );
    assert.deepEqual(
      body.error.details.outcomes.map((o: any) => o.status),
      ['already_member'],
    );
  });

  it('200 with per-participant outcomes for a mix', async () => {
    await t.request({ method: 'PUT', url: '/api/sandbox/accounts/+5511955550000', payload: { registered: false, groupAddPrivacy: 'everyone' } });
    const r = await t.request({
      method: 'POST',
      url: `/api/instances/${A.id}/groups/${enc(gid)}/participants`,
      payload: { participants: [`+${B.phone}`, '+5511955550000', `+${C.phone}`] },
    });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(
      r.json().outcomes.map((o: any) => o.status),
      ['already_member', 'not_on_whatsapp', 'added'],
    );
  });

  it('409 participant_not_member when no participant is in (remove)', async () => {
    await expectError(
      t.request({ method: 'DELETE', url: `/api/instances/${A.id}/groups/${enc(gid)}/participants`, payload: { participants: ['+5511944440000'] } }),
      409,
      'participant_not_member',
    );
    const r = await t.request({ method: 'DELETE', url: `/api/instances/${A.id}/groups/${enc(gid)}/participants`, payload: { participants: [`+${C.phone}`, '+5511944440000'] } });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(
      r.json().outcomes.map((o: any) => o.status),
      ['removed', 'not_member'],
    );
    const stored = (await t.request({ method: 'GET', url: `/api/instances/${C.id}/groups/${enc(gid)}` })).statusCode;
    assert.equal(stored, 404, 'the removed instance forgot the group');
  });

  it('the creator cannot be removed or demoted (not_allowed)', async () => {
    await t.request({ method: 'POST', url: `/api/instances/${A.id}/groups/${enc(gid)}/participants/promote`, payload: { participants: [`+${B.phone}`] } });
    const r = await t.request({ method: 'POST', url: `/api/instances/${B.id}/groups/${enc(gid)}/participants/demote`, payload: { participants: [`+${A.phone}`] } });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().outcomes[0].status, 'not_allowed');
  });

  it('422 invalid_participant naming the offending entries, and nothing is done', async () => {
    const before = (await t.request({ method: 'GET', url: `/api/instances/${A.id}/groups` })).json().total;
    const body = await expectError(
      t.request({ method: 'POST', url: `/api/instances/${A.id}/groups`, payload: { name: 'Bad', participants: [`+${B.phone}`, 'john@example.com', '12'] } }),
      422,
      'invalid_participant',
    );
    assert.deepEqual(body.error.details.invalid, ['john@example.com', '12']);
    assert.equal((await t.request({ method: 'GET', url: `/api/instances/${A.id}/groups` })).json().total, before);
    await expectError(t.request({ method: 'POST', url: `/api/instances/${A.id}/groups`, payload: { name: 'Self', participants: [`+${A.phone}`] } }), 422, 'invalid_participant');
  });

  it('400 for names and descriptions out of bounds, and non-standard ephemeral durations', async () => {
    await expectError(
      t.request({ method: 'POST', url: `/api/instances/${A.id}/groups`, payload: { name: 'x'.repeat(101), participants: [`+${B.phone}`] } }),
      400,
      'subject_too_long',
    );
    await expectError(t.request({ method: 'POST', url: `/api/instances/${A.id}/groups`, payload: { name: '  ', participants: [`+${B.phone}`] } }), 400, 'subject_too_long');
    await expectError(t.request({ method: 'PATCH', url: `/api/instances/${A.id}/groups/${enc(gid)}`, payload: { description: 'd'.repeat(2049) } }), 400, 'description_too_long');
    await expectError(t.request({ method: 'PATCH', url: `/api/instances/${A.id}/groups/${enc(gid)}/settings`, payload: { ephemeralSeconds: 3600 } }), 400, 'invalid_setting');
    await expectError(t.request({ method: 'POST', url: `/api/instances/${A.id}/groups`, payload: { name: 'x', participants: [] } }), 400, 'validation_failed');
  });

  it('join: 400 invalid_invite_code for junk, 404-style invalid code, 410 revoked', async () => {
    await expectError(t.request({ method: 'POST', url: `/api/instances/${C.id}/groups/join`, payload: { code: 'not a code!' } }), 400, 'invalid_invite_code');
    await expectError(t.request({ method: 'POST', url: `/api/instances/${C.id}/groups/join`, payload: { code: 'AAAAAAAAAAAAAAAAAAAAAA' } }), 400, 'invalid_invite_code');
  });

  it('409 instance_not_connected when the engine is not connected', async () => {
    const D = await createSandboxInstance(t);
    await t.request({ method: 'POST', url: `/api/instances/${D.id}/logout` });
    const body = await expectError(
      t.request({ method: 'POST', url: `/api/instances/${D.id}/groups`, payload: { name: 'x', participants: [`+${B.phone}`] } }),
      409,
      'instance_not_connected',
    );
    assert.equal(body.error.details.status, 'logged_out');
  });

  it('400 invalid_group_id for a malformed group id', async () => {
    await expectError(t.request({ method: 'GET', url: `/api/instances/${A.id}/groups/not-a-group` }), 400, 'invalid_group_id');
  });

  it('picture: JPEG accepted, other bytes refused with 415', async () => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64)]);
    const ok = await t.request({ method: 'PUT', url: `/api/instances/${A.id}/groups/${enc(gid)}/picture`, payload: { image: jpeg.toString('base64') } });
    assert.equal(ok.statusCode, 200);
    const raw = await t.request({ method: 'PUT', url: `/api/instances/${A.id}/groups/${enc(gid)}/picture`, payload: jpeg, headers: { 'content-type': 'image/jpeg' } });
    assert.equal(raw.statusCode, 200);
    await expectError(
      t.request({ method: 'PUT', url: `/api/instances/${A.id}/groups/${enc(gid)}/picture`, payload: { image: Buffer.from('GIF89a').toString('base64') } }),
      415,
      'unsupported_media_type',
    );
    assert.equal((await t.request({ method: 'DELETE', url: `/api/instances/${A.id}/groups/${enc(gid)}/picture` })).statusCode, 200);
  });
});
