/**
 * `npm run soak -- --seconds 60`: a mixed workload at fixed concurrency against one sandbox server
 * in its own process (reads, creates, participant adds and removes, lists, event reads). Prints the
 * error count (must be 0), the server's RSS at start and end, and p99 per 10-second window; exits 1
 * on any error. Env: SOAK_CONCURRENCY (default 8).
 */
import { parseArgs } from 'node:util';
import { ADMIN_KEY, benchPhone } from './lib/server.js';
import { startChild } from './lib/spawn.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, concurrency: { type: 'string' } } });
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency ?? process.env.SOAK_CONCURRENCY ?? 8);
const WINDOW_MS = 10_000;

const child = await startChild({ mode: 'app', db: 'sqlite' });
const info = child.info as { url: string; instance: { id: string; key: string }; groupId: string };
const headers = { authorization: `Bearer ${info.instance.key}`, 'content-type': 'application/json' };
const base = `${info.url}/api/instances/${info.instance.id}`;
const group = `${base}/groups/${encodeURIComponent(info.groupId)}`;

async function rss(): Promise<number> {
  const res = await fetch(`${info.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  const m = /^groupgate_process_resident_memory_bytes (\d+)/m.exec(await res.text());
  return m ? Number(m[1]) : Number.NaN;
}

let person = 0;
type Step = () => Promise<Response>;
const json = (method: string, url: string, body?: unknown) => fetch(url, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
/** One worker's cycle: mostly reads, some writes, as a group manager's integration would do. */
const cycle: Step[] = [
  () => json('GET', group),
  () => json('GET', `${base}/groups?limit=50`),
  () => json('POST', `${base}/groups`, { name: `Soak ${person}`, participants: [benchPhone(500_000 + (person % 1000)), benchPhone(600_000 + (person % 1000))] }),
  () => json('GET', group),
  () => json('GET', `${base}/events?limit=100`),
];

const errors: string[] = [];
const windows: number[][] = [];
const started = performance.now();
const rssStart = await rss();
let total = 0;

async function worker(): Promise<void> {
  while (performance.now() - started < seconds * 1000) {
    const phone = benchPhone(700_000 + person++);
    const steps: Step[] = [
      ...cycle,
      () => json('POST', `${group}/participants`, { participants: [phone] }),
      () => json('DELETE', `${group}/participants`, { participants: [phone] }),
    ];
    for (const step of steps) {
      const t = performance.now();
      try {
        const res = await step();
        await res.arrayBuffer();
        if (res.status >= 400) errors.push(`${res.status} ${res.url}`);
      } catch (err) {
        errors.push(String(err));
      }
      // Requests still running at the end count in the last window.
      const window = Math.min(Math.floor((t - started) / WINDOW_MS), Math.ceil(seconds / 10) - 1);
      (windows[window] ??= []).push(performance.now() - t);
      total++;
    }
  }
}

await Promise.all(Array.from({ length: concurrency }, () => worker()));
const rssEnd = await rss();
await child.stop();

const p99 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? 0;
};
console.log(`\nSoak: ${seconds} s, ${concurrency} concurrent workers, ${total} requests (${Math.round(total / seconds)}/s)`);
console.log('| window | requests | p99 ms |\n|---|---:|---:|');
windows.forEach((xs, i) => console.log(`| ${i * 10}-${i * 10 + 10} s | ${xs.length} | ${p99(xs).toFixed(1)} |`));
console.log(`\nRSS start ${(rssStart / 1048576).toFixed(1)} MB, end ${(rssEnd / 1048576).toFixed(1)} MB`);
console.log(`Errors: ${errors.length}${errors.length ? `\n  ${[...new Set(errors)].slice(0, 10).join('\n  ')}` : ''}`);
if (errors.length > 0) process.exitCode = 1;
