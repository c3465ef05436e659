/** Green API dialect: instance methods, settings, sendMessage, and the security cases. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_KEY, createSandboxInstance, createUnpacedInstance, startTestApp, type TestApp } from '../../support/app.js';
import { startReceiver } from '../../support/fixtures/webhook-receiver.js';
import { cus, green, type GreenInstance } from './green-api-helpers.js';

/** The notifications groupgate can produce: on by default; every other Green API switch is off. */

describe('Green API instance methods', () => {
  let t: TestApp;
  let a: GreenInstance;
  let b: GreenInstance;

  before(async () => {
    // No pacing hold here, so a paced request is refused at once (the hold has its own tests).
    t = await startTestApp({ config: { pacingHoldSeconds: 0 } });
    a = await createUnpacedInstance(t);
    b = await createUnpacedInstance(t);
  });
  after(() => t.close());

  describe('happy path', () => {
    test('getStateInstance: authorized while connected', async () => {
      const res = await green(t, a, 'getStateInstance');
      assert.deepEqual([res.statusCode, res.json()], [200, { stateInstance: 'authorized' }]);
    });

    test("getSettings: Green API's fields, every switch off on a new instance", async () => {
      const res = await green(t, a, 'getSettings');
      assert.equal(res.statusCode, 200);
      const body = res.json() as Record<string, unknown>;
      // Pinned here from Green API's GetSettings page rather than taken from the code under test.
      assert.deepEqual(
        Object.keys(body).sort(),
        [
          'wid',
          'countryInstance',
          'typeAccount',
          'webhookUrl',
          'webhookUrlToken',
          'delaySendMessagesMilliseconds',
          'outgoingWebhook',
          'outgoingMessageWebhook',
          'outgoingAPIMessageWebhook',
          'incomingWebhook',
          'stateWebhook',
          'deviceWebhook',
          'statusInstanceWebhook',
          'pollMessageWebhook',
          'incomingBlockWebhook',
          'incomingCallWebhook',
          'editedMessageWebhook',
          'deletedMessageWebhook',
          'markIncomingMessagesReaded',
          'markIncomingMessagesReadedOnReply',
          'keepOnlineStatus',
          'enableMessagesHistory',
          'sharedSession',
        ].sort(),
      );
      assert.deepEqual(
        [body.wid, body.countryInstance, body.typeAccount, body.webhookUrl, body.webhookUrlToken, body.delaySendMessagesMilliseconds],
        [cus(a), '', '', '', '', 5000],
      );
      assert.deepEqual(
        Object.keys(body).filter((k) => body[k] === 'yes'),
        [],
        'after creating an instance, all settings are turned off (Green API)',
      );
      assert.equal(body.sharedSession, 'no');
    });

    test('setSettings: at least one field, a send delay of 500 ms or more; a refusal changes nothing', async () => {
      const before = (await green(t, a, 'getSettings')).json();
      for (const payload of [{}, { delaySendMessagesMilliseconds: 499 }, { delaySendMessagesMilliseconds: 86_400_001 }, { incomingWebhook: 'yes', stateWebhook: 'maybe' }]) {
        const res = await green(t, a, 'setSettings', { payload });
        assert.equal(res.statusCode, 400, JSON.stringify(payload));
        assert.equal(res.json().statusCode, 400);
        assert.match(res.json().message, /^Validation failed/);
      }
      assert.deepEqual((await green(t, a, 'getSettings')).json(), before);
      const ok = await green(t, a, 'setSettings', { payload: { delaySendMessagesMilliseconds: 500, countryInstance: 'ru' } });
      assert.deepEqual([ok.statusCode, ok.json()], [200, { saveSettings: true }]);
      assert.equal((await green(t, a, 'getSettings')).json().delaySendMessagesMilliseconds, 500);
      assert.equal((await green(t, a, 'getSettings')).json().countryInstance, '');
      // groupgate's own extension shows only once on.
      await green(t, a, 'setSettings', { payload: { groupgateGroupNotifications: 'yes' } });
      assert.equal((await green(t, a, 'getSettings')).json().groupgateGroupNotifications, 'yes');
      await green(t, a, 'setSettings', { payload: { groupgateGroupNotifications: 'no', delaySendMessagesMilliseconds: 5000 } });
      assert.equal('groupgateGroupNotifications' in (await green(t, a, 'getSettings')).json(), false);
    });

    test('setSettings stores Green API settings; webhookUrl becomes a green-api subscription that delivers with the token', async () => {
      const receiver = await startReceiver();
      try {
        const res = await green(t, a, 'setSettings', {
          payload: { webhookUrl: receiver.url, webhookUrlToken: 'Bearer abc', outgoingAPIMessageWebhook: 'yes', unknownSetting: 'kept out' },
        });
        assert.deepEqual([res.statusCode, res.json()], [200, { saveSettings: true }]);
        const got = (await green(t, a, 'getSettings')).json();
        assert.deepEqual([got.webhookUrl, got.webhookUrlToken, got.outgoingAPIMessageWebhook, got.stateWebhook], [receiver.url, 'Bearer abc', 'yes', 'no']);
        assert.equal('unknownSetting' in got, false);
        const stored = await t.core.store.instances.get(a.id);
        const kept = stored?.settings.greenApi as Record<string, unknown>;
        // The token is kept only in the subscription (sealed), never in the settings.
        assert.deepEqual([kept.webhookUrl, kept.webhookUrlToken, kept.outgoingAPIMessageWebhook, kept.unknownSetting], [receiver.url, undefined, 'yes', undefined]);
        const subs = (await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks as { url: string; format: string; instances: string[] | null }[];
        const mine = subs.filter((w) => w.format === 'green-api');
        assert.deepEqual(
          mine.map((w) => [w.url, w.instances]),
          [[receiver.url, [a.id]]],
        );
        const sent = await green(t, a, 'sendMessage', { payload: { chatId: cus(b), message: 'via webhook' } });
        assert.equal(sent.statusCode, 200);
        await receiver.waitFor((r) => r.some((x) => x.body.includes('via webhook')));
        const hit = receiver.received.find((x) => x.body.includes('via webhook'))!;
        assert.equal(hit.headers.authorization, 'Bearer abc');
        assert.equal(JSON.parse(hit.body).typeWebhook, 'outgoingAPIMessageReceived');
        // A URL the server may never call is refused, and nothing is saved.
        const refused = await green(t, a, 'setSettings', { payload: { webhookUrl: 'http://169.254.169.254/latest' } });
        assert.equal(refused.statusCode, 400);
        assert.equal((await green(t, a, 'getSettings')).json().webhookUrl, receiver.url);
      } finally {
        await green(t, a, 'setSettings', { payload: { webhookUrl: '', webhookUrlToken: '', outgoingAPIMessageWebhook: 'no' } });
        await receiver.close();
      }
      const after = (await t.request({ method: 'GET', url: '/api/webhooks' })).json().webhooks as { format: string }[];
      assert.equal(after.filter((w) => w.format === 'green-api').length, 0, 'clearing webhookUrl removes the subscription');
    });

    test('sendMessage answers the idMessage', async () => {
      const res = await green(t, a, 'sendMessage', { payload: { chatId: cus(b), message: 'Hello', quotedMessageId: 'BAE5F4886F6F2D05' } });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(Object.keys(res.json()), ['idMessage']);
      assert.match(res.json().idMessage, /^[0-9A-F]{8,}$/);
    });

    test('qr: alreadyLogged while connected; the QR as a base64 PNG when the engine has one; error otherwise', async () => {
      const res = await green(t, a, 'qr');
      assert.deepEqual(res.json(), { type: 'alreadyLogged', message: 'instance account already authorized' });
      const c = await createUnpacedInstance(t);
      await green(t, c, 'logout');
      assert.deepEqual((await green(t, c, 'qr')).json(), { type: 'error', message: 'no QR code is available: the instance is logged_out' });
      const original = t.core.instances.rawSession;
      t.core.instances.rawSession = (id) => (id === c.id ? ({ currentQr: () => '2@groupgate-test-qr,abc,def' } as ReturnType<typeof original>) : original(id));
      try {
        const qr = (await green(t, c, 'qr')).json();
        assert.equal(qr.type, 'qrCode');
        assert.ok(
          Buffer.from(qr.message, 'base64')
            .subarray(0, 8)
            .equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
        );
      } finally {
        t.core.instances.rawSession = original;
      }
    });

    test('logout -> notAuthorized; reboot -> authorized again', async () => {
      const c = await createUnpacedInstance(t);
      assert.deepEqual((await green(t, c, 'logout')).json(), { isLogout: true });
      assert.deepEqual((await green(t, c, 'getStateInstance')).json(), { stateInstance: 'notAuthorized' });
      assert.deepEqual((await green(t, c, 'reboot')).json(), { isReboot: true });
      assert.deepEqual((await green(t, c, 'getStateInstance')).json(), { stateInstance: 'authorized' });
    });
  });

  describe('errors', () => {
    test('setSettings refuses a webhookUrl that is not http(s) and a switch that is not yes/no', async () => {
      const res = await green(t, a, 'setSettings', { payload: { webhookUrl: 'ftp://example.com' } });
      assert.deepEqual([res.statusCode, res.json()], [400, { statusCode: 400, message: 'Validation failed. Details: "webhookUrl" must be an http or https uri' }]);
      const bad = await green(t, a, 'setSettings', { payload: { incomingWebhook: 'maybe' } });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().statusCode, 400);
      assert.deepEqual((await green(t, a, 'getSettings')).json().webhookUrl, '');
    });

    test('sendMessage validation', async () => {
      const missing = await green(t, a, 'sendMessage', { payload: { chatId: cus(b) } });
      assert.deepEqual([missing.statusCode, missing.json()], [400, { statusCode: 400, message: 'Validation failed. Details: "message" is required' }]);
      const long = await green(t, a, 'sendMessage', { payload: { chatId: cus(b), message: 'x'.repeat(20001) } });
      assert.deepEqual(
        [long.statusCode, long.json()],
        [400, { statusCode: 400, message: 'Validation failed. Details: "message" length must be less than or equal to 20000 characters long' }],
      );
      const chat = await green(t, a, 'sendMessage', { payload: { chatId: 'nobody', message: 'x' } });
      assert.equal(chat.statusCode, 400);
    });

    test('pacing past the hold limit is 429 with Retry-After and a message saying when and why', async () => {
      const paced = await createSandboxInstance(t);
      const groupId = (await green(t, paced, 'createGroup', { payload: { groupName: 'Paced', chatIds: [cus(b)] } })).json().chatId as string;
      const first = await green(t, paced, 'addGroupParticipant', { payload: { groupId, participantChatId: '79001231111@c.us' } });
      assert.deepEqual([first.statusCode, first.json()], [200, { addParticipant: true }]);
      // The default pause (30 s + up to 60 s) is further away than this app's 0 s hold.
      const second = await green(t, paced, 'addGroupParticipant', { payload: { groupId, participantChatId: '79001231112@c.us' } });
      assert.equal(second.statusCode, 429);
      assert.ok(Number(second.headers['retry-after']) >= 1);
      assert.equal(second.json().statusCode, 429);
      assert.match(second.json().message, /^Too Many Requests: pacing: the next participant batch may run at .*; retry after \d+ seconds$/);
      const again = await green(t, paced, 'createGroup', { payload: { groupName: 'Paced 2', chatIds: [cus(b)] } });
      assert.equal(again.statusCode, 429);
      assert.ok(Number(again.headers['retry-after']) >= 1);
    });
  });

  describe('security', () => {
    test("a wrong token is 401, also another instance's token or the admin key", async () => {
      for (const token of ['wrong-token', b.token, ADMIN_KEY]) {
        const res = await green(t, { idInstance: a.idInstance, token }, 'getStateInstance');
        assert.deepEqual([res.statusCode, res.json()], [401, { statusCode: 401, message: 'Unauthorized' }], token.slice(0, 6));
      }
    });

    test('an unknown idInstance is 403', async () => {
      for (const idInstance of ['1000000001', 'abc']) {
        const res = await green(t, { idInstance, token: a.token }, 'getStateInstance');
        assert.deepEqual([res.statusCode, res.json()], [403, { statusCode: 403, message: 'Forbidden' }]);
      }
    });

    test('a wrong HTTP method or an unknown method is 404', async () => {
      const cases: [string, 'GET' | 'POST' | 'PUT' | 'DELETE'][] = [
        ['createGroup', 'GET'],
        ['getStateInstance', 'POST'],
        ['receiveNotification', 'DELETE'],
        ['noSuchMethod', 'GET'],
        ['getGroupData', 'PUT'],
      ];
      for (const [method, verb] of cases) {
        const res = await green(t, a, method, { verb, payload: verb === 'GET' || verb === 'DELETE' ? undefined : {} });
        assert.equal(res.statusCode, 404, `${verb} ${method}`);
        assert.equal(res.json().statusCode, 404);
        assert.match(res.json().message, /^Not Found: /);
      }
      // A known method with the wrong verb says which verb; an unknown one is named.
      assert.equal((await green(t, a, 'createGroup', { verb: 'GET' })).json().message, 'Not Found: createGroup is called with POST, not GET');
      assert.match((await green(t, a, 'sendFileByUrl', { payload: {} })).json().message, /does not implement the Green API method "sendFileByUrl"/);
    });

    test('method names match whatever their case', async () => {
      assert.deepEqual((await green(t, a, 'GetStateInstance')).json(), { stateInstance: 'authorized' });
      assert.deepEqual((await green(t, a, 'GETSTATEINSTANCE')).json(), { stateInstance: 'authorized' });
      const created = await green(t, a, 'CreateGroup', { payload: { groupName: 'Cased', chatIds: [cus(b)] } });
      assert.equal(created.json().created, true);
      assert.equal((await green(t, a, 'getgroupdata', { payload: { groupId: created.json().chatId } })).json().subject, 'Cased');
    });

    test('the token is never echoed in a body or a log line', async () => {
      const responses = [
        await green(t, a, 'getStateInstance'),
        await green(t, a, 'createGroup', { payload: {} }),
        await green(t, a, 'noSuchMethod'),
        await green(t, { idInstance: a.idInstance, token: `${a.token}x` }, 'getSettings'),
        await green(t, a, 'deleteNotification', { verb: 'DELETE', suffix: '/1' }),
      ];
      for (const res of responses) assert.ok(!res.body.includes(a.token));
      const logs = t.logs.join('\n');
      assert.ok(logs.includes(`/waInstance${a.idInstance}/getStateInstance/[redacted]`), 'requests are logged, redacted');
      assert.ok(!logs.includes(a.token));
      assert.ok(!logs.includes(b.token));
    });
  });
});

