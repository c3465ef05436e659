/** `groupgate participants add`: a CSV through a running server, progress, summary, interrupt and resume. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { participantsCommand, readPhones, type CliIo } from '../src/cli-participants.js';
import { ADMIN_KEY, createSandboxInstance, startTestApp, type TestApp } from './support/app.js';

function io(files: Record<string, string>, env: Record<string, string>, onPoll?: (interrupt: () => void) => void) {
  const out: string[] = [];
  const err: string[] = [];
  let interrupt = () => {};
  const cli: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    env,
    fetch: globalThis.fetch,
    // The server runs batches as soon as they are due; a poll only needs to let it get there.
    sleep: () => new Promise((resolve) => setImmediate(resolve)),
    readFile: async (path) => {
      if (!(path in files)) throw new Error(`no such file: ${path}`);
      return files[path]!;
    },
    onInterrupt(fn) {
      interrupt = fn;
      return () => {};
    },
  };
  const wrapped: CliIo = onPoll ? { ...cli, sleep: async (ms) => (onPoll(() => interrupt()), cli.sleep(ms)) } : cli;
  return { cli: wrapped, out, err };
}

describe('groupgate participants add', () => {
  let t: TestApp;
  let url: string;
  let inst: Awaited<ReturnType<typeof createSandboxInstance>>;
  let groupId: string;
  const phones = Array.from({ length: 12 }, (_, i) => `+1555440${String(1000 + i)}`);
  const csv = `name,phone\n${phones.map((p, i) => `"Member, ${i}",${p}`).join('\n')}\n"dup",${phones[0]}\n`;

  before(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    inst = await createSandboxInstance(t);
    await t.core.sandbox.seedAccount(phones[1]!.slice(1), { groupAddPrivacy: 'nobody' });
    await t.core.sandbox.seedAccount(phones[2]!.slice(1), { registered: false });
    groupId = (await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: { name: 'CLI', participants: [phones[11]] } })).json().id;
    await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { addBatchSize: 5, addBatchPauseSeconds: 0, addBatchPauseJitterSeconds: 0 } });
  });
  after(() => t.close());

  test('reads the phone column, dropping blanks and duplicates', () => {
    assert.deepEqual(readPhones('Phone,name\n+1,a\n\n"+2","b, c"\n+1,d\n,e\n'), ['+1', '+2']);
    assert.throws(() => readPhones('number\n+1\n'), /"phone" column/);
  });

  test('can be interrupted, and the same command resumes the same operation', async () => {
    const args = ['add', '--instance', inst.id, '--group', groupId, '--file', 'members.csv'];
    const env = { GROUPGATE_URL: url, GROUPGATE_API_KEY: ADMIN_KEY };
    const first = io({ 'members.csv': csv }, env, (interrupt) => interrupt());
    assert.equal(await participantsCommand(args, first.cli), 130);
    assert.match(first.err.join(''), /interrupted: the server keeps adding \(operation op_/);

    const second = io({ 'members.csv': csv }, env);
    assert.equal(await participantsCommand(args, second.cli), 0, second.err.join(''));
    const progress = second.err.join('');
    assert.match(progress, /\[#{30}\] 12\/12 {2}added 9 · already_member 1 · invited 1 · not_on_whatsapp 1/);
    const table = second.out.join('');
    assert.match(table, /added\s+9\n/);
    assert.match(table, /invited\s+1\n/);
    assert.match(table, /not_on_whatsapp\s+1\n/);
    assert.match(table, /already_member\s+1\n/);
    assert.match(table, /total\s+12\n/);
    assert.match(table, new RegExp(`\\${phones[1]}\\s+invited \\(invite sent\\)`));

    const ops = (await t.request({ method: 'GET', url: `/api/instances/${inst.id}/operations?kind=participants.add` })).json();
    assert.equal(ops.total, 1, 'the second run resumed the first operation instead of adding again');
  });

  test('refusals and usage errors exit non-zero with a message', async () => {
    const env = { GROUPGATE_URL: url, GROUPGATE_API_KEY: 'wrong-key-0123456789' };
    const bad = io({ 'members.csv': csv }, env);
    assert.equal(await participantsCommand(['add', '--instance', inst.id, '--group', groupId, '--file', 'members.csv'], bad.cli), 1);
    assert.match(bad.err.join(''), /the server refused: 401 unauthorized/);
    const usage = io({}, {});
    assert.equal(await participantsCommand(['add', '--instance', inst.id], usage.cli), 2);
    assert.match(usage.err.join(''), /--group is required/);
    const noKey = io({ 'members.csv': csv }, { GROUPGATE_URL: url });
    assert.equal(await participantsCommand(['add', '--instance', 'x', '--group', 'g', '--file', 'members.csv'], noKey.cli), 2);
  });
});
