/** HTTP load with autocannon, reduced to the figures the report prints. */
import autocannon, { type AutocannonRequest, type AutocannonResult } from 'autocannon';

export interface LoadOptions {
  url: string;
  /** Seconds (default BENCH_DURATION or 5). */
  duration?: number;
  connections?: number;
  /** A GET of this path, unless `requests` is given. */
  path?: string;
  headers?: Record<string, string>;
  /** A request sequence each connection cycles through (instead of `path`). */
  requests?: AutocannonRequest[];
  /** Seconds of the same load run first and not counted, so JIT warm-up is not measured (default BENCH_WARMUP or 1). */
  warmup?: number;
  /** Reads the server process's CPU time in microseconds, before and after the counted run. */
  cpu?: () => Promise<number>;
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
  /** Server CPU time per 2xx response in the counted run, when `cpu` was given. */
  cpuUsPerOk?: number;
}

export const defaultDuration = () => Number(process.env.BENCH_DURATION ?? 5);
const defaultWarmup = () => Number(process.env.BENCH_WARMUP ?? 1);

/** Runs one load (after its warm-up) and summarises it. */
export async function load(options: LoadOptions): Promise<LoadFigures> {
  const warmup = options.warmup ?? defaultWarmup();
  if (warmup > 0) await run(options, warmup);
  const cpuBefore = await options.cpu?.();
  const figures = summarise(await run(options, options.duration ?? defaultDuration()));
  if (options.cpu && cpuBefore !== undefined && figures.ok > 0) figures.cpuUsPerOk = ((await options.cpu()) - cpuBefore) / figures.ok;
  return figures;
}

function run(options: LoadOptions, duration: number): Promise<AutocannonResult> {
  const headers = { 'content-type': 'application/json', ...options.headers };
  return autocannon({
    url: options.url,
    connections: options.connections ?? 10,
    duration,
    timeout: 10,
    ...(options.requests
      ? { requests: options.requests.map((r) => ({ ...r, headers: { ...headers, ...r.headers } })) }
      : { method: 'GET', headers, requests: [{ method: 'GET', path: options.path ?? '/' }] }),
  });
}

/** The figures the report prints. */
function summarise(result: AutocannonResult): LoadFigures {
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