describe('Green API prefix and auth-failure limit', () => {
  test('the dialect also answers under GROUPGATE_GREEN_API_PREFIX', async () => {
    const t = await startTestApp({ config: { greenApiPrefix: '/green' } });
    try {
      const a = await createUnpacedInstance(t);
      for (const prefix of ['/green', '']) {
        const res = await green(t, a, 'getStateInstance', { prefix });
        assert.deepEqual([res.statusCode, res.json()], [200, { stateInstance: 'authorized' }], prefix);
      }
      const wrong = await green(t, a, 'getStateInstance', { prefix: '/other' });
      assert.equal(wrong.statusCode, 404);
    } finally {
      await t.close();
    }
  });

  test('repeated failures from one address are 429 with Retry-After; the valid token still works', async () => {
    const t = await startTestApp({ config: { authFailureLimitPerMinute: 3 } });
    try {
      const a = await createUnpacedInstance(t);
      for (let i = 0; i < 3; i++) assert.equal((await green(t, { idInstance: a.idInstance, token: 'nope' }, 'getStateInstance')).statusCode, 401);
      const blocked = await green(t, { idInstance: a.idInstance, token: 'nope' }, 'getStateInstance');
      assert.equal(blocked.statusCode, 429);
      assert.ok(Number(blocked.headers['retry-after']) >= 1);
      assert.deepEqual(blocked.json(), { statusCode: 429, message: 'Too Many Requests' });
      assert.equal((await green(t, a, 'getStateInstance')).statusCode, 200, 'a valid token is never locked out');
    } finally {
      await t.close();
    }
  });
});
