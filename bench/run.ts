/**
 * `npm run bench`: every scenario once, each on a fresh server in its own process; figures are
 * printed beside their targets and as ratios to their limits measured in the same run: a bare
 * Fastify server (the GET rows load it in alternating slices beside the app, the others divide by
 * the baseline row), the write limits of a create and of a change (loaded in alternating slices
 * beside the app's creates and changes), the sequential-POST limit for one webhook lane.
 * Writes bench/results.json and prints a markdown table at the end.
 *
 * Env: BENCH_DURATION (seconds per load, default 5), BENCH_WARMUP (seconds of uncounted load before each, default 1), BENCH_ONLY (comma-separated scenario keys:
 * baseline, get, create, participants, list, post-limit, webhooks, post-limit-10, webhooks-10, memory, baileys-idle, pg-get, pg-create,
 * cluster), BENCH_CHILD_FLAGS (Node flags for every server child, e.g. `--trace-gc`).
 * BENCH_CPU_PROF=1 (V8 CPU profiles of every server child in bench/profiles/).
 * `baileys-idle` is idle Baileys sessions through the wire-level WhatsApp double (bench/baileys-idle.ts;
 * alone: `npm run bench:baileys-idle`).
 */
import { fileURLToPath } from 'node:url';
import { cluster } from './cluster.js';
import { markdownTable, writeResults, type Row } from './lib/report.js';
import { addRemove, baileysIdle, baseline, createGroups, getGroup, listGroups, memory, sequentialPostLimit, webhookDelivery } from './lib/scenarios.js';
import { postgresReachable } from './lib/server.js';

const started = new Date();
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const wanted = (key: string) => !only || only.includes(key);
const rows: Row[] = [];

async function step(key: string, name: string, fn: () => Promise<Row | Row[]>): Promise<void> {
  if (!wanted(key)) return;
  process.stdout.write(`- ${name} ... `);
  const t = performance.now();
  try {
    const out = await fn();
    const list = Array.isArray(out) ? out : [out];
    rows.push(...list);
    console.log(`${list.map((r) => r.figure).join('; ')} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    rows.push({ scenario: name, figure: `failed: ${message.split('\n')[0]}`, value: null, unit: '' });
    console.log(`FAILED\n${message}`);
    process.exitCode = 1;
  }
}

/** A step whose one row is a limit later rows are divided by: answers its value (NaN when it did not run or failed). */
async function limitStep(key: string, name: string, fn: () => Promise<Row>): Promise<number> {
  let value = Number.NaN;
  await step(key, name, async () => {
    const row = await fn();
    value = row.value ?? Number.NaN;
    return row;
  });
  return value;
}

const base = await limitStep('baseline', 'baseline', baseline);
await step('get', 'GET group (sqlite)', () => getGroup('sqlite'));
await step('create', 'POST group (sqlite) beside its write limit', () => createGroups('sqlite', base));
await step('participants', 'add + remove participant (sqlite) beside its write limit', () => addRemove(base));
await step('list', 'list groups of 10,000 (sqlite)', () => listGroups(base));
const postLimit = await limitStep('post-limit', 'sequential POST limit', () => sequentialPostLimit());
await step('webhooks', 'webhook delivery, one lane', () => webhookDelivery(12_000, 1, postLimit));
const tenLanes = await limitStep('post-limit-10', 'ten sequential POST lanes at once', () => sequentialPostLimit(20_000, 10));
await step('webhooks-10', 'webhook delivery, ten lanes', () => webhookDelivery(10_000, 10, tenLanes));
await step('memory', 'memory and restart', () => memory());
await step('baileys-idle', 'idle Baileys sessions through the wire-level double', () => baileysIdle());
const pg = await postgresReachable();
if (pg) {
  await step('pg-get', 'GET group (postgres)', () => getGroup('postgres'));
  await step('pg-create', 'POST group (postgres) beside its write limit', () => createGroups('postgres', base));
} else if (wanted('pg-get') || wanted('pg-create')) {
  rows.push({ scenario: 'PostgreSQL scenarios', figure: 'n/a (PostgreSQL not reachable)', value: null, unit: '' });
}
await step('cluster', '3-node cluster (GET, creates)', () => cluster(base, rows));

const path = fileURLToPath(new URL('./results.json', import.meta.url));
writeResults(path, rows, started, { baselineReqPerSec: base, postgres: pg, durationPerLoadSeconds: Number(process.env.BENCH_DURATION ?? 5) });
const notes = rows.filter((r) => r.note).map((r) => `- ${r.scenario}: ${r.note}`);
console.log(`\n${markdownTable(rows)}\n${notes.length ? `\n${notes.join('\n')}\n` : ''}`);
console.log(`Total ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s; results in bench/results.json`);
