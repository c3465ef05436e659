/**
 * A stanza-level harness for the Baileys engine: real Baileys sockets connect to a local WebSocket
 * server that accepts and never completes the noise handshake (so every frame Baileys sends is in
 * clear), and the sandbox emulator plays WhatsApp's group server behind it.
 *
 * Outgoing frames are decoded with Baileys' `decodeBinaryNode` (first frame: 4-byte intro; then a
 * 3-byte length prefix per frame); IQs are answered by emitting `TAG:<id>` on `sock.ws`; the
 * emulator's events are injected as `w:gp2` notifications (`CB:notification`) after the login
 * (`CB:success`) and the offline flush (`CB:ib,,offline`). Messages skip the Signal layer (the
 * harness cannot encrypt): `sendMessage` goes to the emulator and incoming messages are emitted as the
 * `messages.upsert` Baileys would emit after decrypting.
 */
import type { AddressInfo } from 'node:net';
import type { BinaryNode, WASocket } from 'baileys';
import pino from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { createMemoryAuthRepository } from '../../../../src/adapters/engines/baileys/auth-state.js';
import { createBaileysEngineFactory } from '../../../../src/adapters/engines/baileys/baileys-engine.js';
import type { BaileysSession } from '../../../../src/adapters/engines/baileys/baileys-session.js';
import { importBaileys, type BaileysModule } from '../../../../src/adapters/engines/baileys/baileys-types.js';
import type { EngineEvent, EngineSession } from '../../../../src/core/ports/engine.js';
import { EngineError } from '../../../../src/core/ports/engine.js';
import { createMemoryPersistence } from '../../../../src/adapters/engines/sandbox/emulator/memory-persistence.js';
import { createSandboxNetwork, type SandboxNetwork } from '../../../../src/adapters/engines/sandbox/emulator/network.js';
import type { ConformanceHarness, ConformanceOptions } from '../engine-conformance.js';
import { createStanzaCodec } from './harness-stanzas.js';

