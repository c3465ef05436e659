/** Z-API's ReceivedCallback bodies, shaped from the event log of real sandbox group changes. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EventRecord } from '../../../src/core/events/event-model.js';
import { parseZapiGroupId, toZapiGroupPhone, zapiCallbackBody } from '../../../src/dialects/z-api/wire-format.js';
import { createSandboxInstance, manualClock, startTestApp, type TestApp } from '../../support/app.js';

const P1 = '5511955550001';
const P2 = '5511955550002';

describe('z-api group ids', () => {
  it('writes and reads <digits>-group, old ids and @g.us', () => {
    assert.equal(toZapiGroupPhone('120363019502650977@g.us'), '120363019502650977-group');
    assert.equal(toZapiGroupPhone('5511999999999-1623281429@g.us'), '5511999999999-1623281429');
    assert.equal(parseZapiGroupId('120363019502650977-group'), '120363019502650977@g.us');
    assert.equal(parseZapiGroupId('120363019502650977@g.us'), '120363019502650977@g.us');
    assert.equal(parseZapiGroupId('5511999999999-1623281429'), '5511999999999-1623281429@g.us');
    assert.equal(parseZapiGroupId('abc-group'), undefined);
    assert.equal(parseZapiGroupId(42), undefined);
  });
});

describe('zapiCallbackBody', () => {
  const clock = manualClock();
  let t: TestApp;
  let a: Awaited<ReturnType<typeof createSandboxInstance>>;
  let b: Awaited<ReturnType<typeof createSandboxInstance>>;
  let groupId: string;
  const log = async (instanceId: string): Promise<EventRecord[]> => t.core.events.list(instanceId, {}, 1000);

  before(async () => {
    t = await startTestApp({ now: clock.now });
    a = await createSandboxInstance(t);
    b = await createSandboxInstance(t);
    const res = await t.request({ method: 'POST', url: `/api/instances/${a.id}/groups`, payload: { name: 'Callbacks', participants: [P1, `+${b.phone}`] } });
    assert.equal(res.statusCode, 201, res.body);
    groupId = res.json().id;
  });
  after(() => t.close());

  it('GROUP_CREATE for the creator, with the added numbers', async () => {
    const instance = (await t.core.store.instances.get(a.id))!;
    const event = (await log(a.id)).find((e) => e.type === 'group.created')!;
    assert.deepEqual(zapiCallbackBody(instance, event), {
      isStatusReply: false,
      connectedPhone: a.phone,
      waitingMessage: false,
      isEdit: false,
      isGroup: true,
      isNewsletter: false,
      instanceId: a.id,
      messageId: event.id,
      phone: toZapiGroupPhone(groupId),
      fromMe: true,
      momment: clock.now(),
      status: 'RECEIVED',
      chatName: 'Callbacks',
      senderPhoto: null,
      senderName: '',
      participantPhone: a.phone,
      participantLid: null,
      photo: null,
      broadcast: false,
      type: 'ReceivedCallback',
      notification: 'GROUP_CREATE',
      notificationParameters: [a.phone, P1, b.phone],
      callId: null,
      code: null,
    });
  });

  it('GROUP_PARTICIPANT_ADD / REMOVE / LEAVE and MEMBERSHIP_APPROVAL_REQUEST', async () => {
    const add = await t.request({ method: 'POST', url: `/api/instances/${a.id}/groups/${groupId}/participants`, payload: { participants: [P2] } });
    assert.equal(add.statusCode, 200, add.body);
    const remove = await t.request({ method: 'DELETE', url: `/api/instances/${a.id}/groups/${groupId}/participants`, payload: { participants: [P1] } });
    assert.equal(remove.statusCode, 200, remove.body);
    assert.equal((await t.request({ method: 'POST', url: `/api/instances/${b.id}/groups/${groupId}/leave` })).statusCode, 200);
    const instance = (await t.core.store.instances.get(a.id))!;
    const bodies = (await log(a.id)).map((e) => zapiCallbackBody(instance, e)).filter((x) => x !== null);
    const pick = (n: string) => bodies.filter((x) => x.notification === n).map((x) => [x.participantPhone, x.notificationParameters, x.fromMe]);
    assert.deepEqual(pick('GROUP_PARTICIPANT_ADD'), [[a.phone, [P2], true]]);
    assert.deepEqual(pick('GROUP_PARTICIPANT_REMOVE'), [[a.phone, [P1], true]]);
    assert.deepEqual(pick('GROUP_PARTICIPANT_LEAVE'), [[b.phone, [b.phone], false]]);
    // B's own log: its leaving, from its side
    const bInstance = (await t.core.store.instances.get(b.id))!;
    const own = (await log(b.id)).map((e) => zapiCallbackBody(bInstance, e)).filter((x) => x?.notification === 'GROUP_PARTICIPANT_LEAVE');
    assert.deepEqual(
      own.map((x) => [x!.participantPhone, x!.notificationParameters, x!.fromMe]),
      [[b.phone, [b.phone], true]],
    );

    const request: EventRecord = {
      id: '01JD3V8Q2Z6M4X7K9P0R5T1W3Y',
      seq: 99,
      type: 'group.join_request.created',
      instanceId: a.id,
      occurredAt: new Date(clock.now()).toISOString(),
      data: { groupId, participant: { jid: `${P1}@s.whatsapp.net`, phone: `+${P1}`, lid: '123@lid' }, actor: null },
    };
    const body = zapiCallbackBody(instance, request)!;
    assert.deepEqual([body.notification, body.participantPhone, body.participantLid, body.notificationParameters], ['MEMBERSHIP_APPROVAL_REQUEST', P1, '123@lid', [P1]]);
  });

  it('is null for events Z-API has no callback for', async () => {
    const instance = (await t.core.store.instances.get(a.id))!;
    const types = new Set((await log(a.id)).filter((e) => zapiCallbackBody(instance, e) === null).map((e) => e.type));
    assert.ok(types.has('instance.status'));
    for (const type of ['group.updated', 'message.sent', 'group.participants.promoted']) {
      assert.equal(zapiCallbackBody(instance, { id: 'x', seq: 1, type, instanceId: a.id, occurredAt: new Date().toISOString(), data: { groupId } }), null);
    }
  });
});
