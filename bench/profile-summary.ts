/**
 * Summarises a V8 CPU profile (from BENCH_CPU_PROF=1): self time by function and by package/file,
 * and total (inclusive) time of the project's own functions.
 * Usage: node --import tsx bench/profile-summary.ts bench/profiles/<file>.cpuprofile [top] [--last=<seconds>]
 * `--last=4` counts only the profile's last 4 seconds (the last load of a scenario, without start-up).
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const lastArg = args.find((a) => a.startsWith('--last='));
const [file, topArg] = args.filter((a) => !a.startsWith('--'));
if (!file) throw new Error('usage: bench/profile-summary.ts <file.cpuprofile> [top] [--last=<seconds>]');
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Sample times, to keep only the last seconds when asked.
const times: number[] = [];
let t = 0;
for (const d of profile.timeDeltas) times.push((t += d));
const from = lastArg ? t - Number(lastArg.slice(7)) * 1e6 : -Infinity;

const self = new Map<number, number>();
profile.samples.forEach((id, i) => {
  if (times[i]! >= from) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);

const where = (url: string) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.includes('/src/')) return url.slice(url.indexOf('/src/') + 1);
  return url ? url.replace(/^.*\//, '') : '(native)';
};
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const fnTotals = new Map<string, number>();
const fileTotals = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const f = where(n.callFrame.url);
  const key = label(n);
  fnTotals.set(key, (fnTotals.get(key) ?? 0) + us);
  fileTotals.set(f, (fileTotals.get(f) ?? 0) + us);
  // Every distinct project frame on the stack gets the sample once.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = byId.get(at)!;
    if (!frame.callFrame.url.includes('/src/')) continue;
    const k = label(frame);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + us);
  }
}
const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
};
console.log(`${(total / 1e6).toFixed(1)} s sampled${lastArg ? ` (last ${lastArg.slice(7)} s)` : ''}, ${((100 * idle) / total).toFixed(1)}% idle`);
print('self time by package / file', fileTotals);
print('self time by function', fnTotals);
print('total time of project functions (src/)', inclusive);
