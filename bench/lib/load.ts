/** HTTP load with autocannon, reduced to the figures the report prints. */
import autocannon, { type AutocannonRequest } from 'autocannon';

export interface LoadOptions {
  url: string;
  /** Seconds (default BENCH_DURATION or 5). */
  duration?: number;
  connections?: number;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** A request sequence each connection cycles through (overrides method/path/body). */
  requests?: AutocannonRequest[];
}

export interface LoadFigures {
  /** Completed 2xx responses per second over the run. */
  okPerSec: number;
  /** Every completed response per second (average of the per-second samples). */
  reqPerSec: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
}

export const defaultDuration = () => Number(process.env.BENCH_DURATION ?? 5);

/** Runs one load and summarises it. */
export async function load(options: LoadOptions): Promise<LoadFigures> {
  const headers = { 'content-type': 'application/json', ...options.headers };
  const result = await autocannon({
    url: options.url,
    connections: options.connections ?? 10,
    duration: options.duration ?? defaultDuration(),
    timeout: 10,
    ...(options.requests
      ? { requests: options.requests.map((r) => ({ ...r, headers: { ...headers, ...r.headers } })) }
      : {
          method: options.method ?? 'GET',
          headers,
          requests: [{ method: options.method ?? 'GET', path: options.path ?? '/', ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) }],
        }),
  });
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, Number(v.count)]));
  return {
    okPerSec: result['2xx'] / result.duration,
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    statuses,
    seconds: result.duration,
  };
}
