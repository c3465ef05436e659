/**
 * A wire-level WhatsApp double for tests: a local WebSocket server that a real, unmodified Baileys
 * socket connects to and logs into.
 *
 * - Transport: the server half of the Noise handshake (`noise-server.ts`), then every frame AES-GCM
 *   encrypted, each node encoded and decoded with Baileys' own `encodeBinaryNode`/`decodeBinaryNode`.
 * - Login of a registered device (`ClientPayload.username`): `<success lid t>`, then the pre-key
 *   count/upload/digest and `passive` IQs Baileys sends, then the offline flush `<ib><offline/></ib>`.
 * - A new device (`ClientPayload.devicePairingData`): `pair-device` with QR refs; `pairSuccess()`
 *   plays the phone scanning the QR, `requestPairingCode` IQs are recorded.
 * - Group IQs are answered by the sandbox emulator (`group-server.ts`), in LID or phone-number
 *   addressing; the emulator's events become `w:gp2` notifications, delivered after the answer of
 *   the IQ that caused them, each awaited until Baileys acks it.
 * - Messages, relayed as WhatsApp stores and forwards them, never decrypted: the `devices` usync and
 *   the pre-key fetch (`encrypt` get, one one-time pre-key used up per fetch) are answered from the
 *   key bundles the devices uploaded; each `<message>` is acknowledged, and each recipient device gets
 *   its `<enc>` from `<participants>` (plus the group's `skmsg`) with the sender named in the group's
 *   addressing; delivery and read receipts go back to the sender.
 * - A required client version (`clientVersion`): a login announcing another gets `<failure reason="405">`.
 * - Stream errors and closes with any code (`streamError`, `failure`, `endStream`, `dropConnection`).
 * - Fault injection (`fault`): an IQ never answered, the stream closed mid-query, an error code
 *   (`429 rate-overlimit`) for any matching IQ, an answer held until the test releases it.
 */
import type { AddressInfo } from 'node:net';
import type { BinaryNode } from 'baileys';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BaileysModule } from '../../../../../src/adapters/engines/baileys/baileys-types.js';
import type { EngineEvent } from '../../../../../src/core/ports/engine.js';
import { ENGINE_ERROR_TEXT, type EngineErrorCode } from '../../../../../src/core/ports/engine.js';
import type { SandboxNetwork } from '../../../../../src/adapters/engines/sandbox/emulator/network.js';
import { createGroupServer } from './group-server.js';
import { createCertificates, createNoiseServer, trustDoubleRoot, type NoiseServer } from './noise-server.js';

export type Addressing = 'lid' | 'pn';

/** What the double does with an IQ a fault rule matches. */
export type FaultAction =
  /** Never answers (Baileys' query waits for its timeout). */
  | { kind: 'never-answer' }
  /** Closes the stream (`</stream:stream>`, Baileys' "xmlstreamend") instead of answering. */
  | { kind: 'close-stream' }
  /** Sends `<stream:error code>` instead of answering. */
  | { kind: 'stream-error'; code: number }
  /** Answers `<error code text>`. */
  | { kind: 'error'; code: number; text?: string }
  /** Answers normally once `release` resolves. */
  | { kind: 'hold'; release: Promise<void> };

export interface FaultRule {
  /** Which IQs: by xmlns, by first child tag, or any predicate. */
  match: { xmlns?: string; child?: string; to?: string; phone?: string } | ((iq: BinaryNode, phone: string) => boolean);
  action: FaultAction;
  /** How many IQs it applies to; default every matching one. */
  times?: number;
}

interface Connection {
  ws: WebSocket;
  noise: NoiseServer;
  phone?: string;
  device?: number;
  chain: Promise<void>;
  offlineSent: boolean;
  /** Registration: the refs offered and the client's keys, for `pairSuccess`. */
  registration?: { noiseKey: Uint8Array; identityKey: Uint8Array };
}

