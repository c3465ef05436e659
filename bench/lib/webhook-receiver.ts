/**
 * A local webhook receiver for the delivery benchmark: verifies every request's Standard Webhooks
 * signature, counts distinct verified events that carry the benchmark marker, and resolves once it
 * has seen the number it waits for.
 */
import { createServer, type IncomingMessage } from 'node:http';

type Verify = (payload: string, headers: Record<string, string>) => unknown;

export interface Receiver {
  url: string;
  /** Secret to verify with (set once the subscription answers it). */
  setSecret(secret: string): Promise<void>;
  /** Resolves when `count` marked events have arrived verified, or at the deadline with what arrived. */
  waitFor(count: number, deadlineMs: number): Promise<{ received: number; atMs: number }>;
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
  let rejected = 0;
  let requests = 0;
  let waiter: { count: number; resolve: () => void } | undefined;
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      requests++;
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]));
      try {
        if (!verify) throw new Error('no secret yet');
        verify(body, headers);
        if (body.includes('"bench":true')) seen.add(headers['webhook-id'] ?? body);
      } catch {
        rejected++;
      }
      res.writeHead(200).end();
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
    stats: () => ({ verified: seen.size, rejected, requests }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
