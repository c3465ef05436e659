/**
 * A fake Baileys socket (the parts of `WASocket` the engine uses) and a manual timer, for what the
 * stanza harness cannot reach: linking and the connection policy. Test code only.
 */
import { EventEmitter } from 'node:events';
import type { WASocket } from 'baileys';
import type { SocketFactory, Timers } from '../../../../src/adapters/engines/baileys/baileys-types.js';

/** One fake socket; the test plays WhatsApp by calling `update` and `closeWith`. */
export class FakeSocket {
  readonly ws = new EventEmitter();
  readonly config: Record<string, unknown>;
  user: { id: string } | undefined;
  ended = false;
  loggedOut = false;
  pairingRequests: string[] = [];
  private handler: ((events: Record<string, unknown>) => Promise<void>) | undefined;

  constructor(
    config: Record<string, unknown>,
    private readonly settle: () => Promise<void>,
  ) {
    this.config = config;
  }

  private readonly listeners: [string, (value: unknown) => void][] = [];
  readonly ev = {
    process: (handler: (events: Record<string, unknown>) => Promise<void>) => {
      this.handler = handler;
      return () => undefined;
    },
    on: (name: string, listener: (value: unknown) => void) => void this.listeners.push([name, listener]),
  };

  /** Emits one flushed batch of events, as Baileys' event buffer does. */
  async emit(events: Record<string, unknown>): Promise<void> {
    for (const [name, listener] of this.listeners) if (name in events) listener(events[name]);
    await this.handler?.(events);
    await this.settle();
  }

  update(update: Record<string, unknown>): Promise<void> {
    return this.emit({ 'connection.update': update });
  }

  /** WhatsApp (or the network) closes the connection with a Boom-like error. */
  closeWith(statusCode: number | undefined, message = 'Connection Failure'): Promise<void> {
    this.ended = true;
    const error = Object.assign(new Error(message), { isBoom: true, output: { statusCode } });
    return this.update({ connection: 'close', lastDisconnect: { error, date: new Date() } });
  }

  open(phone: string): Promise<void> {
    this.user = { id: `${phone}:3@s.whatsapp.net` };
    return this.update({ connection: 'open' });
  }

  end(): void {
    this.ended = true;
  }

  async logout(): Promise<void> {
    this.loggedOut = true;
    this.ended = true;
  }

  async requestPairingCode(phone: string): Promise<string> {
    this.pairingRequests.push(phone);
    return 'ABCD1234';
  }

  async groupFetchAllParticipating(): Promise<Record<string, unknown>> {
    return {};
  }
}

/** A factory recording every socket it made. */
export function fakeSocketFactory(): { make: SocketFactory; sockets: FakeSocket[]; settle: () => Promise<void>; failures: number } {
  const sockets: FakeSocket[] = [];
  const self = {
    sockets,
    /** Set by the test: resolves once the engine handled what a socket emitted. */
    settle: async () => undefined as void,
    /** How many of the next sockets fail to be made (as when the key store cannot be read). */
    failures: 0,
    make: ((_lib, config) => {
      if (self.failures > 0) {
        self.failures -= 1;
        throw new Error('key store unreachable');
      }
      const socket = new FakeSocket(config as Record<string, unknown>, () => self.settle());
      sockets.push(socket);
      return socket as unknown as WASocket;
    }) as SocketFactory,
  };
  return self;
}

/** Timers driven by hand: `advance(ms)` runs whatever falls due, in order. */
export function manualTimers(): Timers & { advance(ms: number): number; pending(): number; now(): number } {
  let now = 0;
  let seq = 0;
  const tasks = new Map<number, { at: number; fn: () => void }>();
  return {
    setTimeout(fn, ms) {
      seq += 1;
      tasks.set(seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout(handle) {
      tasks.delete(handle as number);
    },
    /** Runs due tasks up to now+ms; returns how many ran. */
    advance(ms) {
      const until = now + ms;
      let ran = 0;
      for (;;) {
        const due = [...tasks].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        tasks.delete(due[0]);
        now = due[1].at;
        due[1].fn();
        ran += 1;
      }
      now = until;
      return ran;
    },
    pending: () => tasks.size,
    now: () => now,
  };
}