export interface WaDoubleOptions {
  lib: BaileysModule;
  network: SandboxNetwork;
  addressing?: Addressing;
  /** The only client version logins are accepted with (others get `<failure reason="405">`); default any. */
  clientVersion?: [number, number, number];
}

const node = (tag: string, attrs: Record<string, string | undefined> = {}, content?: BinaryNode[] | Uint8Array): BinaryNode => {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) clean[k] = v;
  return content === undefined ? { tag, attrs: clean } : { tag, attrs: clean, content };
};
const kids = (n: BinaryNode | undefined, tag?: string): BinaryNode[] => (Array.isArray(n?.content) ? n.content.filter((c) => !tag || c.tag === tag) : []);

/** How long a relayed message waits for the recipient device's receipt before the next stanza goes. */
const MESSAGE_DELIVERY_TIMEOUT_MS = 5_000;

/** Starts a double; `url` is what Baileys' `waWebSocketUrl` should point at. */
export async function startWaDouble(options: WaDoubleOptions) {
  const { lib, network } = options;
  const addressing = options.addressing ?? 'lid';
  const groups = createGroupServer(network, addressing);
  const certs = createCertificates(lib);
  const release = trustDoubleRoot(lib, certs);
  const serverStatic = lib.Curve.generateKeyPair();
  const connections = new Set<Connection>();
  const faults: (FaultRule & { used: number })[] = [];
  const received = new Map<string, BinaryNode[]>();
  const seenWaiters = new Set<() => void>();
  /** The key bundle each device uploaded (identity, signed pre-key, one-time pre-keys), by `<phone>:<device>`. */
  const bundles = new Map<string, { registration: BinaryNode; identity: BinaryNode; skey: BinaryNode; keys: BinaryNode[] }>();
  /** Devices the phone unlinked: their next login fails with 401. */
  const unlinked = new Set<string>();
  const outbox = new Map<string, BinaryNode[]>();
  /** Every login attempt: the number (empty while linking), the version announced, whether it was accepted. */
  const logins: { phone: string; version: number[]; accepted: boolean }[] = [];
  const ackWaiters = new Map<string, () => void>();
  const idleWaiters = new Set<() => void>();
  let groupIqsInFlight = 0;
  let holds = 0;
  let pumping = false;
  let seq = 0;

  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws/chat`;

  const connectionOf = (phone: string) => [...connections].find((c) => c.phone === phone && c.ws.readyState === c.ws.OPEN);

  async function send(conn: Connection, frame: BinaryNode): Promise<void> {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    conn.ws.send(conn.noise.frame(lib.encodeBinaryNode(frame)));
  }

  server.on('connection', (ws) => {
    const conn: Connection = { ws, noise: createNoiseServer(lib, certs, serverStatic), chain: Promise.resolve(), offlineSent: false };
    connections.add(conn);
    ws.on('close', () => {
      connections.delete(conn);
      kick();
    });
    ws.on('message', (data: Buffer) => {
      conn.chain = conn.chain
        .then(async () => {
          const { hello, finish, frames } = await conn.noise.receive(data);
          if (hello) ws.send(conn.noise.frame(conn.noise.serverHello(hello)));
          if (finish) await onClientFinish(conn, finish.payload);
          for (const frame of frames) {
            const decoded = await lib.decodeBinaryNode(Buffer.from(frame));
            void onNode(conn, decoded);
          }
        })
        .catch(() => ws.terminate());
    });
  });

  async function onClientFinish(conn: Connection, raw: Uint8Array): Promise<void> {
    const payload = lib.proto.ClientPayload.decode(raw);
    const v = payload.userAgent?.appVersion;
    if (options.clientVersion && [v?.primary, v?.secondary, v?.tertiary].join('.') !== options.clientVersion.join('.')) {
      logins.push({ phone: String(payload.username ?? ''), version: [v?.primary ?? 0, v?.secondary ?? 0, v?.tertiary ?? 0], accepted: false });
      await send(conn, node('failure', { reason: '405', location: 'double' }));
      return;
    }
    logins.push({ phone: String(payload.username ?? ''), version: [v?.primary ?? 0, v?.secondary ?? 0, v?.tertiary ?? 0], accepted: true });
    if (payload.username) {
      const phone = String(payload.username);
      conn.phone = phone;
      conn.device = payload.device ?? 0;
      // A device WhatsApp never linked (no key bundle) or one the phone unlinked is refused with 401.
      if (unlinked.has(`${phone}:${conn.device}`) || !bundles.has(`${phone}:${conn.device}`) || !network.getAccount(phone).registered) {
        await send(conn, node('failure', { reason: '401', location: 'double' }));
        return;
      }
      const account = await network.attach(phone, async (event) => deliverLater(phone, event));
      await send(conn, node('success', { t: String(Math.floor(network.now() / 1000)), lid: account.lid, props: '1', abprops: '1', location: 'double' }));
      return;
    }
    const reg = payload.devicePairingData;
    conn.registration = { noiseKey: new Uint8Array(0), identityKey: reg?.eIdent ?? new Uint8Array(0) };
    const refs = [1, 2, 3, 4, 5, 6].map((i) => node('ref', {}, Buffer.from(`double-ref-${++seq}-${i}`)));
    await send(conn, node('iq', { type: 'set', id: `pair-${++seq}`, from: 's.whatsapp.net', xmlns: 'md' }, [node('pair-device', {}, refs)]));
  }

  async function onNode(conn: Connection, frame: BinaryNode): Promise<void> {
    const phone = conn.phone ?? '';
    const log = received.get(phone) ?? [];
    received.set(phone, log);
    log.push(frame);
    for (const wake of [...seenWaiters]) wake();
    if (frame.tag === 'ack') {
      ackWaiters.get(`${phone}|${frame.attrs.id ?? ''}`)?.();
      return;
    }
    if (frame.tag === 'receipt') {
      // A device's receipt ends the delivery of that message to it; the sender hears of it.
      ackWaiters.get(`${phone}|${frame.attrs.id ?? ''}`)?.();
      relayReceipt(conn, frame);
      return;
    }
    if (frame.tag === 'message') {
      await relayMessage(conn, frame);
      return;
    }
    if (frame.tag !== 'iq' || (frame.attrs.type !== 'get' && frame.attrs.type !== 'set')) return;
    const rule = faults.find((f) => matches(f, frame, phone) && (f.times === undefined || f.used < f.times));
    const base = { id: frame.attrs.id, from: frame.attrs.to ?? 's.whatsapp.net' };
    if (rule) {
      rule.used += 1;
      const action = rule.action;
      switch (action.kind) {
        case 'never-answer':
          return;
        case 'close-stream':
          endStream(conn);
          return;
        case 'stream-error':
          await send(conn, streamErrorNode(action.code));
          return;
        case 'error':
          await send(
            conn,
            node('iq', { ...base, type: 'error' }, [
              node('error', { code: String(action.code), text: action.text ?? ENGINE_ERROR_TEXT[action.code as EngineErrorCode] ?? 'error' }),
            ]),
          );
          return;
        case 'hold':
          await action.release;
          break;
      }
    }
    await send(conn, await answer(conn, frame));
    if (frame.attrs.xmlns === 'passive' && !conn.offlineSent) {
      conn.offlineSent = true;
      await send(conn, node('ib', { from: 's.whatsapp.net' }, [node('offline', { count: '0' })]));
    }
    kick();
  }

  function matches(rule: FaultRule, iq: BinaryNode, phone: string): boolean {
    if (typeof rule.match === 'function') return rule.match(iq, phone);
    const m = rule.match;
    return (
      (m.xmlns === undefined || iq.attrs.xmlns === m.xmlns) &&
      (m.child === undefined || kids(iq)[0]?.tag === m.child) &&
      (m.to === undefined || iq.attrs.to === m.to) &&
      (m.phone === undefined || m.phone === phone)
    );
  }

  async function answer(conn: Connection, iq: BinaryNode): Promise<BinaryNode> {
    const phone = conn.phone ?? '';
    const base = { id: iq.attrs.id, from: iq.attrs.to ?? 's.whatsapp.net' };
    const result = (content?: BinaryNode[]) => node('iq', { ...base, type: 'result' }, content);
    const [child] = kids(iq);
    switch (iq.attrs.xmlns) {
      case 'encrypt': {
        if (iq.attrs.type === 'get' && child?.tag === 'key')
          return result([
            node(
              'list',
              {},
              kids(child, 'user').map((u) => preKeyBundle(u.attrs.jid ?? '')),
            ),
          ]);
        const key = `${phone}:${conn.device}`;
        if (child?.tag === 'count') return result([node('count', { value: String(bundles.get(key)?.keys.length ?? 0) })]);
        if (child?.tag === 'digest') return result([node('digest')]);
        if (iq.attrs.type === 'set' && kids(iq, 'list').length) storeUpload(key, iq);
        return result();
      }
      case 'md':
        if (child?.tag === 'remove-companion-device') unlinked.add(`${phone}:${conn.device}`);
        return result();
      case 'usync':
        if (kids(kids(child, 'query')[0], 'devices').length) return result([devicesAnswer(child!)]);
      // falls through: a contact query, answered by the group server
      case 'w:g2':
      case 'w:profile:picture':
        groupIqsInFlight += 1;
        try {
          return await groups.answerIq(phone, iq);
        } finally {
          groupIqsInFlight -= 1;
        }
      default:
        return result();
    }
  }

  function storeUpload(key: string, upload: BinaryNode): void {
    const previous = bundles.get(key);
    bundles.set(key, {
      registration: kids(upload, 'registration')[0]!,
      identity: kids(upload, 'identity')[0]!,
      skey: kids(upload, 'skey')[0]!,
      keys: [...(previous?.keys ?? []), ...kids(kids(upload, 'list')[0], 'key')],
    });
  }

  function streamErrorNode(code: number): BinaryNode {
    if (code === 440) return node('stream:error', {}, [node('conflict', { type: 'replaced' })]);
    return node('stream:error', { code: String(code) });
  }

  function endStream(conn: Connection): void {
    void send(conn, node('xmlstreamend'));
  }

  // --- message relay: WhatsApp's store and forward of end-to-end encrypted stanzas ---

  /** The account a user jid (phone number or LID, with or without a device) names, if it is known. */
  function phoneOfUser(jid: string): string | undefined {
    const decoded = lib.jidDecode(jid);
    if (!decoded?.user) return undefined;
    if (decoded.server === 's.whatsapp.net') return decoded.user;
    if (decoded.server !== 'lid') return undefined;
    const lid = `${decoded.user}@lid`;
    for (const c of connections) if (c.phone && network.getAccount(c.phone).lid === lid) return c.phone;
    for (const key of bundles.keys()) {
      const candidate = key.split(':')[0]!;
      if (network.getAccount(candidate).lid === lid) return candidate;
    }
    return undefined;
  }

  /** A device jid in the domain of `like` (LID or phone number). */
  function deviceJid(phone: string, device: number, like: 'lid' | 'pn'): string {
    const lid = network.getAccount(phone).lid;
    return like === 'lid' && lid ? lib.jidEncode(lid.split('@')[0]!, 'lid', device) : lib.jidEncode(phone, 's.whatsapp.net', device);
  }

  /** Linked devices of an account: the ones that uploaded a key bundle (the phone itself, device 0, never connects here). */
  const devicesOf = (phone: string): number[] =>
    [...bundles.keys()]
      .filter((key) => key.split(':')[0] === phone && !unlinked.has(key))
      .map((key) => Number(key.split(':')[1]))
      .sort((a, b) => a - b);

  /** The `devices` usync answer: each asked user's linked devices (with a key index, as companions need). */
  function devicesAnswer(usync: BinaryNode): BinaryNode {
    const users = kids(kids(usync, 'list')[0], 'user').map((u) => {
      const jid = u.attrs.jid ?? '';
      const phone = phoneOfUser(jid);
      const devices = phone ? devicesOf(phone) : [];
      const lid = phone && lib.jidDecode(jid)?.server === 's.whatsapp.net' ? network.getAccount(phone).lid : undefined;
      return node('user', { jid }, [
        node('devices', {}, [
          node(
            'device-list',
            {},
            devices.map((d) => node('device', { id: String(d), 'key-index': d === 0 ? undefined : String(d) })),
          ),
        ]),
        ...(lid ? [node('lid', { val: lid })] : []),
      ]);
    });
    return node('usync', {}, [node('list', {}, users)]);
  }

  /** One device's bundle for a pre-key fetch, using up one one-time pre-key as WhatsApp does. */
  function preKeyBundle(jid: string): BinaryNode {
    const decoded = lib.jidDecode(jid);
    const phone = phoneOfUser(jid);
    const bundle = phone ? bundles.get(`${phone}:${decoded?.device ?? 0}`) : undefined;
    if (!bundle) return node('user', { jid }, [node('error', { code: '404', text: 'item-not-found' })]);
    const key = bundle.keys.shift();
    return node('user', { jid }, [bundle.registration, node('type', {}, Buffer.from([5])), bundle.identity, bundle.skey, ...(key ? [key] : [])]);
  }

  /** Queues a stanza for one device of `phone`, delivered in order with notifications. */
  function deliver(phone: string, stanza: BinaryNode): void {
    const list = outbox.get(phone) ?? [];
    outbox.set(phone, list);
    list.push(stanza);
    setImmediate(kick);
  }

  /**
   * A `<message>` from a device: acknowledged to the sender, then each recipient device gets its own
   * `<enc>` from `<participants>` (and, in a group, the sender-key `skmsg` every member device gets).
   * Nothing is decrypted: the double only stores and forwards. Every delivery is queued before the
   * first await, so whoever saw the stanza arrive (`waitFor`) sees its deliveries pending (`idle`).
   */
  async function relayMessage(conn: Connection, message: BinaryNode): Promise<void> {
    const from = conn.phone ?? '';
    const id = message.attrs.id ?? `m-${++seq}`;
    const to = message.attrs.to ?? '';
    const t = String(Math.floor(network.now() / 1000));
    const perDevice = new Map<string, BinaryNode[]>();
    for (const target of kids(kids(message, 'participants')[0], 'to')) perDevice.set(target.attrs.jid ?? '', kids(target, 'enc'));
    const identity = kids(message, 'device-identity');
    const group = to.endsWith('@g.us') ? network.group(to) : undefined;
    if (to.endsWith('@g.us')) {
      const members = group?.record.participants.map((p) => p.phone) ?? [];
      if (!members.includes(from)) {
        await send(conn, node('ack', { class: 'message', id, from: to, t, error: '403' }));
        return;
      }
      const mode = group?.metadata.addressingMode === 'pn' ? 'pn' : 'lid';
      const author = deviceJid(from, conn.device ?? 0, mode);
      const authorAlt = mode === 'lid' ? { participant_pn: `${from}@s.whatsapp.net` } : { participant_lid: network.getAccount(from).lid };
      const skmsg = kids(message, 'enc');
      const directed = new Map<string, BinaryNode[]>();
      for (const [jid, encs] of perDevice) {
        const phone = phoneOfUser(jid);
        if (phone) directed.set(`${phone}:${lib.jidDecode(jid)?.device ?? 0}`, encs);
      }
      for (const member of members) {
        for (const device of devicesOf(member)) {
          if (member === from && device === conn.device) continue;
          const encs = [...(directed.get(`${member}:${device}`) ?? []), ...skmsg];
          deliver(
            member,
            node('message', { from: to, id, t, type: message.attrs.type ?? 'text', participant: author, addressing_mode: mode, ...authorAlt }, [...encs, ...identity]),
          );
        }
      }
      await send(conn, node('ack', { class: 'message', id, from: to, t, addressing_mode: mode }));
      return;
    }
    for (const [jid, encs] of perDevice) {
      const phone = phoneOfUser(jid);
      if (!phone) continue;
      const mode = lib.jidDecode(jid)?.server === 'lid' ? 'lid' : 'pn';
      const sender = deviceJid(from, conn.device ?? 0, mode);
      const alt = mode === 'lid' ? { sender_pn: `${from}@s.whatsapp.net` } : { sender_lid: network.getAccount(from).lid };
      // A copy for the sender's own other devices names the chat it belongs to.
      const recipient = phone === from ? { recipient: to } : {};
      deliver(phone, node('message', { from: sender, id, t, type: message.attrs.type ?? 'text', ...alt, ...recipient }, [...encs, ...identity]));
    }
    await send(conn, node('ack', { class: 'message', id, from: to, t }));
  }

  /** A recipient's delivery or read receipt, passed on to the sender (retry receipts are not: nothing is re-sent here). */
  function relayReceipt(conn: Connection, receipt: BinaryNode): void {
    if (receipt.attrs.type === 'retry' || !receipt.attrs.to) return;
    const phone = conn.phone ?? '';
    const to = receipt.attrs.to;
    const t = String(Math.floor(network.now() / 1000));
    const type = receipt.attrs.type ? { type: receipt.attrs.type } : {};
    if (to.endsWith('@g.us')) {
      const sender = phoneOfUser(receipt.attrs.participant ?? '');
      if (!sender || sender === phone) return;
      const mode = lib.jidDecode(receipt.attrs.participant)?.server === 'lid' ? 'lid' : 'pn';
      deliver(sender, node('receipt', { from: to, id: receipt.attrs.id, participant: deviceJid(phone, conn.device ?? 0, mode), t, ...type }));
      return;
    }
    const sender = phoneOfUser(to);
    if (!sender || sender === phone) return;
    const mode = lib.jidDecode(to)?.server === 'lid' ? 'lid' : 'pn';
    deliver(sender, node('receipt', { from: deviceJid(phone, conn.device ?? 0, mode), id: receipt.attrs.id, t, ...type }));
  }

  // --- notifications: emulator events, delivered in order after the IQ that caused them ---

  function deliverLater(phone: string, event: EngineEvent): void {
    const nodes = groups.notificationsFor(phone, event);
    if (nodes.length === 0) return;
    const list = outbox.get(phone) ?? [];
    outbox.set(phone, list);
    list.push(...nodes);
    setImmediate(kick);
  }

  function kick(): void {
    if (pumping || groupIqsInFlight > 0 || holds > 0) return;
    pumping = true;
    void pump().finally(() => {
      pumping = false;
      if ([...outbox.values()].some((l) => l.length > 0) && groupIqsInFlight === 0 && holds === 0) setImmediate(kick);
      else for (const wake of [...idleWaiters]) wake();
    });
  }

  async function pump(): Promise<void> {
    for (const [phone, list] of outbox) {
      while (list.length > 0) {
        const conn = connectionOf(phone);
        if (!conn) {
          list.length = 0; // offline: WhatsApp would queue it; the resync after login catches up
          break;
        }
        await notify(phone, list.shift()!, conn);
      }
    }
  }

  /** Sends a notification (assigned an id) and waits for Baileys' ack, or the connection's end. */
  async function notify(phone: string, notification: BinaryNode, conn = connectionOf(phone)): Promise<void> {
    if (!conn) throw new Error(`${phone} is not connected to the double`);
    const id = notification.attrs.id ?? `n-${++seq}`;
    const withId = { ...notification, attrs: { ...notification.attrs, id } };
    const key = `${phone}|${id}`;
    await new Promise<void>((resolve) => {
      // A message a device cannot handle gets no receipt: its delivery ends after a while.
      const timer = withId.tag === 'message' ? setTimeout(() => done(), MESSAGE_DELIVERY_TIMEOUT_MS) : undefined;
      const done = () => {
        clearTimeout(timer);
        ackWaiters.delete(key);
        conn.ws.off('close', done);
        resolve();
      };
      ackWaiters.set(key, done);
      conn.ws.once('close', done);
      void send(conn, withId);
    });
  }

  return {
    url,
    addressing,
    lib,
    network,
    groups,
    /** Adds a fault rule; returns a function that removes it. */
    fault(rule: FaultRule): () => void {
      const entry = { ...rule, used: 0 };
      faults.push(entry);
      return () => {
        const at = faults.indexOf(entry);
        if (at >= 0) faults.splice(at, 1);
      };
    },
    /**
     * Holds notifications back until the returned function is called (WhatsApp often delivers
     * them after a client's burst of IQs; the conformance harness holds them for one port call).
     */
    hold(): () => void {
      holds += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        holds -= 1;
        kick();
      };
    },
    /** Sends `<stream:error>` with `code` (440: `<conflict type="replaced"/>`) to the phone's connection. */
    async streamError(phone: string, code: number): Promise<void> {
      const conn = connectionOf(phone);
      if (conn) await send(conn, streamErrorNode(code));
    },
    /** Sends `<failure reason>` (how WhatsApp refuses a login). */
    async failure(phone: string, reason: number): Promise<void> {
      const conn = connectionOf(phone);
      if (conn) await send(conn, node('failure', { reason: String(reason) }));
    },
    /** Ends the stream (`</stream:stream>`). */
    endStream(phone: string): void {
      const conn = connectionOf(phone);
      if (conn) endStream(conn);
    },
    /** Drops every connection still linking (no device logged in) without a word. */
    dropLinking(): void {
      for (const conn of connections) if (!conn.phone) conn.ws.terminate();
    },
    /** Drops the TCP connection without a word. */
    dropConnection(phone: string): void {
      connectionOf(phone)?.ws.terminate();
    },
    /** Records the key bundle a device uploaded when it was linked (the `encrypt` set IQ Baileys builds). */
    storeUpload: (phone: string, device: number, upload: BinaryNode) => storeUpload(`${phone}:${device}`, upload),
    /** Marks a device unlinked from the phone: its next login gets `<failure reason="401">`. */
    unlink(phone: string, device = 1): void {
      unlinked.add(`${phone}:${device}`);
    },
    /** Sends a notification to the phone's connection and waits for the ack. */
    notify,
    /** Sends a stanza that Baileys does not acknowledge (`<ib>`, ...). */
    async send(phone: string, stanza: BinaryNode): Promise<void> {
      const conn = connectionOf(phone);
      if (!conn) throw new Error(`${phone} is not connected to the double`);
      await send(conn, stanza);
    },
    isConnected: (phone: string) => !!connectionOf(phone),
    /** Every login attempt so far (number, announced version, accepted). */
    logins: () => [...logins],
    /** Every stanza received from the phone's connections, in order. */
    received: (phone: string) => [...(received.get(phone) ?? [])],
    /** Resolves with the first stanza from `phone` (past or future) matching `predicate`. */
    async waitFor(phone: string, predicate: (n: BinaryNode) => boolean): Promise<BinaryNode> {
      for (;;) {
        const hit = (received.get(phone) ?? []).find(predicate);
        if (hit) return hit;
        await new Promise<void>((resolve) => {
          const wake = () => {
            seenWaiters.delete(wake);
            resolve();
          };
          seenWaiters.add(wake);
        });
      }
    },
    /** Resolves when every queued notification was delivered and acknowledged. */
    async idle(): Promise<void> {
      while (holds === 0 && (pumping || [...outbox.values()].some((l) => l.length > 0))) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            idleWaiters.delete(wake);
            resolve();
          };
          idleWaiters.add(wake);
          kick();
        });
      }
    },
    /** Stops the server, terminates every connection and restores Baileys' certificate trust. */
    async close(): Promise<void> {
      for (const conn of connections) conn.ws.terminate();
      for (const wake of [...ackWaiters.values()]) wake();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      release();
    },
  };
}

export type WaDouble = Awaited<ReturnType<typeof startWaDouble>>;
