/**
 * Z-API's callback bodies, one event at a time, asserted field by field. Where each shape comes from:
 * - ReceivedCallback text: Z-API docs, docs/webhooks/on-message-received.md, "Exemplo de retorno de
 *   texto" (github.com/Z-API/z-api-docs), and a captured group text body of a Z-API-compatible service
 *   (Setup-Automatizado/use-zedaapi, api/z_api/received_callback/text/raw-samples).
 * - Group notifications: same page, the MEMBERSHIP_APPROVAL_REQUEST (invite_link, non_admin_add) and
 *   REVOKED_MEMBERSHIP_REQUESTS examples for the order and fill; GROUP_CREATE's parameters from the
 *   page's "Notification Response" rendering ("Criou o grupo '<notificationParameters>'"); the other
 *   names are WhatsApp's own notification names (WAMessageStubType), which Z-API passes through.
 * - DeliveryCallback: docs/webhooks/on-message-send.md. MessageStatusCallback:
 *   docs/webhooks/on-whatsapp-message-status-changes.md. ConnectedCallback: on-webhook-connected.md and
 *   the captured connected body (isBusiness). DisconnectedCallback: on-whatsapp-disconnected.md.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventRecord } from '../../../src/core/events/event-model.js';
import type { Instance } from '../../../src/core/instances/instance-model.js';
import { zapiCallbackBody } from '../../../src/dialects/z-api/callbacks.js';
import { parseZapiGroupId, toZapiGroupPhone } from '../../../src/dialects/z-api/wire-format.js';

const ME = '15550100001';
const P1 = '5511955550001';
const P2 = '5511955550002';
const GROUP = '120363019502650977@g.us';
const AT = '2026-11-22T10:00:00.000Z';
const MS = Date.parse(AT);

const instance: Instance = {
  id: 'k3j9x0a2mq',
  idInstance: '1101000001',
  name: 'A',
  engine: 'sandbox',
  phone: ME,
  status: 'connected',
  statusReason: 'connected',
  tokenHash: 'x',
  createdAt: AT,
  settings: {},
};

let seq = 0;
const ev = (type: string, data: Record<string, unknown>): EventRecord => ({
  id: `01JD3V8Q2Z6M4X7K9P0R5T1W${String(++seq).padStart(2, '0')}`,
  seq,
  type,
  instanceId: instance.id,
  occurredAt: AT,
  data,
});
const person = (phone: string, lid: string | null = null) => ({ jid: `${phone}@s.whatsapp.net`, phone: `+${phone}`, lid });
const lidOnly = (lid: string) => ({ jid: lid, phone: null, lid });

/** The head every group notification carries, as in Z-API's join-request examples. */
function notification(
  event: EventRecord,
  f: { participantPhone: string | null; participantLid?: string | null; senderLid?: string | null; fromMe?: boolean; chatName?: string | null },
) {
  return {
    isStatusReply: false,
    senderLid: f.senderLid ?? f.participantLid ?? null,
    chatLid: null,
    connectedPhone: ME,
    waitingMessage: false,
    isEdit: false,
    isGroup: true,
    isNewsletter: false,
    instanceId: instance.id,
    messageId: event.id,
    phone: '120363019502650977-group',
    fromMe: f.fromMe ?? false,
    momment: MS,
    status: 'RECEIVED',
    chatName: f.chatName ?? null,
    senderPhoto: null,
    senderName: f.participantPhone ?? '',
    participantPhone: f.participantPhone,
    participantLid: f.participantLid ?? null,
    photo: null,
    broadcast: false,
    type: 'ReceivedCallback',
    expiresAt: null,
    referenceMessageId: null,
    externalAdReply: null,
    forwarded: false,
  };
}
const tail = (n: string, params: string[], extra: Record<string, unknown> = {}) => ({ notification: n, notificationParameters: params, callId: null, code: null, ...extra });

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

