/** Linking and the connection policy of the Baileys engine, over a fake socket and manual timers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createMemoryAuthRepository } from '../../../../src/adapters/engines/baileys/auth-state.js';
import { createBaileysEngineFactory } from '../../../../src/adapters/engines/baileys/baileys-engine.js';
import { MAX_IMMEDIATE_RESTARTS, type BaileysSession } from '../../../../src/adapters/engines/baileys/baileys-session.js';
import { importBaileys, type BaileysModule } from '../../../../src/adapters/engines/baileys/baileys-types.js';
import { backoffDelay, decideOnClose } from '../../../../src/adapters/engines/baileys/connection-policy.js';
import { toEngineError, toResult } from '../../../../src/adapters/engines/baileys/convert.js';
import { LidMap } from '../../../../src/adapters/engines/baileys/lid-map.js';
import { outcomeStatus } from '../../../../src/core/outcomes/outcomes.js';
import { EngineError, type EngineEvent } from '../../../../src/core/ports/engine.js';
import { fakeSocketFactory, manualTimers } from './fake-socket.js';

const PHONE = '15550001111';

async function setup(overrides: Partial<BaileysModule> = {}, printQr?: (qr: string) => void) {
  const real = await importBaileys();
  const versionFetches: number[] = [];
  const lib = { ...real, ...overrides } as BaileysModule;
  const auth = createMemoryAuthRepository();
  const timers = manualTimers();
  const fake = fakeSocketFactory();
  const printed: string[] = [];
  const factory = createBaileysEngineFactory({
    auth,
    logger: pino({ level: 'silent' }),
    loadLibrary: async () => lib,
    makeSocket: fake.make,
    timers,
    now: timers.now,
    random: () => 0.5,
    printQr: printQr ?? ((qr) => printed.push(qr)),
    fetchVersion: async () => {
      versionFetches.push(1);
      throw new Error('offline');
    },
  });
  const events: EngineEvent[] = [];
  await factory.create({ instanceId: 'inst-1', sink: async (event) => void events.push(event) });
  const session = factory.session('inst-1') as BaileysSession;
  fake.settle = () => session.settled();
  const statuses = () => events.flatMap((e) => (e.type === 'connection' ? [e.status] : []));
  return { session, factory, auth, timers, fake, printed, events, statuses, versionFetches };
}

describe('baileys linking', () => {
  it('starting -> qr -> connected; the QR rotates, prints once, and the creds are stored', async () => {
    const { session, fake, printed, events, statuses, auth } = await setup();
    await session.connect();
    assert.equal(fake.sockets.length, 1);
    const sock = fake.sockets[0]!;
    assert.equal(typeof sock.config.cachedGroupMetadata, 'function');
    await sock.update({ qr: 'QR-1' });
    assert.equal(session.status().status, 'qr');
    assert.equal(session.currentQr(), 'QR-1');
    await sock.update({ qr: 'QR-2' });
    assert.equal(session.currentQr(), 'QR-2');
    assert.deepEqual(printed, ['QR-1']);
    assert.deepEqual(
      events.filter((e) => e.type === 'connection' && e.qr).map((e) => e.type === 'connection' && e.qr),
      ['QR-1', 'QR-2'],
    );
    await sock.emit({ 'creds.update': { me: { id: `${PHONE}:3@s.whatsapp.net` } } });
    await sock.open(PHONE);
    await session.settled();
    assert.deepEqual(statuses(), ['starting', 'qr', 'qr', 'connected']);
    assert.equal(session.status().phone, PHONE);
    assert.equal(session.currentQr(), undefined);
    assert.ok(await auth.readCreds('inst-1'), 'creds stored');
  });

  it('printQr throwing (no terminal, qrcode missing): the status still reaches qr and the QR is served', async () => {
    const { session, fake } = await setup({}, () => {
      throw new Error('no terminal');
    });
    await session.connect();
    await fake.sockets[0]!.update({ qr: 'QR-1' });
    assert.equal(session.status().status, 'qr');
    assert.equal(session.currentQr(), 'QR-1');
  });

  it('a pairing code is 8 characters and moves the status to pairing', async () => {
    const { session, fake } = await setup();
    await assert.rejects(session.requestPairingCode(PHONE), (err: unknown) => err instanceof EngineError && err.code === 428);
    await session.connect();
    await fake.sockets[0]!.update({ qr: 'QR-1' });
    const code = await session.requestPairingCode(PHONE);
    assert.match(code, /^[A-Z0-9]{8}$/);
    assert.deepEqual(fake.sockets[0]!.pairingRequests, [PHONE]);
    assert.equal(session.status().status, 'pairing');
    await fake.sockets[0]!.update({ qr: 'QR-2' });
    assert.equal(session.status().status, 'pairing', 'a rotated QR does not undo pairing');
  });
});

describe('baileys connection policy', () => {
  for (const code of [401, 403, 406]) {
    it(`${code}: logged_out, keys wiped, no retry`, async () => {
      const { session, fake, auth, timers } = await setup();
      await session.connect();
      await auth.setKeys('inst-1', [{ kind: 'session', id: 'x', value: '"y"' }]);
      await fake.sockets[0]!.open(PHONE);
      await fake.sockets[0]!.closeWith(code);
      await session.settled();
      assert.equal(session.status().status, 'logged_out');
      assert.equal(auth.rows.size, 0, 'creds and keys deleted');
      timers.advance(60 * 60_000);
      assert.equal(fake.sockets.length, 1);
    });
  }

  it('515 restart required: a new socket at once', async () => {
    const { session, fake, timers } = await setup();
    await session.connect();
    await fake.sockets[0]!.closeWith(515, 'Stream Errored (restart required)');
    await session.settled();
    assert.equal(fake.sockets.length, 2);
    assert.equal(timers.pending(), 0);
    await fake.sockets[1]!.open(PHONE);
    await session.settled();
    assert.equal(session.status().status, 'connected');
  });

  it('440 connection replaced: disconnected with that reason, never reconnects', async () => {
    const { session, fake, timers } = await setup();
    await session.connect();
    await fake.sockets[0]!.open(PHONE);
    await fake.sockets[0]!.closeWith(440, 'Stream Errored (conflict)');
    await session.settled();
    assert.equal(session.status().status, 'disconnected');
    assert.match(session.status().reason, /replaced/);
    timers.advance(24 * 3600_000);
    assert.equal(fake.sockets.length, 1);
  });

  it('402 temporary ban: failed, no reconnect', async () => {
    const { session, fake, timers } = await setup();
    await session.connect();
    await fake.sockets[0]!.closeWith(402);
    await session.settled();
    assert.deepEqual(
      { ...session.status(), phone: undefined },
      { status: 'failed', reason: 'temporarily banned by WhatsApp (402); restart the instance after the ban ends', phone: undefined },
    );
    timers.advance(24 * 3600_000);
    assert.equal(fake.sockets.length, 1);
  });

  it('QR never scanned (408 after the refs ran out): disconnected "QR not scanned", no new QR until restart', async () => {
    const { session, fake, timers } = await setup();
    await session.connect();
    await fake.sockets[0]!.update({ qr: 'QR-1' });
    await fake.sockets[0]!.closeWith(408, 'QR refs attempts ended');
    await session.settled();
    assert.equal(session.status().status, 'disconnected');
    assert.match(session.status().reason, /^QR not scanned/);
    assert.equal(session.currentQr(), undefined);
    timers.advance(3600_000);
    assert.equal(fake.sockets.length, 1);
    await session.close();
    await session.connect();
    assert.equal(fake.sockets.length, 2, 'a restart opens a new socket');
  });

  it('405 client outdated: fetches the version once (offline: keeps the bundled one) and retries', async () => {
    const { session, fake, versionFetches, timers } = await setup();
    await session.connect();
    await fake.sockets[0]!.closeWith(405);
    await session.settled();
    assert.equal(versionFetches.length, 1);
    assert.equal(fake.sockets.length, 2);
    assert.equal(fake.sockets[1]!.config.version, undefined, 'bundled version kept');
    await fake.sockets[1]!.closeWith(405);
    await session.settled();
    assert.equal(versionFetches.length, 1, 'fetched only once');
    assert.equal(session.status().status, 'disconnected');
    assert.equal(timers.pending(), 1, 'then backs off');
  });

  it('anything else: disconnected with a readable reason and an exponential backoff', async () => {
    const { session, fake, timers } = await setup();
    await session.connect();
    await fake.sockets[0]!.closeWith(428, 'Connection Terminated');
    await session.settled();
    assert.deepEqual(session.status(), { status: 'disconnected', reason: 'connection closed by web.whatsapp.com; retrying in 2 s' });
    assert.equal(timers.advance(1_499), 0);
    assert.equal(timers.advance(1), 1);
    assert.equal(fake.sockets.length, 2);
    await fake.sockets[1]!.closeWith(500, 'WebSocket Error (getaddrinfo ENOTFOUND web.whatsapp.com)');
    await session.settled();
    assert.equal(session.status().reason, 'cannot resolve web.whatsapp.com (no internet or DNS); retrying in 3 s');
  });

  it('close() stops reconnecting; logout() wipes the keys', async () => {
    const { session, fake, timers, auth } = await setup();
    await session.connect();
    await fake.sockets[0]!.closeWith(503);
    await session.settled();
    assert.equal(timers.pending(), 1);
    await session.close();
    assert.equal(timers.pending(), 0);
    assert.equal(session.status().status, 'disconnected');
    await session.connect();
    await fake.sockets[1]!.open(PHONE);
    await session.settled();
    await session.logout();
    assert.equal(fake.sockets[1]!.loggedOut, true);
    assert.equal(session.status().status, 'logged_out');
    assert.equal(auth.rows.size, 0);
  });

  it('connect() after close() resets the attempt counter: the backoff starts from 2 s again', async () => {
    const { session, fake, timers } = await setup();
    await session.connect();
    await fake.sockets[0]!.closeWith(428);
    await session.settled();
    timers.advance(2_000);
    await fake.sockets[1]!.closeWith(428);
    await session.settled();
    timers.advance(4_000);
    await fake.sockets[2]!.closeWith(428);
    await session.settled();
    assert.match(session.status().reason, /retrying in 6 s$/);
    await session.close();
    await session.connect();
    await fake.sockets[3]!.closeWith(428);
    await session.settled();
    assert.match(session.status().reason, /retrying in 2 s$/);
  });

  it(`stream error 515 over and over: ${MAX_IMMEDIATE_RESTARTS} immediate reconnects, then the backoff`, async () => {
    const { session, fake, timers } = await setup();
    await session.connect();
    for (let i = 0; i < MAX_IMMEDIATE_RESTARTS; i += 1) {
      await fake.sockets[i]!.closeWith(515, 'Stream Errored (restart required)');
      await session.settled();
      assert.equal(fake.sockets.length, i + 2, 'reconnected at once');
    }
    await fake.sockets[MAX_IMMEDIATE_RESTARTS]!.closeWith(515, 'Stream Errored (restart required)');
    await session.settled();
    assert.equal(fake.sockets.length, MAX_IMMEDIATE_RESTARTS + 1, 'no socket opened at once');
    assert.equal(session.status().status, 'disconnected');
    assert.match(session.status().reason, /restart required by WhatsApp \d+ times in a row; retrying in 2 s/);
    assert.equal(timers.pending(), 1);
    timers.advance(2_000);
    assert.equal(fake.sockets.length, MAX_IMMEDIATE_RESTARTS + 2);
    await fake.sockets.at(-1)!.open(PHONE);
    await session.settled();
    await fake.sockets.at(-1)!.closeWith(515, 'Stream Errored (restart required)');
    await session.settled();
    assert.equal(fake.sockets.length, MAX_IMMEDIATE_RESTARTS + 3, 'an open connection resets the count');
  });

  it('open() failing inside the backoff timer: retried with a longer backoff, never disconnected for good', async () => {
    const { session, fake, timers } = await setup();
    await session.connect();
    await fake.sockets[0]!.closeWith(503);
    await session.settled();
    fake.failures = 1;
    timers.advance(2_000);
    await session.whenStatus((s) => /reconnecting to WhatsApp failed/.test(s.reason));
    assert.match(session.status().reason, /retrying in 3 s$/);
    assert.equal(timers.pending(), 1, 'a retry is pending');
    timers.advance(3_000);
    assert.equal(fake.sockets.length, 2);
    await fake.sockets[1]!.open(PHONE);
    await session.settled();
    assert.equal(session.status().status, 'connected');
  });

  it('515 reconnect failing to open: retried with a backoff', async () => {
    const { session, fake, timers } = await setup();
    await session.connect();
    fake.failures = 1;
    await fake.sockets[0]!.closeWith(515, 'Stream Errored (restart required)');
    await session.settled();
    assert.equal(session.status().status, 'disconnected');
    assert.equal(timers.pending(), 1);
    timers.advance(2_000);
    assert.equal(fake.sockets.length, 2);
  });
});

describe('baileys rate limits', () => {});

describe('baileys backoff and errors', () => {
  it('the backoff doubles from 2 s with jitter and is capped at 5 minutes', () => {
    const at = (attempt: number, r: number) => backoffDelay(attempt, { baseMs: 2_000, capMs: 300_000, random: () => r });
    assert.deepEqual(
      [0, 1, 2, 3].map((a) => at(a, 0)),
      [1_000, 2_000, 4_000, 8_000],
    );
    assert.equal(at(20, 0.999999), 300_000);
    assert.equal(at(20, 0), 150_000);
  });

  it('every close code has a decision', () => {
    const decide = (code: number | undefined, message = '') => decideOnClose({ code, message, qrShown: false, versionRefreshed: false, host: 'web.whatsapp.com' }).action;
    assert.deepEqual(
      [401, 403, 406, 402, 440, 515, 405, 408, 428, 500, 503, undefined].map((c) => decide(c)),
      ['logged_out', 'logged_out', 'logged_out', 'stop', 'stop', 'reconnect_now', 'refresh_version', 'backoff', 'backoff', 'backoff', 'backoff', 'backoff'],
    );
  });

  it('per-participant code outside the known list (401, 420): kept as WhatsApp answered it, a failed outcome, not 500', () => {
    for (const error of ['401', '420']) {
      const result = toResult('15550002222@s.whatsapp.net', { tag: 'participant', attrs: { jid: '15550002222@s.whatsapp.net', error } }, undefined, new LidMap());
      assert.equal(result.code, Number(error));
      for (const action of ['add', 'remove', 'promote', 'demote', 'approve', 'reject'] as const) assert.equal(outcomeStatus(action, result.code), 'failed');
    }
  });

  it('stanza errors (Boom, code in data, HTTP status 500) become EngineErrors with that code', () => {
    const boom = (data: unknown, message = 'not-authorized', statusCode = 500) => Object.assign(new Error(message), { isBoom: true, data, output: { statusCode } });
    const e1 = toEngineError(boom(401));
    assert.ok(e1 instanceof EngineError && e1.code === 401 && e1.text === 'not-authorized');
    const e2 = toEngineError(boom({ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }, 'item-not-found', 404));
    assert.ok(e2 instanceof EngineError && e2.code === 404);
    const e3 = toEngineError(boom(undefined, 'Connection Closed', 428));
    assert.ok(e3 instanceof EngineError && e3.code === 428);
    const other = new TypeError('bug');
    assert.equal(toEngineError(other), other);
  });
});
