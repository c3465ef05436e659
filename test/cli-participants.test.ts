/**
 * `groupgate participants add|remove`: a CSV through a running server. Lines that are not numbers
 * are reported by line number and skipped; progress shows counts and the next batch; Ctrl-C and
 * the same command again resume the same operation; a server restart mid-run is waited out.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { checkPhones, nextBatch, readPhoneColumn } from '../src/cli-participants.js';
import { ADMIN_KEY, createSandboxInstance, startTestApp, type TestApp } from './support/app.js';
import { runCli } from './support/cli.js';
import { startServerProcess } from '../testkit/server-process.js';

describe('groupgate participants', () => {
  let t: TestApp;
  let env: Record<string, string>;
  let inst: Awaited<ReturnType<typeof createSandboxInstance>>;
  let groupId: string;
  const phones = Array.from({ length: 12 }, (_, i) => `+1555440${String(1000 + i)}`);
  // Written as people write them, with a quoted name holding a comma, a duplicate and two bad lines.
  const csv = [
    'name,Phone',
    ...phones.map((p, i) => `"Member, ${i}",${i % 3 === 0 ? `${p.slice(0, 2)} ${p.slice(2, 5)} ${p.slice(5, 8)}-${p.slice(8)}` : p}`),
    `"dup",${phones[0]}`,
    '"Nobody",not-a-number',
    '"Short",12345',
    '',
  ].join('\n');

  before(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    env = { GROUPGATE_URL: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`, GROUPGATE_API_KEY: ADMIN_KEY };
    inst = await createSandboxInstance(t, { name: 'Bulk line' });
    await t.core.sandbox.seedAccount(phones[1]!.slice(1), { groupAddPrivacy: 'nobody' });
    await t.core.sandbox.seedAccount(phones[2]!.slice(1), { registered: false });
    groupId = (await t.request({ method: 'POST', url: `/api/instances/${inst.id}/groups`, payload: { name: 'CLI', participants: [phones[11]] } })).json().id;
    await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { addBatchSize: 5, addBatchPauseSeconds: 0, addBatchPauseJitterSeconds: 0 } });
  });
  after(() => t.close());

  test('reads the phone column with line numbers; checks numbers as the server does', () => {
    assert.deepEqual(readPhoneColumn('Phone,name\n+1 415 555 0101,a\n\n"+44 20 7946 0958","b, c"\n,e\n'), [
      { line: 2, input: '+1 415 555 0101' },
      { line: 4, input: '+44 20 7946 0958' },
    ]);
    assert.throws(() => readPhoneColumn('number\n+1\n'), /"phone" column/);
    const { ok, refused } = checkPhones(
      [
        { line: 2, input: '(11) 91111-0004' },
        { line: 3, input: 'abc' },
        { line: 4, input: '+55 11 91111-0004' },
      ],
      '5511977770000',
    );
    assert.deepEqual(
      ok.map((l) => [l.line, l.phone]),
      [[2, '+5511911110004']],
    );
    assert.deepEqual(
      refused.map((l) => l.line),
      [3],
    );
    assert.match(
      nextBatch({ id: 'op', status: 'scheduled', runAt: '2026-01-01T10:00:42.000Z', progress: { done: 5, total: 10 } }, Date.parse('2026-01-01T10:00:00.000Z')),
      /next batch in 42 s \(10:00:42 UTC\)/,
    );
  });

  test('skips the lines that are not numbers by line number, and can be interrupted and resumed', async () => {
    const args = ['participants', 'add', inst.name, groupId, '--file', 'members.csv'];
    const first = await runCli(args, { env, files: { 'members.csv': csv }, onSleep: (interrupt) => interrupt() });
    assert.equal(first.code, 130, first.err);
    assert.match(first.err, /members\.csv line 15: "not-a-number" is not a phone number; skipped/);
    assert.match(first.err, /members\.csv line 16: "12345" is not a phone number; skipped/);
    assert.match(first.err, /interrupted: the server keeps adding \(operation op_/);

    const second = await runCli(['participants', 'add', '--instance', inst.id, '--group', groupId, '--file', 'members.csv'], { env, files: { 'members.csv': csv } });
    assert.equal(second.code, 0, second.err);
    assert.match(second.err, /12\/12 done {2}added 9 · already_member 1 · invited 1 · not_on_whatsapp 1/);
    assert.match(second.out, /added\s+9\n/);
    assert.match(second.out, /total\s+12\n/);
    assert.match(second.out, new RegExp(`\\${phones[1]}\\s+invited \\(invite sent\\)`));
    assert.match(second.out, /skipped 2 lines that are not a phone number/);

    const ops = (await t.request({ method: 'GET', url: `/api/instances/${inst.id}/operations?kind=participants.add` })).json();
    assert.equal(ops.total, 1, 'the second run resumed the first operation instead of adding again');
    const members = (await t.request({ method: 'GET', url: `/api/instances/${inst.id}/groups/${encodeURIComponent(groupId)}` })).json().participants as { phone: string }[];
    assert.equal(members.length, 1 + 10);
  });

  test('--json prints one result for scripts; remove takes numbers on the command line', async () => {
    const removed = await runCli(['participants', 'remove', inst.id, groupId, phones[3]!, '+1 555 440 1004', '--json'], { env });
    assert.equal(removed.code, 0, removed.err);
    const [result] = removed.json<{ counts: Record<string, number>; outcomes: { status: string }[]; refused: unknown[] }>();
    assert.deepEqual(result!.counts, { removed: 2 });
    assert.deepEqual(result!.refused, []);
    assert.equal(removed.err, '');
    const again = await runCli(['participants', 'add', inst.id, groupId, phones[3]!, '--json'], { env });
    assert.equal(again.code, 0, again.err);
    assert.deepEqual(again.json<{ counts: Record<string, number> }>()[0]!.counts, { added: 1 });
  });

  test('refusals and usage errors exit non-zero with a message, and change nothing', async () => {
    const bad = await runCli(['participants', 'add', inst.id, groupId, phones[5]!], { env: { ...env, GROUPGATE_API_KEY: 'wrong-key-0123456789' } });
    assert.equal(bad.code, 1);
    assert.match(bad.err, /list instances: invalid API key/i);
    const noGroup = await runCli(['participants', 'add', inst.id], { env });
    assert.equal(noGroup.code, 2);
    assert.match(noGroup.err, /give the group/);
    const allBad = await runCli(['participants', 'add', inst.id, groupId, 'nope', 'abc'], { env });
    assert.equal(allBad.code, 2);
    assert.match(allBad.err, /argument 1: "nope" is not a phone number/);
    assert.match(allBad.err, /no usable phone number/);
    const noKey = await runCli(['participants', 'add', 'x', 'g', '+15550001111'], { env: { GROUPGATE_URL: env.GROUPGATE_URL! } });
    assert.equal(noKey.code, 2);
    assert.match(noKey.err, /an API key is required/);
    const missing = await runCli(['participants', 'add', inst.id, groupId, '--file', 'absent.csv'], { env });
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot read absent\.csv/);
  });
});

describe('groupgate participants across a server restart', () => {
  test('waits for the server to come back and finishes the same operation', async () => {
    let server = await startServerProcess({ env: { GROUPGATE_ADMIN_KEY: ADMIN_KEY } });
    try {
      const env = { GROUPGATE_URL: server.url, GROUPGATE_API_KEY: ADMIN_KEY };
      const created = await runCli(['instances', 'create', 'Restart line', '--engine', 'sandbox', '--json'], { env });
      const inst = created.json<{ id: string }>()[0]!;
      const headers = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
      const group = (await (
        await fetch(`${server.url}/api/instances/${inst.id}/groups`, { method: 'POST', headers, body: JSON.stringify({ name: 'Restart', participants: ['+15554300000'] }) })
      ).json()) as { id: string };
      await fetch(`${server.url}/api/instances/${inst.id}/pacing`, {
        method: 'PATCH',
        headers,
        body: JSON.stringify({ addBatchSize: 2, addBatchPauseSeconds: 1, addBatchPauseJitterSeconds: 0 }),
      });
      const numbers = Array.from({ length: 6 }, (_, i) => `+1555430000${i + 1}`);
      let restarted: Promise<void> | undefined;
      const run = await runCli(['participants', 'add', inst.id, group.id, ...numbers, '--interval', '0.2'], {
        env,
        sleepMs: 100,
        onSleep: (_interrupt, count) => {
          // Mid-run, the server stops and comes back a moment later on the same port and database.
          if (count === 1) {
            restarted = server.restart().then((s) => {
              server = s;
            });
          }
        },
      });
      await restarted;
      assert.equal(run.code, 0, run.err);
      assert.match(run.err, /does not answer .*retrying/);
      assert.match(run.err, /6\/6 done {2}added 6/);
      const ops = (await (await fetch(`${server.url}/api/instances/${inst.id}/operations?kind=participants.add`, { headers })).json()) as { total: number };
      assert.equal(ops.total, 1);
    } finally {
      await server.close();
    }
  });
});
