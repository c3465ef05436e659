/**
 * Without internet (this machine): a Baileys instance reports `disconnected` with a readable reason,
 * backs off exponentially (counted over a manual clock, real Baileys sockets), and the server stays
 * healthy; the linking routes answer 409 naming the status.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createMemoryAuthRepository } from '../../../../src/adapters/engines/baileys/auth-state.js';
import { createBaileysEngineFactory } from '../../../../src/adapters/engines/baileys/baileys-engine.js';
import type { BaileysSession } from '../../../../src/adapters/engines/baileys/baileys-session.js';
import type { EngineEvent } from '../../../../src/core/ports/engine.js';
import { databaseKinds, startTestApp } from '../../../support/app.js';
import { manualTimers } from './fake-socket.js';

const kinds = await databaseKinds();

describe('baileys engine offline', () => {
  it('backs off exponentially: 9 connection attempts in 10 minutes, never a hot loop', async () => {
    const timers = manualTimers();
    const factory = createBaileysEngineFactory({
      auth: createMemoryAuthRepository(),
      logger: pino({ level: 'silent' }),
      timers,
      random: () => 1 - Number.EPSILON, // the longest delay of each step
      // A port nothing listens on: refused at once, like an unreachable WhatsApp.
      socketConfig: { waWebSocketUrl: 'ws://127.0.0.1:9/ws/chat' },
    });
    const events: EngineEvent[] = [];
    let wake: (() => void) | undefined;
    await factory.create({ instanceId: 'offline', sink: async (event) => void (events.push(event), wake?.()) });
    const session = factory.session('offline') as BaileysSession;
    const nextClose = async (count: number) => {
      while (events.filter((e) => e.type === 'connection' && e.status === 'disconnected').length < count) await new Promise<void>((resolve) => (wake = resolve));
    };
    await session.connect();
    await nextClose(1);
    assert.deepEqual(session.status(), { status: 'disconnected', reason: 'connection refused by 127.0.0.1:9; retrying in 2 s' });
    // Ten minutes of the manual clock: 2+4+8+16+32+64+128+256 s = 8.5 min, then the 5-minute cap.
    for (let closes = 1; timers.now() < 10 * 60_000;) {
      const step = Math.min(1_000, 10 * 60_000 - timers.now());
      if (timers.advance(step) > 0) {
        closes += 1;
        await nextClose(closes);
      }
    }
    assert.equal(session.connectAttempts, 9);
    assert.match(session.status().reason, /^connection refused by 127\.0\.0\.1:9; retrying in 300 s$/);
    await session.close();
    assert.equal(timers.pending(), 0);
  });

  for (const db of kinds) {
    it(`through the API (${db}): disconnected with a readable reason, server healthy, QR 409, delete wipes the keys`, async () => {
      const t = await startTestApp({ db });
      try {
        const created = await t.request({ method: 'POST', url: '/api/instances', payload: { engine: 'baileys', name: 'real' } });
        assert.equal(created.statusCode, 201);
        const { id } = created.json() as { id: string };
        const session = t.core.instances.rawSession(id) as BaileysSession;
        await session.whenStatus((s) => s.status === 'disconnected');
        const view = (await t.request({ method: 'GET', url: `/api/instances/${id}` })).json() as { status: string; statusReason: string };
        assert.equal(view.status, 'disconnected');
        assert.match(view.statusReason, /^cannot resolve web\.whatsapp\.com \(no internet or DNS\); retrying in \d+ s$/);
        assert.equal((await t.request({ method: 'GET', url: '/healthz' })).statusCode, 200);
        const qr = await t.request({ method: 'GET', url: `/api/instances/${id}/qr` });
        assert.equal(qr.statusCode, 409);
        assert.equal(qr.json().error.code, 'qr_not_available');
        assert.match(qr.json().error.message, /is disconnected/);
        assert.deepEqual(qr.json().error.details, { status: 'disconnected' });
        const pairing = await t.request({ method: 'POST', url: `/api/instances/${id}/pairing-code`, payload: { phone: '+15550001111' } });
        assert.equal(pairing.statusCode, 409);
        assert.equal(pairing.json().error.code, 'qr_not_available');
        const badPhone = await t.request({ method: 'POST', url: `/api/instances/${id}/pairing-code`, payload: { phone: 'abc' } });
        assert.equal(badPhone.statusCode, 400);
        assert.equal(session.connectAttempts, 1, 'the next attempt waits for its backoff');
        const keys = () => t.core.database.db.selectFrom('baileys_auth').select('kind').where('instance_id', '=', id).execute();
        assert.deepEqual(
          (await keys()).map((r) => r.kind),
          ['creds'],
        );
        assert.equal((await t.request({ method: 'DELETE', url: `/api/instances/${id}` })).statusCode, 204);
        assert.deepEqual(await keys(), []);
      } finally {
        await t.close();
      }
    });
  }

  it('a sandbox instance has no QR: 409 naming its status', async () => {
    const t = await startTestApp();
    try {
      const created = await t.request({ method: 'POST', url: '/api/instances', payload: { engine: 'sandbox' } });
      const { id } = created.json() as { id: string };
      const qr = await t.request({ method: 'GET', url: `/api/instances/${id}/qr` });
      assert.equal(qr.statusCode, 409);
      assert.deepEqual(qr.json().error.details, { status: 'connected' });
      const missing = await t.request({ method: 'GET', url: '/api/instances/nope/qr' });
      assert.equal(missing.statusCode, 404);
      const anonymous = await t.request({ method: 'GET', url: `/api/instances/${id}/qr`, key: null });
      assert.equal(anonymous.statusCode, 401);
    } finally {
      await t.close();
    }
  });
});