describe('ReceivedCallback: group notifications', () => {
  const body = (e: EventRecord) => zapiCallbackBody(instance, e, 'received');

  it('GROUP_CREATE names the group (Z-API renders "Criou o grupo \'<parameters>\'")', () => {
    const e = ev('group.created', { groupId: GROUP, name: 'Callbacks', reason: 'created', actor: person(ME), participants: [person(ME), person(P1)] });
    assert.deepEqual(body(e), { ...notification(e, { participantPhone: ME, fromMe: true, chatName: 'Callbacks' }), ...tail('GROUP_CREATE', ['Callbacks']) });
  });

  it('ADD / REMOVE / PROMOTE / DEMOTE by the instance itself are fromMe, with the people as parameters', () => {
    for (const [type, n] of [
      ['group.participants.added', 'GROUP_PARTICIPANT_ADD'],
      ['group.participants.removed', 'GROUP_PARTICIPANT_REMOVE'],
      ['group.participants.promoted', 'GROUP_PARTICIPANT_PROMOTE'],
      ['group.participants.demoted', 'GROUP_PARTICIPANT_DEMOTE'],
    ] as const) {
      const e = ev(type, { groupId: GROUP, participants: [person(P1), person(P2)], actor: person(ME) });
      assert.deepEqual(body(e), { ...notification(e, { participantPhone: ME, fromMe: true }), ...tail(n, [P1, P2]) }, type);
    }
  });

  it('a join by link is GROUP_PARTICIPANT_INVITE; a leave is GROUP_PARTICIPANT_LEAVE by the leaver', () => {
    const joined = ev('group.participants.added', { groupId: GROUP, participants: [person(P1, '111@lid')], actor: person(P1, '111@lid') });
    assert.deepEqual(body(joined), { ...notification(joined, { participantPhone: P1, participantLid: '111@lid' }), ...tail('GROUP_PARTICIPANT_INVITE', [P1]) });
    const left = ev('group.participants.left', { groupId: GROUP, participants: [person(P2)], actor: null });
    assert.deepEqual(body(left), { ...notification(left, { participantPhone: P2 }), ...tail('GROUP_PARTICIPANT_LEAVE', [P2]) });
  });

  it('people known only by LID are kept: participantLid, and <lid>@lid in the parameters', () => {
    const e = ev('group.participants.added', { groupId: GROUP, participants: [lidOnly('222@lid'), person(P2)], actor: lidOnly('333@lid') });
    assert.deepEqual(body(e), { ...notification(e, { participantPhone: null, participantLid: '333@lid' }), ...tail('GROUP_PARTICIPANT_ADD', ['222@lid', P2]) });
  });

  it("the instance's own leaving and removal, seen from its side", () => {
    const removed = ev('group.left', { groupId: GROUP, name: 'G', reason: 'removed', actor: person(P1) });
    assert.deepEqual(body(removed), { ...notification(removed, { participantPhone: P1, chatName: 'G' }), ...tail('GROUP_PARTICIPANT_REMOVE', [ME]) });
    const left = ev('group.left', { groupId: GROUP, name: 'G', reason: 'left', actor: null });
    assert.deepEqual(body(left), { ...notification(left, { participantPhone: ME, fromMe: true, chatName: 'G' }), ...tail('GROUP_PARTICIPANT_LEAVE', [ME]) });
  });

  it('MEMBERSHIP_APPROVAL_REQUEST carries requestMethod; REVOKED_MEMBERSHIP_REQUESTS', () => {
    const byLink = ev('group.join_request.created', { groupId: GROUP, participant: person(P1, '123@lid'), actor: person(P1, '123@lid'), method: 'invite_link' });
    assert.deepEqual(body(byLink), {
      ...notification(byLink, { participantPhone: P1, participantLid: '123@lid' }),
      ...tail('MEMBERSHIP_APPROVAL_REQUEST', [P1], { requestMethod: 'invite_link' }),
    });
    // A member's add of someone else: the person asked for, then the member (Z-API's non_admin_add example lists two).
    const byMember = ev('group.join_request.created', { groupId: GROUP, participant: person(P1), actor: person(P2), method: 'non_admin_add' });
    assert.deepEqual(body(byMember), { ...notification(byMember, { participantPhone: P1 }), ...tail('MEMBERSHIP_APPROVAL_REQUEST', [P1, P2], { requestMethod: 'non_admin_add' }) });
    const revoked = ev('group.join_request.revoked', { groupId: GROUP, participant: person(P1), actor: person(P1) });
    assert.deepEqual(body(revoked), { ...notification(revoked, { participantPhone: P1 }), ...tail('REVOKED_MEMBERSHIP_REQUESTS', [P1]) });
  });

  it('name, description and each setting change (WhatsApp names and parameters)', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ name: 'New' }, 'GROUP_CHANGE_SUBJECT', 'New'],
      [{ description: 'About' }, 'GROUP_CHANGE_DESCRIPTION', 'About'],
      [{ announcement: true }, 'GROUP_CHANGE_ANNOUNCE', 'on'],
      [{ locked: false }, 'GROUP_CHANGE_RESTRICT', 'off'],
      [{ approvalMode: true }, 'GROUP_MEMBERSHIP_JOIN_APPROVAL_MODE', 'on'],
      [{ memberAddMode: 'admins' }, 'GROUP_MEMBER_ADD_MODE', 'admin_add'],
      [{ memberAddMode: 'all' }, 'GROUP_MEMBER_ADD_MODE', 'all_member_add'],
      [{ ephemeralSeconds: 86400 }, 'CHANGE_EPHEMERAL_SETTING', '86400'],
    ];
    for (const [changes, n, p] of cases) {
      const e = ev('group.updated', { groupId: GROUP, changes, actor: person(P1) });
      assert.deepEqual(body(e), { ...notification(e, { participantPhone: P1 }), ...tail(n, [p]) }, n);
    }
  });

  it('is null for what Z-API has no callback for', () => {
    for (const e of [
      ev('group.joined', { groupId: GROUP, reason: 'sync' }),
      ev('group.join_request.approved', { groupId: GROUP, participant: person(P1) }),
      ev('instance.status', { status: 'connected' }),
      ev('operation.succeeded', {}),
    ]) {
      assert.equal(body(e), null, e.type);
    }
  });
});

