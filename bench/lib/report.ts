/** Benchmark rows, the markdown table and results.json. */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface Row {
  scenario: string;
  /** The headline figure, formatted (e.g. "8,120 req/s"); "n/a (...)" when not measured. */
  figure: string;
  value: number | null;
  unit: string;
  p50Ms?: number;
  p99Ms?: number;
  /** Throughput relative to the bare-Fastify baseline measured in the same run. */
  vsBaseline?: number;
  /** Throughput relative to the same scenario on one node in the same run (the cluster rows). */
  vsSingleNode?: number;
  /** Throughput relative to the limit of the same work measured in the same run: a write limit (write-limit.ts), a sequential-POST limit. */
  vsLimit?: number;
  target?: { text: string; met: boolean; ratio: number };
  note?: string;
  raw?: unknown;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const fmt = {
  perSec: (n: number, unit: string) => `${int(n)} ${unit}`,
  ms: (n: number | undefined) => (n === undefined ? '' : n < 10 ? n.toFixed(2) : n.toFixed(1)),
  mb: (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`,
};

/** At least `min` (ratio = value / min). */
export const atLeast = (value: number, min: number, text: string) => ({ text, met: value >= min, ratio: value / min });
/** At most `max` (ratio = max / value, so >= 1 means within target). */
export const atMost = (value: number, max: number, text: string) => ({ text, met: value <= max, ratio: value > 0 ? max / value : Infinity });
/** Below `max` (ratio = max / value, so > 1 means within target). */
export const below = (value: number, max: number, text: string) => ({ text, met: value < max, ratio: value > 0 ? max / value : Infinity });

/** The markdown table printed at the end and quoted in docs/benchmarks.md. */
export function markdownTable(rows: Row[]): string {
  // The "vs limit" and "vs single node" columns appear only when a row has that ratio.
  const limit = rows.some((r) => r.vsLimit !== undefined);
  const single = rows.some((r) => r.vsSingleNode !== undefined);
  const ratio = (shown: boolean, x: number | undefined) => (!shown ? '' : ` ${x === undefined ? '' : `${x.toFixed(2)}x`} |`);
  const lines = [
    `| Scenario | Figure | p50 ms | p99 ms | vs baseline |${limit ? ' vs limit |' : ''}${single ? ' vs single node |' : ''} Target | Meets (x of target) |`,
    `|---|---|---:|---:|---:|${limit ? '---:|' : ''}${single ? '---:|' : ''}---|---|`,
  ];
  for (const r of rows) {
    const meets = r.target ? `${r.target.met ? 'yes' : 'NO'} (${r.target.ratio.toFixed(2)}x)` : '';
    const vs = r.vsBaseline === undefined ? '' : `${r.vsBaseline.toFixed(2)}x`;
    lines.push(
      `| ${r.scenario} | ${r.figure} | ${fmt.ms(r.p50Ms)} | ${fmt.ms(r.p99Ms)} | ${vs} |${ratio(limit, r.vsLimit)}${ratio(single, r.vsSingleNode)} ${r.target?.text ?? ''} | ${meets} |`,
    );
  }
  return lines.join('\n');
}

/** Writes the machine-readable results. */
export function writeResults(path: string, rows: Row[], startedAt: Date, extra: Record<string, unknown>): void {
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryBytes: totalmem(), node: process.version, platform: process.platform };
  const body = { startedAt: startedAt.toISOString(), seconds: (Date.now() - startedAt.getTime()) / 1000, machine, ...extra, scenarios: rows };
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`);
}
