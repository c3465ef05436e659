/** The pure Green API shapes: states, chat ids, and the webhook body of every event kind. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EventRecord } from '../../../src/core/events/event-model.js';
import type { Instance } from '../../../src/core/instances/instance-model.js';
import { greenApiWebhookBody, greenChatId, greenPerson, greenState } from '../../../src/dialects/green-api/wire-format.js';

const ON = { stateWebhook: 'yes', incomingWebhook: 'yes', outgoingWebhook: 'yes', outgoingAPIMessageWebhook: 'yes' };
/** An instance whose Green API notifications were switched on with setSettings (Green API's are all off by default). */
const instance: Instance = {
  id: 'inst1',
  idInstance: '1101000001',
  name: 'test',
  engine: 'sandbox',
  phone: '79001234567',
  status: 'connected',
  statusReason: 'connected',
  tokenHash: 'x',
  createdAt: '2026-11-22T10:00:00.000Z',
  settings: { greenApi: ON },
};
/** The same with groupgate's opt-in group-change notifications. */
const withGroups: Instance = { ...instance, settings: { greenApi: { ...ON, groupgateGroupNotifications: 'yes' } } };
const fresh: Instance = { ...instance, settings: {} };
const at = '2026-11-22T10:00:05.000Z';
const ts = Date.parse(at) / 1000;
const event = (type: string, data: Record<string, unknown>): EventRecord => ({ id: '01JCZ0000000000000000000AA', seq: 7, type, instanceId: 'inst1', occurredAt: at, data });
const person = (digits: string) => ({ jid: `${digits}@s.whatsapp.net`, phone: `+${digits}`, lid: `${digits}1@lid` });
const instanceData = { idInstance: 1101000001, wid: '79001234567@c.us', typeInstance: 'whatsapp' };
const G = '120363043968066561@g.us';

const notification = (body: Record<string, unknown> | null) => (body?.messageData as { notificationMessageData: unknown }).notificationMessageData;