describe('ReceivedCallback: messages', () => {
  it('a group text carries every top-level key of Z-API text example', () => {
    const e = ev('message.received', {
      messageId: '3EB0A1',
      chatId: GROUP,
      from: person(P1, '81952304591011@lid'),
      timestamp: AT,
      text: 'hello',
      senderName: 'Ana',
      chatName: 'G',
    });
    assert.deepEqual(zapiCallbackBody(instance, e, 'received'), {
      isStatusReply: false,
      senderLid: '81952304591011@lid',
      chatLid: null,
      connectedPhone: ME,
      waitingMessage: false,
      isEdit: false,
      isGroup: true,
      isNewsletter: false,
      instanceId: instance.id,
      messageId: '3EB0A1',
      phone: '120363019502650977-group',
      fromMe: false,
      momment: MS,
      status: 'RECEIVED',
      chatName: 'G',
      senderPhoto: null,
      senderName: 'Ana',
      participantPhone: P1,
      participantLid: '81952304591011@lid',
      photo: null,
      broadcast: false,
      type: 'ReceivedCallback',
      referenceMessageId: null,
      messageExpirationSeconds: 0,
      forwarded: false,
      fromApi: false,
      text: { message: 'hello' },
    });
  });

  it('a private text: phone is the sender, no participant; the chat is named after the sender', () => {
    const e = ev('message.received', { messageId: '3EB0A2', chatId: `${P1}@s.whatsapp.net`, from: person(P1), timestamp: AT, text: 'hi' });
    const b = zapiCallbackBody(instance, e, 'received')!;
    assert.deepEqual([b.phone, b.isGroup, b.participantPhone, b.participantLid, b.senderName, b.chatName], [P1, false, null, null, P1, P1]);
  });

  it('a sent text (notifySentByMe) is fromMe, status SENT, fromApi', () => {
    const e = ev('message.sent', { messageId: '3EB0A3', chatId: GROUP, timestamp: AT, text: 'from me' });
    const b = zapiCallbackBody(instance, e, 'received')!;
    assert.deepEqual([b.fromMe, b.status, b.fromApi, b.participantPhone, b.phone, b.text], [true, 'SENT', true, ME, '120363019502650977-group', { message: 'from me' }]);
  });
});

describe('DeliveryCallback, MessageStatusCallback, ConnectedCallback, DisconnectedCallback', () => {
  it('each kind has its own shape, and only its own URL gets it', () => {
    const sent = ev('message.sent', { messageId: '3EB0B1', chatId: `${P1}@s.whatsapp.net`, timestamp: AT, text: 'x' });
    assert.deepEqual(zapiCallbackBody(instance, sent, 'delivery'), { phone: P1, zaapId: '3EB0B1', messageId: '3EB0B1', type: 'DeliveryCallback', instanceId: instance.id });
    assert.deepEqual(zapiCallbackBody(instance, sent, 'message-status'), {
      instanceId: instance.id,
      status: 'SENT',
      ids: ['3EB0B1'],
      momment: MS,
      phoneDevice: 0,
      phone: P1,
      type: 'MessageStatusCallback',
      isGroup: false,
    });
    assert.equal(zapiCallbackBody(instance, sent, 'connected'), null);

    const read = ev('message.status', { messageId: '3EB0B1', chatId: GROUP, status: 'read', timestamp: AT });
    assert.deepEqual(zapiCallbackBody(instance, read, 'message-status'), {
      instanceId: instance.id,
      status: 'READ',
      ids: ['3EB0B1'],
      momment: MS,
      phoneDevice: 0,
      phone: '120363019502650977-group',
      type: 'MessageStatusCallback',
      isGroup: true,
    });
    const words = ['sent', 'delivered', 'read', 'failed'].map(
      (status) => zapiCallbackBody(instance, ev('message.status', { messageId: 'm', chatId: GROUP, status, timestamp: AT }), 'message-status')?.status ?? null,
    );
    assert.deepEqual(words, ['SENT', 'RECEIVED', 'READ', null]);
    assert.equal(zapiCallbackBody(instance, read, 'received'), null);

    const up = ev('instance.status', { status: 'connected', reason: 'connected', phone: `+${ME}` });
    assert.deepEqual(zapiCallbackBody(instance, up, 'connected'), {
      type: 'ConnectedCallback',
      connected: true,
      momment: MS,
      instanceId: instance.id,
      phone: ME,
      isBusiness: false,
    });
    assert.equal(zapiCallbackBody(instance, up, 'disconnected'), null);
    const down = ev('instance.status', { status: 'logged_out', reason: 'logged out' });
    assert.deepEqual(zapiCallbackBody(instance, down, 'disconnected'), {
      momment: MS,
      error: 'Device has been disconnected',
      disconnected: true,
      type: 'DisconnectedCallback',
      instanceId: instance.id,
    });
    assert.equal(zapiCallbackBody(instance, down, 'connected'), null);
    // A restart passes through "starting": neither kind.
    const starting = ev('instance.status', { status: 'starting', reason: 'restarting' });
    assert.deepEqual([zapiCallbackBody(instance, starting, 'connected'), zapiCallbackBody(instance, starting, 'disconnected')], [null, null]);
  });
});
