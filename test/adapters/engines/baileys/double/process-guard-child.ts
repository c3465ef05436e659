/**
 * Run as a child process by process-guard.test.ts: two Baileys instances logged into the double;
 * the double answers the groups "dirty" refresh of the first with 429 rate-overlimit, which
 * Baileys' own listener leaves unhandled. With GUARD=1 the process guard is installed. Prints one
 * JSON line per guard log entry, then "second instance still works" if the process survived.
 */
import { installProcessGuard } from '../../../../../src/adapters/engines/process-guard.js';
import { makeDoubleHarness } from './harness.js';

const logged: object[] = [];
if (process.env.GUARD === '1') {
  installProcessGuard({
    error(obj, msg) {
      logged.push(obj);
      process.stdout.write(`${JSON.stringify({ ...obj, msg })}\n`);
    },
  });
}
const h = await makeDoubleHarness();
const a = await h.session('15550000001');
const b = await h.session('15550000002');
await a.createGroup('Team', []);
h.double.fault({ match: { xmlns: 'w:g2', child: 'participating', phone: '15550000001' }, action: { kind: 'error', code: 429 } });
const refresh = h.double.waitFor('15550000001', (n) => n.tag === 'iq' && Array.isArray(n.content) && n.content[0]?.tag === 'participating');
await h.double.send('15550000001', { tag: 'ib', attrs: { from: 's.whatsapp.net' }, content: [{ tag: 'dirty', attrs: { type: 'groups', timestamp: '1735689600' } }] });
await refresh;
// The rejection surfaces once the answer is parsed; wait until the guard saw it (or the process died).
while (process.env.GUARD === '1' && logged.length === 0) await new Promise((resolve) => setImmediate(resolve));
await new Promise((resolve) => setImmediate(resolve));
await b.listGroups();
process.stdout.write('second instance still works\n');
await h.close();
