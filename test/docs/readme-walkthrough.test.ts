/**
 * The README's curl walkthrough runs as pasted: its block goes to bash against a real server
 * process on its first start, with only the two lines a reader fills in (address and the key the
 * server printed) set to this server's, and every curl call must succeed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServerProcess, type ServerProcess } from '../../testkit/server-process.js';

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

/** The sh block that follows the walkthrough marker. */
export function walkthroughBlock(readme: string): string {
  const m = /<!-- walkthrough:[^>]*-->\s*```sh\n([\s\S]*?)\n```/.exec(readme);
  assert.ok(m, 'the README has a walkthrough block');
  return m[1]!;
}

describe('README walkthrough', () => {
  let server: ServerProcess;
  let work: string;

  before(async () => {
    server = await startServerProcess();
    work = mkdtempSync(join(tmpdir(), 'gg-walkthrough-'));
  });
  after(async () => {
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('runs as pasted against a fresh server, every call succeeding', async () => {
    const block = walkthroughBlock(README);
    const lines = block.split('\n');
    assert.equal(lines[0], 'export GG=http://127.0.0.1:3000');
    assert.match(lines[1]!, /^export KEY=gg_admin_\.\.\. +# the key printed at first start$/);
    assert.ok(server.generatedKey, 'the first start printed a key');
    assert.match(server.output(), /dashboard {2}http:\/\/127\.0\.0\.1:\d+\/dashboard/);
    assert.match(server.output(), /API docs {3}http:\/\/127\.0\.0\.1:\d+\/docs/);
    const script = [`export GG=${server.url}`, `export KEY=${server.generatedKey}`, ...lines.slice(2)].join('\n');

    // curl reads this directory's .curlrc: an HTTP error fails the call (and so the script) with its body.
    writeFileSync(join(work, '.curlrc'), 'fail-with-body\nwrite-out = "\\n"\n');
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: work,
      env: { ...process.env, CURL_HOME: work, HOME: work },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 0, `the walkthrough failed:\n${run.stdout}\n${run.stderr}`);

    const answers = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, any>);
    const created = answers.find((a) => Array.isArray(a.outcomes) && a.name === 'Customers')!;
    assert.deepEqual(
      created.outcomes.map((o: { participant: string; status: string; inviteSent: boolean }) => [o.participant, o.status, o.inviteSent]),
      [
        ['+55 11 98888-7777', 'added', false],
        ['+55 11 99999-0001', 'invited', true],
      ],
    );
    const list = answers.find((a) => Array.isArray(a.groups))!;
    assert.equal(list.total, 1);
    assert.equal(list.groups[0].size, 2);
    assert.equal('participants' in list.groups[0], false);
    assert.ok(answers.some((a) => a.outcomes?.[0]?.participant === '+55 11 97777-6666' && a.outcomes[0].status === 'added'));
    assert.ok(answers.some((a) => a.outcomes?.[0]?.status === 'promoted'));
    const renamed = answers.find((a) => a.name === 'Customers 2026')!;
    assert.equal(renamed.description, 'Support');
    assert.equal(renamed.settings.announcement, true);
    assert.equal(renamed.settings.approvalMode, true);
    assert.ok(answers.some((a) => a.chatId === created.id && typeof a.id === 'string'));
    assert.ok(answers.some((a) => Array.isArray(a.events) && a.events.some((e: { type: string }) => e.type === 'group.created')));
    assert.deepEqual(answers.at(-1), { left: true, groupId: created.id });

    // What the server holds afterwards: the group left, the message sent once.
    const auth = { authorization: `Bearer ${server.generatedKey}` };
    const instances = (await (await fetch(`${server.url}/api/instances`, { headers: auth })).json()) as { instances: { id: string; name: string }[] };
    assert.deepEqual(
      instances.instances.map((i) => i.name),
      ['Sales'],
    );
    const events = (await (await fetch(`${server.url}/api/instances/${instances.instances[0]!.id}/events?after=0&limit=500`, { headers: auth })).json()) as {
      events: { type: string }[];
    };
    assert.equal(events.events.filter((e) => e.type === 'message.sent').length >= 1, true);
    assert.ok(events.events.some((e) => e.type === 'group.left'));
  });
});
