/**
 * Idle Baileys sessions through the wire-level WhatsApp double: N real Baileys sockets (the engine's
 * own sessions, over an in-memory auth store) log into the double and sit idle; the RSS they add is
 * divided by N and printed against the limit of 10 MB per session.
 *
 *   npm run bench:baileys-idle              (100 sessions; BENCH_BAILEYS_SESSIONS=200 for more)
 *   BENCH_ONLY=baileys-idle npm run bench   (the same, as a row of the full bench's table)
 *
 * Run with `--expose-gc` (the npm script does) so both readings follow a full GC. The double runs in
 * the same process, so the figure includes its side of each connection (a slight overestimate).
 * With `--json` it prints one JSON line (what bench/run.ts reads).
 */
import { makeDoubleHarness } from '../testkit/baileys-double.js';

const LIMIT_MB = 10;
const count = Number(process.env.BENCH_BAILEYS_SESSIONS ?? 100);
const idleSeconds = Number(process.env.BENCH_BAILEYS_IDLE_SECONDS ?? 5);
const json = process.argv.includes('--json');
const gc = (globalThis as { gc?: () => void }).gc;
const phone = (i: number) => `1555${String(7_000_000 + i).padStart(7, '0')}`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function settle(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 3; i += 1) {
    gc?.();
    await sleep(200);
  }
  return process.memoryUsage();
}

const h = await makeDoubleHarness({ addressing: 'lid' });
try {
  // One session first, so the library's code, caches and the double's setup are not counted per session.
  await h.session(phone(0));
  const before = await settle();
  const started = performance.now();
  for (let i = 1; i <= count; i += 1) await h.session(phone(i));
  const loginMs = performance.now() - started;
  const connected = Array.from({ length: count }, (_, i) => h.baileys(phone(i + 1))?.status().status).filter((s) => s === 'connected').length;
  await sleep(idleSeconds * 1000);
  const after = await settle();
  const perSessionMb = (after.rss - before.rss) / count / 1024 / 1024;
  const result = {
    sessions: count,
    connected,
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    perSessionMb,
    heapPerSessionMb: (after.heapUsed - before.heapUsed) / count / 1024 / 1024,
    loginMs,
    gc: !!gc,
    limitMb: LIMIT_MB,
  };
  if (json) console.log(JSON.stringify(result));
  else {
    console.log(`${count} idle Baileys sessions through the double (${connected} connected, logged in in ${(loginMs / 1000).toFixed(1)} s)`);
    console.log(
      `RSS ${(before.rss / 1048576).toFixed(1)} MB -> ${(after.rss / 1048576).toFixed(1)} MB; heap ${(before.heapUsed / 1048576).toFixed(1)} MB -> ${(after.heapUsed / 1048576).toFixed(1)} MB${gc ? '' : ' (no --expose-gc: readings without a forced GC)'}`,
    );
    console.log(`${perSessionMb.toFixed(2)} MB RSS per session (limit ${LIMIT_MB} MB): ${perSessionMb < LIMIT_MB ? 'within' : 'OVER'} the limit`);
  }
} finally {
  await h.close();
}