const ACK_TIMEOUT_MS = 5_000;
/** The port's asynchronous methods: the ones whose events the harness delivers before they return. */
const ASYNC_METHODS = new Set([
  'connect',
  'close',
  'logout',
  'requestPairingCode',
  'createGroup',
  'groupMetadata',
  'listGroups',
  'leaveGroup',
  'setSubject',
  'setDescription',
  'setPicture',
  'addParticipants',
  'removeParticipants',
  'promoteParticipants',
  'demoteParticipants',
  'inviteCode',
  'revokeInvite',
  'joinByCode',
  'inviteInfo',
  'acceptInviteV4',
  'updateSettings',
  'joinRequests',
  'approveJoinRequests',
  'rejectJoinRequests',
  'sendText',
  'sendGroupInvite',
  'onWhatsApp',
]);
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Starts the WebSocket server and the emulator; `session(phone)` gives a connected Baileys session. */
export async function makeBaileysHarness(
  options: ConformanceOptions = {},
): Promise<ConformanceHarness & { lib: BaileysModule; baileys(phone: string): BaileysSession | undefined }> {
  let clock = Date.UTC(2025, 0, 1);
  const network: SandboxNetwork = createSandboxNetwork({ persistence: createMemoryPersistence(), now: () => clock, ...options });
  await network.load();
  const lib = await importBaileys();
  const codec = createStanzaCodec(network);
  const logger = pino({ level: 'silent' });

  const socks = new Map<string, WASocket>();
  const helloSeen = new Map<string, () => void>();
  const ackWaiters = new Map<string, () => void>();
  const clients = new Set<WebSocket>();

  // --- the fake WhatsApp endpoint ---
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  server.on('connection', (ws, req) => {
    clients.add(ws);
    const phone = (req.url ?? '').split('/').pop()!;
    let buf = Buffer.alloc(0);
    let intro = false;
    let hello = false;
    ws.on('message', (data: Buffer) => {
      buf = Buffer.concat([buf, data]);
      if (!intro) {
        buf = buf.subarray(4);
        intro = true;
      }
      while (buf.length >= 3) {
        const size = (buf[0]! << 16) | (buf[1]! << 8) | buf[2]!;
        if (buf.length < size + 3) break;
        const frame = buf.subarray(3, size + 3);
        buf = buf.subarray(size + 3);
        if (!hello) {
          hello = true; // the noise ClientHello: never answered
          helloSeen.get(phone)?.();
          continue;
        }
        void lib.decodeBinaryNode(frame).then((node) => onFrame(phone, node));
      }
    });
  });

  async function onFrame(phone: string, frame: BinaryNode): Promise<void> {
    if (frame.tag === 'ack') {
      ackWaiters.get(frame.attrs.id ?? '')?.();
      return;
    }
    if (frame.tag !== 'iq' || (frame.attrs.type !== 'get' && frame.attrs.type !== 'set')) return;
    const answer = await codec.answerIq(phone, frame);
    socks.get(phone)?.ws.emit(`TAG:${frame.attrs.id}`, answer);
  }

  // --- sockets: real Baileys, pointed at the fake endpoint, logged in by the harness ---
  const auth = createMemoryAuthRepository();
  const factory = createBaileysEngineFactory({
    auth,
    logger,
    loadLibrary: async () => lib,
    resyncThrottleMs: 0,
    now: () => clock,
    makeSocket: (l, config) => {
      const phone = config.auth!.creds.me!.id.split(':')[0]!;
      const seen = new Promise<void>((resolve) => helloSeen.set(phone, resolve));
      const sock = l.makeWASocket({ ...config, logger, waWebSocketUrl: `ws://127.0.0.1:${port}/ws/${phone}`, connectTimeoutMs: 0 });
      socks.set(phone, sock);
      routeMessages(phone, sock);
      void seen.then(() => login(phone, sock));
      return sock;
    },
  });
  function login(phone: string, sock: WASocket): void {
    sock.ev.on('connection.update', (update) => {
      if (update.connection === 'open') sock.ws.emit('CB:ib,,offline', { tag: 'ib', attrs: {}, content: [{ tag: 'offline', attrs: { count: '0' } }] });
    });
    const lid = network.getAccount(phone).lid!;
    sock.ws.emit('CB:success', { tag: 'success', attrs: { lid, t: String(Math.floor(clock / 1000)) } });
  }

  /** Messages go to the emulator (the harness has no Signal layer to encrypt them). */
  function routeMessages(phone: string, sock: WASocket): void {
    const net = network.as(phone);
    sock.sendMessage = (async (
      jid: string,
      content: { text?: string; groupInvite?: { jid: string; inviteCode: string; inviteExpiration: number; subject: string; text: string } },
    ) => {
      try {
        const sent = content.groupInvite
          ? await net.sendGroupInvite(jid, {
              groupId: content.groupInvite.jid,
              code: content.groupInvite.inviteCode,
              expiration: content.groupInvite.inviteExpiration,
              groupName: content.groupInvite.subject,
              ...(content.groupInvite.text ? { caption: content.groupInvite.text } : {}),
            })
          : await net.sendText(jid, content.text ?? '');
        return { key: { remoteJid: jid, fromMe: true, id: sent.id }, messageTimestamp: sent.timestamp };
      } catch (err) {
        // WhatsApp's refusal as Baileys surfaces stanza errors: a Boom with the code in `data`.
        if (err instanceof EngineError) throw Object.assign(new Error(err.text), { isBoom: true, data: err.code, output: { statusCode: 500 } });
        throw err;
      }
    }) as unknown as WASocket['sendMessage'];
  }

  // --- accounts: emulator events queue up and are injected once the acting call returns ---
  const pending = new Map<string, EngineEvent[]>();
  const logs = new Map<string, EngineEvent[]>();
  const sessions = new Map<string, Promise<EngineSession>>();

  async function deliver(phone: string, event: EngineEvent): Promise<void> {
    const sock = socks.get(phone);
    const session = factory.session(`inst-${phone}`);
    if (!sock || !session || session.status().status !== 'connected') return;
    if (event.type === 'message') {
      const group = event.chatId.endsWith('@g.us');
      const fromLid = network.getAccount(event.from.split('@')[0]!).lid;
      sock.ev.emit('messages.upsert', {
        type: 'notify',
        messages: [
          {
            key: { remoteJid: event.chatId, fromMe: false, id: event.id, ...(group ? { participant: fromLid, participantAlt: event.from } : {}) },
            messageTimestamp: event.timestamp,
            message: event.groupInvite
              ? {
                  groupInviteMessage: {
                    groupJid: event.groupInvite.groupId,
                    inviteCode: event.groupInvite.code,
                    inviteExpiration: event.groupInvite.expiration,
                    groupName: event.groupInvite.groupName,
                    caption: event.groupInvite.caption,
                  },
                }
              : { conversation: event.text },
          },
        ],
      } as never);
      return;
    }
    for (const node of codec.notificationsFor(phone, event)) {
      const acked = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ack from ${phone} for ${node.attrs.id}`)), ACK_TIMEOUT_MS);
        ackWaiters.set(node.attrs.id!, () => {
          clearTimeout(timer);
          ackWaiters.delete(node.attrs.id!);
          resolve();
        });
      });
      sock.ws.emit('CB:notification', node);
      await acked;
      await tick();
    }
  }

  /** Injects every queued event, in order, and waits until each engine delivered what it made of them. */
  async function flush(): Promise<void> {
    for (;;) {
      const ready = [...pending].filter(([, list]) => list.length > 0);
      if (ready.length === 0) return;
      for (const [phone, list] of ready) {
        const batch = list.splice(0);
        for (const event of batch) await deliver(phone, event);
        await factory.session(`inst-${phone}`)?.settled();
      }
    }
  }

  async function waitConnected(session: BaileysSession): Promise<void> {
    await session.whenStatus((s) => s.status === 'connected');
    // Baileys releases its start-up event buffer on a zero-delay timer after the offline flush.
    const ev = session.socket()?.ev as unknown as { isBuffering(): boolean } | undefined;
    for (let i = 0; i < 1000 && ev?.isBuffering(); i += 1) await tick();
    await session.settled();
  }

  /** The session as the suite sees it: every async call returns only after the events it caused arrived. */
  function wrap(session: BaileysSession): EngineSession {
    return new Proxy(session, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (typeof prop !== 'string' || !ASYNC_METHODS.has(prop)) return (value as (...a: unknown[]) => unknown).bind(target);
        return async (...args: unknown[]) => {
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } finally {
            if (prop === 'connect') await waitConnected(target);
            await flush();
          }
        };
      },
    });
  }

  return {
    network,
    lib,
    baileys: (phone) => factory.session(`inst-${phone}`),
    session(phone) {
      let session = sessions.get(phone);
      if (!session) {
        const log: EngineEvent[] = [];
        logs.set(phone, log);
        pending.set(phone, []);
        session = (async () => {
          const account = await network.attach(phone, async (event) => void pending.get(phone)!.push(event));
          const creds = lib.initAuthCreds();
          creds.me = { id: `${phone}:1@s.whatsapp.net`, lid: `${account.lid!.split('@')[0]}:1@lid`, name: phone };
          creds.registered = true;
          // Synced before: Baileys then goes online at once instead of buffering for the first history sync.
          creds.accountSyncCounter = 1;
          // A linked device: creds.me is set before the first socket opens.
          await auth.writeCreds(`inst-${phone}`, JSON.stringify(creds, lib.BufferJSON.replacer));
          await factory.create({ instanceId: `inst-${phone}`, phone, sink: async (event) => void log.push(event) }).then(() => undefined);
          const created = factory.session(`inst-${phone}`)!;
          await created.connect();
          await waitConnected(created);
          return wrap(created);
        })();
        sessions.set(phone, session);
      }
      return session;
    },
    events: (phone) => [...(logs.get(phone) ?? [])],
    advanceClock(ms) {
      clock += ms;
    },
    async close() {
      for (const session of sessions.values()) await (await session.catch(() => undefined))?.close().catch(() => undefined);
      for (const ws of clients) ws.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
