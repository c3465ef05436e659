/**
 * A local webhook receiver for the delivery benchmark: answers 200 to every POST as soon as its
 * body has arrived, counts distinct events (by `webhook-id`) that carry the benchmark marker, and
 * resolves once it has seen the number it waits for. Signatures are verified after the measured
 * window (`verifyAll`), so the receiver does the same work per request as the bare one the
 * sequential-POST limit is measured against; a figure counts only when every request verified.
 */
import { createServer, type IncomingMessage } from 'node:http';

type Verify = (payload: string, headers: Record<string, string>) => unknown;

export interface Receiver {
  url: string;
  /** Secret to verify with (set once the subscription answers it). */
  setSecret(secret: string): Promise<void>;
  /** Resolves when `count` marked events have arrived verified, or at the deadline with what arrived. */
  waitFor(count: number, deadlineMs: number): Promise<{ received: number; atMs: number }>;
  /** Verifies every request received so far (after the measured window). */
  verifyAll(): void;
  stats(): { verified: number; rejected: number; requests: number };
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the receiver on 127.0.0.1 and a free port. */
export async function startReceiver(): Promise<Receiver> {
  let verify: Verify | undefined;
  const seen = new Set<string>();
  const received: { body: string; headers: IncomingMessage['headers'] }[] = [];
  let verified = 0;
  let rejected = 0;
  let requests = 0;
  let waiter: { count: number; resolve: () => void } | undefined;
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      requests++;
      res.writeHead(200).end();
      received.push({ body, headers: req.headers });
      const id = req.headers['webhook-id'];
      if (body.includes('"bench":true')) seen.add(typeof id === 'string' ? id : body);
      if (waiter && seen.size >= waiter.count) waiter.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    async setSecret(secret) {
      const { Webhook } = (await import('standardwebhooks')) as { Webhook: new (s: string) => { verify: Verify } };
      const wh = new Webhook(secret);
      verify = (payload, headers) => wh.verify(payload, headers);
    },
    waitFor(count, deadlineMs) {
      const started = performance.now();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiter = undefined;
          resolve({ received: seen.size, atMs: performance.now() - started });
        };
        const timer = setTimeout(done, deadlineMs);
        waiter = { count, resolve: done };
        if (seen.size >= count) done();
      });
    },
    verifyAll() {
      for (const { body, headers } of received.splice(0)) {
        try {
          if (!verify) throw new Error('no secret yet');
          verify(body, Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')])));
          verified++;
        } catch {
          rejected++;
        }
      }
    },
    stats: () => ({ verified, rejected, requests }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
