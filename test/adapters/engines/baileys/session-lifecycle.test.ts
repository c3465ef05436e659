/** A Baileys session's own state through the double: creds saved for the socket that produced them, and a close that waits for them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BinaryNode } from 'baileys';
import { makeDoubleHarness } from './double/harness.js';

const A = '15550000001';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** WhatsApp's `account_sync` notification changing the default disappearing time: Baileys stores it in its creds. */
const disappearing = (seconds: number): BinaryNode => ({
  tag: 'notification',
  attrs: { from: 's.whatsapp.net', type: 'account_sync', t: '1735689600' },
  content: [{ tag: 'disappearing_mode', attrs: { duration: String(seconds), t: '1735689600' } }],
});

describe('baileys session creds and close', () => {
  it('creds changed right before close (account_sync): every change is persisted before close() returns, even with a slow store', async () => {
    const h = await makeDoubleHarness();
    try {
      await h.session(A);
      const session = h.baileys(A)!;
      // A store that takes a while per write (a busy database).
      const write = h.auth.writeCreds.bind(h.auth);
      h.auth.writeCreds = async (instanceId, value) => {
        await sleep(30);
        await write(instanceId, value);
      };
      await h.double.notify(A, disappearing(86_400));
      await h.double.notify(A, disappearing(604_800));
      await session.close();
      const stored = JSON.parse((await h.auth.readCreds(h.instanceId(A)))!) as { accountSettings?: { defaultDisappearingMode?: { ephemeralExpiration?: number } } };
      assert.equal(stored.accountSettings?.defaultDisappearingMode?.ephemeralExpiration, 604_800);
    } finally {
      await h.close();
    }
  });
});

describe('baileys ignores what the core never uses', () => {
  for (const [what, from] of [
    ['status broadcast', 'status@broadcast'],
    ['newsletter', '120363000000000001@newsletter'],
  ] as const) {
    it(`${what} messages (${from}) are acknowledged without being decrypted (shouldIgnoreJid)`, async () => {
      const h = await makeDoubleHarness();
      try {
        await h.session(A);
        const id = `IGNORED${from.length}`;
        await h.double.send(A, {
          tag: 'message',
          attrs: { from, participant: '15550000002@s.whatsapp.net', id, t: '1735689600', type: 'text' },
          content: [{ tag: 'enc', attrs: { v: '2', type: 'skmsg' }, content: new Uint8Array(32) }],
        });
        const ack = await h.double.waitFor(A, (n) => n.tag === 'ack' && n.attrs.id === id);
        await h.baileys(A)!.settled();
        // Ignored: nacked at once; decrypting would have failed and asked the sender to retry.
        assert.ok(ack.attrs.error, JSON.stringify(ack.attrs));
        assert.deepEqual(
          h.double.received(A).filter((n) => n.tag === 'receipt' && n.attrs.id === id),
          [],
        );
      } finally {
        await h.close();
      }
    });
  }
});
