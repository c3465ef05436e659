/**
 * Numbers written the usual way work through the native API and the Z-API dialect; what is not a
 * number is refused with 422 naming it, and nothing changes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUnpacedInstance, startTestApp, type TestApp } from '../../support/app.js';

describe('phone numbers as people write them', () => {
  let t: TestApp;
  let A: Awaited<ReturnType<typeof createUnpacedInstance>>;
  let BR: Awaited<ReturnType<typeof createUnpacedInstance>>;

  before(async () => {
    t = await startTestApp();
    A = await createUnpacedInstance(t, { name: 'US line' });
    BR = await createUnpacedInstance(t, { name: 'São Paulo line', phone: '+55 11 97777-0000' });
  });
  after(() => t.close());

  const members = async (instanceId: string, groupId: string) => {
    const res = await t.request({ method: 'GET', url: `/api/instances/${instanceId}/groups/${encodeURIComponent(groupId)}/participants` });
    assert.equal(res.statusCode, 200, res.body);
    return (res.json() as { participants: { phone: string | null }[] }).participants.map((p) => p.phone).sort();
  };

  it('creates a group and adds people written with spaces, dashes, dots, parentheses and 00', async () => {
    assert.equal(BR.phone, '5511977770000');
    const created = await t.request({
      method: 'POST',
      url: `/api/instances/${A.id}/groups`,
      payload: { name: 'Formatted', participants: ['+55 11 98888-1234', '+1-415-555-0101'] },
    });
    assert.equal(created.statusCode, 201, created.body);
    const group = created.json() as { id: string; outcomes: { participant: string; jid: string; status: string }[] };
    assert.deepEqual(
      group.outcomes.map((o) => [o.participant, o.jid, o.status]),
      [
        ['+55 11 98888-1234', '5511988881234@s.whatsapp.net', 'added'],
        ['+1-415-555-0101', '14155550101@s.whatsapp.net', 'added'],
      ],
    );
    const added = await t.request({
      method: 'POST',
      url: `/api/instances/${A.id}/groups/${encodeURIComponent(group.id)}/participants`,
      payload: { participants: ['0044 20 7946 0958', '+44.20.7946.0959', '55 (11) 96666-1111'] },
    });
    assert.equal(added.statusCode, 200, added.body);
    assert.deepEqual(
      (added.json() as { outcomes: { jid: string; status: string }[] }).outcomes.map((o) => [o.jid, o.status]),
      [
        ['442079460958@s.whatsapp.net', 'added'],
        ['442079460959@s.whatsapp.net', 'added'],
        ['5511966661111@s.whatsapp.net', 'added'],
      ],
    );
    const stored = await members(A.id, group.id);
    for (const phone of ['14155550101', '442079460958', '442079460959', '5511966661111', '5511988881234'])
      assert.ok(
        stored.some((p) => p?.replace(/^\+/, '') === phone),
        `${phone} in ${stored.join(', ')}`,
      );
  });

  it("reads a number without its country code in the country of the instance's own number", async () => {
    const created = await t.request({ method: 'POST', url: `/api/instances/${BR.id}/groups`, payload: { name: 'Local', participants: ['(11) 91111-0004'] } });
    assert.equal(created.statusCode, 201, created.body);
    assert.deepEqual(
      (created.json() as { outcomes: { jid: string; status: string }[] }).outcomes.map((o) => [o.jid, o.status]),
      [['5511911110004@s.whatsapp.net', 'added']],
    );
  });

  it('refuses what is not a number with 422 naming it, and adds nobody', async () => {
    const created = await t.request({ method: 'POST', url: `/api/instances/${A.id}/groups`, payload: { name: 'Mixed', participants: ['+55 11 98888-1234'] } });
    const groupId = (created.json() as { id: string }).id;
    const before = await members(A.id, groupId);
    const res = await t.request({
      method: 'POST',
      url: `/api/instances/${A.id}/groups/${encodeURIComponent(groupId)}/participants`,
      payload: { participants: ['+55 11 95555-2222', 'not-a-number', '(11) 91111-0004'] },
    });
    assert.equal(res.statusCode, 422, res.body);
    const body = res.json() as { error: { code: string; message: string; details: { invalid: string[] } } };
    assert.equal(body.error.code, 'invalid_participant');
    // The US instance cannot tell which country "(11) ..." is in.
    assert.deepEqual(body.error.details.invalid, ['not-a-number', '(11) 91111-0004']);
    assert.match(body.error.message, /with its country code/);
    assert.deepEqual(await members(A.id, groupId), before);
  });

  it('the Z-API dialect accepts formatted numbers too', async () => {
    const created = await t.request({ method: 'POST', url: `/api/instances/${A.id}/groups`, payload: { name: 'Z', participants: ['+55 11 98888-1234'] } });
    const groupId = (created.json() as { id: string }).id;
    const res = await t.request({
      method: 'POST',
      url: `/instances/${A.id}/token/${A.token}/add-participant`,
      payload: { groupId: `${groupId.replace('@g.us', '')}-group`, phones: ['+55 11 94444-3333'] },
      key: null,
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { value: true });
    assert.ok((await members(A.id, groupId)).some((p) => p?.replace(/^\+/, '') === '5511944443333'));
  });
});
