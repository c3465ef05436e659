/**
 * A provider-format lane after an idle reset: a sweep resets every lane (its instance included);
 * the next live event must be formatted with the instance loaded again, without an error line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUnpacedInstance, databaseKinds, startTestApp } from '../../../support/app.js';
import { startReceiver } from '../../../support/fixtures/webhook-receiver.js';
import { cus, green } from '../../../dialects/green-api/green-api-helpers.js';

for (const db of await databaseKinds()) {
  describe(`provider-format lanes after an idle reset (${db})`, () => {
    it('deliver the first live event with no error', async () => {
      const t = await startTestApp({ db });
      const receiver = await startReceiver();
      try {
        const a = await createUnpacedInstance(t);
        const b = await createUnpacedInstance(t);
        const set = await green(t, a, 'setSettings', { payload: { webhookUrl: receiver.url, webhookUrlToken: 'Bearer abc', outgoingAPIMessageWebhook: 'yes' } });
        assert.equal(set.statusCode, 200);
        await green(t, a, 'sendMessage', { payload: { chatId: cus(b), message: 'first' } });
        await receiver.waitFor((r) => r.some((x) => x.body.includes('first')));
        await t.core.webhookWorker.idle();
        // Idle, then a sweep (any subscription change) resets every lane.
        t.core.webhookWorker.wake();
        await t.core.webhookWorker.idle();
        await green(t, a, 'sendMessage', { payload: { chatId: cus(b), message: 'after the reset' } });
        await receiver.waitFor((r) => r.some((x) => x.body.includes('after the reset')));
        const errors = t.logs.filter((l) => l.includes('webhook delivery lane failed'));
        assert.deepEqual(errors, [], 'no lane failed');
      } finally {
        await receiver.close();
        await t.close();
      }
    });
  });
}
