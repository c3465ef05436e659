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

/**
 * Several loads on servers that run at once, in alternating one-second slices (`slices` each, the
 * order reversed every round), so that whatever else the machine does weighs on all of them alike:
 * their ratios hold on a machine whose speed drifts, where loads run one after the other would not.
 * Three times BENCH_WARMUP rounds come first, uncounted: on a slow machine a fresh server needs
 * two to three seconds of load before its JIT has compiled the hot paths. Per load: the 2xx rate
 * over its slices, the median of the slices' p50 and the worst slice's p99, and the server CPU per
 * 2xx over its slices.
 */
export async function alternate(loads: LoadOptions[], slices = defaultDuration()): Promise<LoadFigures[]> {
  const totals = loads.map(() => ({ ok: 0, non2xx: 0, errors: 0, seconds: 0, cpuUs: 0, p50s: [] as number[], p99: 0, statuses: {} as Record<string, number> }));
  const warmupRounds = Math.round(3 * defaultWarmup());
  for (let round = -warmupRounds; round < slices; round++) {
    const order = loads.map((_, i) => i);
    if (round % 2) order.reverse();
    for (const i of order) {
      const options = loads[i]!;
      if (round < 0) {
        await run(options, 1);
        continue;
      }
      const cpuBefore = await options.cpu?.();
      const slice = summarise(await run(options, 1));
      const cpuAfter = await options.cpu?.();
      const total = totals[i]!;
      total.ok += slice.ok;
      total.non2xx += slice.non2xx;
      total.errors += slice.errors;
      total.seconds += slice.seconds;
      if (cpuBefore !== undefined && cpuAfter !== undefined) total.cpuUs += cpuAfter - cpuBefore;
      total.p50s.push(slice.p50);
      total.p99 = Math.max(total.p99, slice.p99);
      for (const [status, count] of Object.entries(slice.statuses)) total.statuses[status] = (total.statuses[status] ?? 0) + count;
    }
  }
  return totals.map((t, i) => ({
    okPerSec: t.ok / t.seconds,
    reqPerSec: (t.ok + t.non2xx) / t.seconds,
    p50: t.p50s.sort((a, b) => a - b)[Math.floor(t.p50s.length / 2)] ?? 0,
    p99: t.p99,
    ok: t.ok,
    non2xx: t.non2xx,
    errors: t.errors,
    statuses: t.statuses,
    seconds: t.seconds,
    ...(loads[i]!.cpu && t.ok > 0 ? { cpuUsPerOk: t.cpuUs / t.ok } : {}),
  }));
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
