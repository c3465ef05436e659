/** Linking a new device through the double: QR refs, pairing codes, and what is stored meanwhile. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BinaryNode } from 'baileys';
import { makeDoubleHarness } from './double/harness.js';

const PHONE = '15550000009';
const child = (n: BinaryNode, tag: string) => (Array.isArray(n.content) ? n.content.find((c) => c.tag === tag) : undefined);
const text = (n: BinaryNode | undefined) => (n?.content instanceof Uint8Array ? Buffer.from(n.content).toString('utf-8') : String(n?.content ?? ''));

describe('baileys linking through the double', () => {
  it('a new device gets QR refs from pair-device and reports status qr', async () => {
    const h = await makeDoubleHarness();
    try {
      const session = await h.create(PHONE, false);
      await session.connect();
      await session.whenStatus((s) => s.status === 'qr');
      assert.match(session.currentQr() ?? '', /^https:\/\/wa\.me\/settings\/linked_devices#double-ref-/);
    } finally {
      await h.close();
    }
  });

  it('pairing code: the browser is Chrome (WhatsApp refuses "other web client" for pairing)', async () => {
    const h = await makeDoubleHarness();
    try {
      const session = await h.create(PHONE, false);
      await session.connect();
      await session.whenStatus((s) => s.status === 'qr');
      const code = await session.requestPairingCode(PHONE);
      assert.match(code, /^[A-Z0-9]{8}$/);
      const reg = child(await h.double.waitFor('', (n) => n.tag === 'iq' && !!child(n, 'link_code_companion_reg')), 'link_code_companion_reg')!;
      // WhatsApp's CompanionWebClientType: 1 CHROME ... 6 SAFARI are accepted; 9 OTHER_WEB_CLIENT is refused.
      assert.equal(text(child(reg, 'companion_platform_id')), '1');
      assert.equal(text(child(reg, 'companion_platform_display')), 'Chrome (groupgate)');
      assert.equal(session.status().status, 'pairing');
    } finally {
      await h.close();
    }
  });

  it('pairing code not confirmed: creds.me is never stored, and the next connect registers again instead of 401 logged out', async () => {
    const h = await makeDoubleHarness();
    try {
      const session = await h.create(PHONE, false);
      await session.connect();
      await session.whenStatus((s) => s.status === 'qr');
      await session.requestPairingCode(PHONE);
      await session.settled();
      const stored = JSON.parse((await h.auth.readCreds(h.instanceId(PHONE)))!) as { me?: unknown };
      assert.equal(stored.me, undefined, 'no number stored before WhatsApp confirms the pairing');
      await session.close();
      await session.connect();
      await session.whenStatus((s) => s.status === 'qr' || s.status === 'logged_out');
      assert.equal(session.status().status, 'qr');
    } finally {
      await h.close();
    }
  });
});
