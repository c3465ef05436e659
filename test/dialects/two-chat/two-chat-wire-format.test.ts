/** 2Chat webhook bodies made from single events: which subscription wants which event, and each body field by field. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventRecord } from '../../../src/core/events/event-model.js';
import type { Instance } from '../../../src/core/instances/instance-model.js';
import { channelUuid, twoChatBody, wants } from '../../../src/dialects/two-chat/wire-format.js';

const instance = { id: 'k3j9', phone: '5511999990000' } as Instance;
const ev = (type: string, data: Record<string, unknown>): EventRecord => ({
  id: '01JD0000000000000000000000',
  seq: 7,
  type,
  instanceId: 'k3j9',
  occurredAt: '2026-11-22T10:00:00.123Z',
  data,
});
const hook = (eventName: string, groupId: string | null = null) => ({ eventName, groupId });

describe('2chat wire format', () => {
  it('whatsapp.message.received: a person writes to the number', () => {
    const e = ev('message.received', {
      messageId: '3EB0AA',
      chatId: '5511988887777@s.whatsapp.net',
      from: { jid: '5511988887777@s.whatsapp.net', phone: '+5511988887777', lid: null },
      senderName: 'Ana',
      chatName: 'Ana',
      timestamp: '2026-11-22T09:59:59.000Z',
      text: 'hello',
    });
    assert.equal(wants(hook('whatsapp.message.received'), e), true);
    assert.equal(wants(hook('whatsapp.message.new'), e), true);
    assert.equal(wants(hook('whatsapp.group.message.received'), e), false);
    assert.deepEqual(twoChatBody(instance, e, 'whatsapp.message.received', null), {
      id: '3EB0AA',
      uuid: '3EB0AA',
      event: 'whatsapp.message.received',
      created_at: '2026-11-22T09:59:59Z',
      session_key: `WW-${channelUuid('k3j9')}-5511988887777@c.us`,
      message: { text: 'hello' },
      remote_phone_number: '+5511988887777',
      channel_phone_number: '+5511999990000',
      sent_by: 'user',
    });
  });

  it('whatsapp.message.sent and the receipts of a sent message', () => {
    const sent = ev('message.sent', { messageId: '3EB0BB', chatId: '5511988887777@s.whatsapp.net', timestamp: '2026-11-22T10:00:00.000Z', text: 'hi' });
    assert.equal(wants(hook('whatsapp.message.sent'), sent), true);
    assert.equal(wants(hook('whatsapp.message.receipt.sent'), sent), true);
    assert.equal(wants(hook('whatsapp.message.received'), sent), false);
    assert.deepEqual(twoChatBody(instance, sent, 'whatsapp.message.sent', null), {
      id: '3EB0BB',
      uuid: '3EB0BB',
      event: 'whatsapp.message.sent',
      created_at: '2026-11-22T10:00:00Z',
      session_key: `WW-${channelUuid('k3j9')}-5511988887777@c.us`,
      message: { text: 'hi' },
      remote_phone_number: '+5511988887777',
      channel_phone_number: '+5511999990000',
      sent_by: 'api',
    });
    const read = ev('message.status', { messageId: '3EB0BB', chatId: '5511988887777@s.whatsapp.net', status: 'read', timestamp: '2026-11-22T10:01:00.000Z' });
    assert.equal(wants(hook('whatsapp.message.receipt.read'), read), true);
    assert.equal(wants(hook('whatsapp.message.receipt.received'), read), false);
    const delivered = { ...read, data: { ...read.data, status: 'delivered' } };
    assert.equal(wants(hook('whatsapp.message.receipt.received'), delivered), true);
    assert.equal(wants(hook('whatsapp.message.receipt.read'), { ...read, data: { ...read.data, status: 'failed' } }), false);
    assert.deepEqual(twoChatBody(instance, read, 'whatsapp.message.receipt.read', null), {
      id: '3EB0BB',
      uuid: '3EB0BB',
      event: 'whatsapp.message.receipt.read',
      created_at: '2026-11-22T10:01:00Z',
      session_key: `WW-${channelUuid('k3j9')}-5511988887777@c.us`,
      message: {},
      remote_phone_number: '+5511988887777',
      channel_phone_number: '+5511999990000',
      sent_by: 'api',
    });
  });

  it('whatsapp.number.status', () => {
    const e = ev('instance.status', { status: 'connected', reason: '', phone: '+5511999990000' });
    assert.deepEqual(twoChatBody(instance, e, 'whatsapp.number.status', null), {
      id: e.id,
      uuid: e.id,
      event: 'whatsapp.number.status',
      created_at: '2026-11-22T10:00:00Z',
      channel_uuid: channelUuid('k3j9'),
      channel_phone_number: '+5511999990000',
      connection_status: 'C',
      status: 'ready',
    });
    const qr = twoChatBody(instance, ev('instance.status', { status: 'qr', reason: '' }), 'whatsapp.number.status', null);
    assert.deepEqual([qr.connection_status, qr.status], ['D', 'qr-received']);
  });

  it('the number itself leaving or removed; a group filter; a person known only by LID', () => {
    const left = ev('group.left', {
      groupId: '120363000000000001@g.us',
      name: 'G',
      reason: 'removed',
      actor: { jid: '5511911112222@s.whatsapp.net', phone: '+5511911112222', lid: null },
    });
    assert.equal(wants(hook('whatsapp.group.remove'), left), true);
    assert.equal(wants(hook('whatsapp.group.leave'), left), false);
    assert.equal(wants(hook('whatsapp.group.remove', '120363000000000002@g.us'), left), false);
    assert.deepEqual(twoChatBody(instance, left, 'whatsapp.group.remove', 'WAGx'), {
      id: left.id,
      uuid: left.id,
      event: 'whatsapp.group.remove',
      created_at: '2026-11-22T10:00:00Z',
      channel_uuid: channelUuid('k3j9'),
      channel_phone_number: '+5511999990000',
      group: { uuid: 'WAGx', wa_group_id: '120363000000000001@g.us', wa_group_name: 'G' },
      remote_phone_number: '+5511999990000',
      participants: [{ phone_number: '+5511999990000', wa_participant_id: '5511999990000@c.us' }],
      action_by: '+5511911112222',
    });
    const lid = ev('group.participants.added', { groupId: '120363000000000001@g.us', participants: [{ jid: '123456789@lid', phone: null, lid: '123456789@lid' }], actor: null });
    const body = twoChatBody(instance, lid, 'whatsapp.group.join', 'WAGx');
    assert.deepEqual([body.remote_phone_number, body.participants, body.action_by], [null, [{ phone_number: null, wa_participant_id: '123456789@lid' }], null]);
  });
});