describe('Green API shapes', () => {
  test('states', () => {
    assert.deepEqual((['connected', 'starting', 'disconnected', 'qr', 'pairing', 'logged_out', 'failed'] as const).map(greenState), [
      'authorized',
      'starting',
      'starting',
      'notAuthorized',
      'notAuthorized',
      'notAuthorized',
      'notAuthorized',
    ]);
  });

  test('people are @c.us when the phone is known, never @lid then', () => {
    assert.equal(greenChatId('79001234568@s.whatsapp.net'), '79001234568@c.us');
    assert.equal(greenChatId('+79001234568'), '79001234568@c.us');
    assert.equal(greenChatId(G), G);
    assert.equal(greenPerson(person('79001234568')), '79001234568@c.us');
    assert.equal(greenPerson({ jid: '123@lid', phone: null, lid: '123@lid' }), '123@lid');
  });

  test('stateInstanceChanged', () => {
    assert.deepEqual(greenApiWebhookBody(instance, event('instance.status', { status: 'logged_out', reason: 'x' })), {
      typeWebhook: 'stateInstanceChanged',
      instanceData,
      timestamp: ts,
      stateInstance: 'notAuthorized',
    });
  });

  test('group updates: the first change names the type, every change is carried', () => {
    const body = greenApiWebhookBody(
      withGroups,
      event('group.updated', { groupId: G, changes: { announcement: true, locked: false, memberAddMode: 'all' }, actor: person('79001234568') }),
    );
    assert.deepEqual(body, {
      typeWebhook: 'incomingMessageReceived',
      instanceData,
      timestamp: ts,
      idMessage: '01JCZ0000000000000000000AA',
      senderData: { chatId: G, chatName: '', sender: '79001234568@c.us', senderName: '', senderContactName: '' },
      messageData: {
        typeMessage: 'notificationMessage',
        notificationMessageData: { type: 'GROUP_CHANGE_ANNOUNCE', announce: true, restrict: false, memberAddMode: 'all_member_add' },
      },
    });
  });

  test('membership of the instance itself and join requests', () => {
    assert.deepEqual(notification(greenApiWebhookBody(withGroups, event('group.joined', { groupId: G, reason: 'added', actor: person('79001234568') }))), {
      type: 'GROUP_PARTICIPANT_ADD',
      participants: ['79001234567@c.us'],
    });
    assert.deepEqual(notification(greenApiWebhookBody(withGroups, event('group.left', { groupId: G, reason: 'removed', actor: person('79001234568') }))), {
      type: 'GROUP_PARTICIPANT_REMOVE',
      participants: ['79001234567@c.us'],
    });
    assert.deepEqual(notification(greenApiWebhookBody(withGroups, event('group.join_request.created', { groupId: G, participant: person('79001234569'), actor: null }))), {
      type: 'GROUP_MEMBERSHIP_JOIN_APPROVAL_REQUEST',
      participants: ['79001234569@c.us'],
    });
    assert.deepEqual(notification(greenApiWebhookBody(withGroups, event('group.participants.left', { groupId: G, participants: [person('79001234569')], actor: null }))), {
      type: 'GROUP_PARTICIPANT_LEAVE',
      participants: ['79001234569@c.us'],
    });
  });

  test('nothing for resyncs, operations and switched-off kinds', () => {
    assert.equal(greenApiWebhookBody(withGroups, event('group.joined', { groupId: G, reason: 'sync' })), null);
    assert.equal(greenApiWebhookBody(withGroups, event('group.left', { groupId: G, reason: 'sync' })), null);
    assert.equal(greenApiWebhookBody(instance, event('operation.succeeded', { operationId: 'op1' })), null);
    const quiet: Instance = { ...instance, settings: { greenApi: { stateWebhook: 'no', incomingWebhook: 'no', outgoingAPIMessageWebhook: 'no' } } };
    assert.equal(greenApiWebhookBody(quiet, event('instance.status', { status: 'connected' })), null);
    assert.equal(greenApiWebhookBody(quiet, event('group.participants.added', { groupId: G, participants: [person('79001234569')] })), null);
    assert.equal(greenApiWebhookBody(quiet, event('message.sent', { messageId: 'M1', chatId: G, text: 'x', timestamp: at })), null);
  });

  test('a text sent to a group', () => {
    assert.deepEqual(greenApiWebhookBody(instance, event('message.sent', { messageId: 'M1', chatId: G, text: 'Hello group', timestamp: at })), {
      typeWebhook: 'outgoingAPIMessageReceived',
      instanceData,
      timestamp: ts,
      idMessage: 'M1',
      senderData: { chatId: G, chatName: '', sender: '79001234567@c.us', senderName: '', senderContactName: '' },
      messageData: { typeMessage: 'textMessage', textMessageData: { textMessage: 'Hello group' } },
    });
  });

  test('as Green API sends: nothing for group changes unless the groupgate extension is on', () => {
    for (const e of [
      event('group.participants.added', { groupId: G, participants: [person('79001234569')], actor: person('79001234568') }),
      event('group.created', { groupId: G, name: 'G', participants: [] }),
      event('group.updated', { groupId: G, changes: { name: 'New' } }),
      event('group.joined', { groupId: G, reason: 'added' }),
    ]) {
      assert.equal(greenApiWebhookBody(instance, e), null, e.type);
      assert.notEqual(greenApiWebhookBody(withGroups, e), null, e.type);
    }
  });

  test('a new instance: every switch off, only failed message statuses are sent', () => {
    assert.equal(greenApiWebhookBody(fresh, event('instance.status', { status: 'connected' })), null);
    assert.equal(greenApiWebhookBody(fresh, event('message.received', { messageId: 'M1', chatId: G, from: person('79001234568'), text: 'x' })), null);
    assert.equal(greenApiWebhookBody(fresh, event('message.status', { messageId: 'M1', chatId: G, status: 'delivered', timestamp: at })), null);
    assert.equal((greenApiWebhookBody(fresh, event('message.status', { messageId: 'M1', chatId: G, status: 'failed', timestamp: at })) ?? {}).status, 'failed');
  });

  test('outgoingMessageStatus', () => {
    for (const status of ['sent', 'delivered', 'read', 'failed']) {
      assert.deepEqual(greenApiWebhookBody(instance, event('message.status', { messageId: 'M1', chatId: '79001234568@s.whatsapp.net', status, timestamp: at })), {
        typeWebhook: 'outgoingMessageStatus',
        chatId: '79001234568@c.us',
        instanceData,
        timestamp: ts,
        idMessage: 'M1',
        status,
        sendByApi: true,
      });
    }
  });

  test('incomingMessageReceived carries the sender name and the chat name', () => {
    const inGroup = greenApiWebhookBody(
      instance,
      event('message.received', { messageId: 'M2', chatId: G, from: person('79001234568'), text: 'Hi', timestamp: at, senderName: 'Ann', chatName: 'Customers' }),
    );
    assert.deepEqual(inGroup, {
      typeWebhook: 'incomingMessageReceived',
      instanceData,
      timestamp: ts,
      idMessage: 'M2',
      senderData: { chatId: G, chatName: 'Customers', sender: '79001234568@c.us', senderName: 'Ann', senderContactName: '' },
      messageData: { typeMessage: 'textMessage', textMessageData: { textMessage: 'Hi' } },
    });
    const direct = greenApiWebhookBody(
      instance,
      event('message.received', { messageId: 'M3', chatId: '79001234568@s.whatsapp.net', from: person('79001234568'), text: 'Hi', timestamp: at, senderName: 'Ann' }),
    );
    assert.deepEqual((direct as { senderData: unknown }).senderData, {
      chatId: '79001234568@c.us',
      chatName: 'Ann',
      sender: '79001234568@c.us',
      senderName: 'Ann',
      senderContactName: '',
    });
  });
});
