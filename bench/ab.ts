/**
 * Side by side: one load against this checkout and against another one (an older commit, say),
 * both servers running at once, loaded in alternating one-second slices so that whatever else the
 * machine does weighs on both alike. Prints each side's throughput and server CPU per operation,
 * and their ratios.
 *
 *   node --import tsx bench/ab.ts <other checkout> <create|participants|get|list> [sqlite|postgres] [slices]
 *
 * The other checkout needs its dependencies (a `node_modules` link to this one's will do) and its
 * generated files (`dist/dashboard`, `packages/client/src/schema.d.ts`), as `npm install` leaves them.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon, { type AutocannonRequest } from 'autocannon';
import { addRemoveRequests, createRequest, groupPath, listRequest, type AppInfo } from './lib/scenarios.js';
import { startChild, type Child } from './lib/spawn.js';

const [otherDir, scenario = 'create', db = 'sqlite', slicesArg = '12'] = process.argv.slice(2);
if (!otherDir || !['create', 'participants', 'get', 'list'].includes(scenario) || !['sqlite', 'postgres'].includes(db)) {
  console.error('usage: node --import tsx bench/ab.ts <other checkout> <create|participants|get|list> [sqlite|postgres] [slices]');
  process.exit(2);
}
const slices = Number(slicesArg);
const other = (await import(pathToFileURL(resolve(otherDir, 'bench/lib/spawn.ts')).href)) as { startChild: typeof startChild };

function requests(info: AppInfo): AutocannonRequest[] {
  if (scenario === 'create') return [createRequest(info.instance.id)];
  if (scenario === 'get') return [{ method: 'GET', path: groupPath(info) }];
  if (scenario === 'list') return [listRequest(info, LISTED)];
  return addRemoveRequests(info);
}

const cpu = async (child: Child) => Number((await child.request({ type: 'cpu' }, 'cpu')).us);
/** Groups the list load pages through (as the bench's list row). */
const LISTED = 10_000;
const spec = { mode: 'app' as const, db: db as 'sqlite' | 'postgres', ...(scenario === 'list' ? { seedGroups: LISTED } : {}) };
const sides = [
  { name: 'other', child: await other.startChild(spec), ok: 0, seconds: 0, cpuUs: 0 },
  { name: 'this', child: await startChild(spec), ok: 0, seconds: 0, cpuUs: 0 },
];
try {
  // Two uncounted rounds warm both up; the order alternates so neither always goes first.
  for (let round = 0; round < slices + 2; round++) {
    for (const side of round % 2 ? [...sides].reverse() : sides) {
      const info = side.child.info as unknown as AppInfo;
      const before = await cpu(side.child);
      const result = await autocannon({
        url: info.url,
        connections: 10,
        duration: 1,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${info.instance.key}` },
        requests: requests(info),
      });
      const used = (await cpu(side.child)) - before;
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${side.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      if (round < 2) continue;
      side.ok += result['2xx'];
      side.seconds += result.duration;
      side.cpuUs += used;
    }
  }
  const rate = (s: (typeof sides)[number]) => s.ok / s.seconds;
  const cpuPerOp = (s: (typeof sides)[number]) => s.cpuUs / s.ok;
  for (const side of sides)
    console.log(
      `${scenario} (${db}), ${side.name === 'this' ? 'this checkout' : otherDir}: ${Math.round(rate(side)).toLocaleString('en-US')}/s, server CPU ${Math.round(cpuPerOp(side))} us per operation`,
    );
  const [a, b] = sides as [(typeof sides)[number], (typeof sides)[number]];
  console.log(`this / other: throughput ${(rate(b) / rate(a)).toFixed(2)}x, CPU per operation ${(cpuPerOp(b) / cpuPerOp(a)).toFixed(2)}x`);
} finally {
  await Promise.all(sides.map((s) => s.child.stop()));
}
