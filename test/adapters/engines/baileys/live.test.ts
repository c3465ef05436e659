/**
 * The live test: links a real number and runs a group's life cycle with two real test numbers.
 * Skipped unless GROUPGATE_LIVE_WHATSAPP=1 (needs internet and phones). See the README, "Link a real number".
 *
 *   GROUPGATE_LIVE_WHATSAPP=1                  turn it on
 *   GROUPGATE_LIVE_MEMBER_1=+15550001111       a real test number (added, promoted, demoted)
 *   GROUPGATE_LIVE_MEMBER_2=+15550002222       another (added then removed)
 *   GROUPGATE_LIVE_PAIRING_PHONE=+1555...      optional: link by pairing code instead of QR
 *   GROUPGATE_LIVE_DATA_DIR=./.live-whatsapp   optional: where the linked device's keys live between runs
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createBaileysEngineFactory } from '../../../../src/adapters/engines/baileys/baileys-engine.js';
import type { BaileysSession } from '../../../../src/adapters/engines/baileys/baileys-session.js';
import type { EngineEvent } from '../../../../src/core/ports/engine.js';
import { openDatabase } from '../../../../src/adapters/store/db.js';
import { createBaileysAuthRepository } from '../../../../src/adapters/engines/baileys/auth-repository.js';

const live = process.env.GROUPGATE_LIVE_WHATSAPP === '1';
const digits = (value: string | undefined) => (value ?? '').replace(/\D/g, '');
const member1 = digits(process.env.GROUPGATE_LIVE_MEMBER_1);
const member2 = digits(process.env.GROUPGATE_LIVE_MEMBER_2);

describe('baileys live (real WhatsApp)', { skip: live ? false : 'set GROUPGATE_LIVE_WHATSAPP=1 (see the README, "Link a real number")' }, () => {
  it('links, then creates a group, adds, promotes, demotes, edits, invites, removes and leaves', { timeout: 10 * 60_000 }, async () => {
    assert.ok(member1 && member2, 'set GROUPGATE_LIVE_MEMBER_1 and GROUPGATE_LIVE_MEMBER_2');
    const database = await openDatabase({ dataDir: process.env.GROUPGATE_LIVE_DATA_DIR ?? '.live-whatsapp' });
    const logger = pino({ level: 'info' });
    const factory = createBaileysEngineFactory({
      auth: createBaileysAuthRepository(database.db),
      logger,
      printQr: (qr) => void import('qrcode').then(async (q) => console.log(await q.toString(qr, { type: 'terminal', small: true }))),
    });
    const events: EngineEvent[] = [];
    await factory.create({ instanceId: 'live', sink: async (event) => void events.push(event) });
    const session = factory.session('live') as BaileysSession;
    try {
      await session.connect();
      const pairing = digits(process.env.GROUPGATE_LIVE_PAIRING_PHONE);
      await session.whenStatus((s) => s.status === 'qr' || s.status === 'connected' || s.status === 'logged_out' || s.status === 'failed');
      if (session.status().status === 'qr' && pairing) console.log(`pairing code: ${await session.requestPairingCode(pairing)}`);
      await session.whenStatus((s) => s.status === 'connected' || s.status === 'logged_out' || s.status === 'failed');
      assert.equal(session.status().status, 'connected', session.status().reason);

      const found = await session.onWhatsApp([member1, member2]);
      assert.deepEqual(
        found.map((r) => r.registered),
        [true, true],
      );
      const [m1, m2] = found.map((r) => r.jid!);

      const { group, results } = await session.createGroup(`groupgate live ${new Date().toISOString().slice(0, 16)}`, [m1!]);
      assert.match(group.id, /@g\.us$/);
      console.log('create results', results);
      const added = await session.addParticipants(group.id, [m2!]);
      console.log('add results', added);
      assert.ok([200, 403, 409].includes(added[0]!.code));
      if (added[0]!.code === 403 && added[0]!.addRequest) {
        await session.sendGroupInvite(m2!, {
          groupId: group.id,
          code: added[0]!.addRequest.code,
          expiration: added[0]!.addRequest.expiration,
          groupName: group.subject,
          caption: 'groupgate live test',
        });
      }
      assert.equal((await session.promoteParticipants(group.id, [m1!]))[0]!.code, 200);
      assert.equal((await session.demoteParticipants(group.id, [m1!]))[0]!.code, 200);
      await session.setSubject(group.id, 'groupgate live (renamed)');
      await session.setDescription(group.id, 'made by the groupgate live test');
      await session.updateSettings(group.id, { announcement: true });
      await session.updateSettings(group.id, { announcement: false, ephemeralSeconds: 86_400 });
      const code = await session.inviteCode(group.id);
      assert.notEqual(await session.revokeInvite(group.id), code);
      const info = await session.groupMetadata(group.id);
      assert.equal(info.subject, 'groupgate live (renamed)');
      assert.equal(info.settings.ephemeralSeconds, 86_400);
      await session.sendText(group.id, 'hello from the groupgate live test');
      if (added[0]!.code === 200) assert.equal((await session.removeParticipants(group.id, [m2!]))[0]!.code, 200);
      await session.leaveGroup(group.id);
      await session.settled();
      assert.ok(
        events.some((e) => e.type === 'group.upsert' && e.group.id === group.id),
        'the created group was reported',
      );
    } finally {
      await session.close();
      await database.close();
    }
  });
});
