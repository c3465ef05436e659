/**
 * The operator's commands against a running server: instances, link, groups, events, keys; every
 * command's --json output for scripts; help and usage errors.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ADMIN_KEY, startTestApp, type TestApp } from './support/app.js';
import { runCli } from './support/cli.js';

describe('groupgate commands', () => {
  let t: TestApp;
  let env: Record<string, string>;

  before(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    env = { GROUPGATE_URL: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`, GROUPGATE_API_KEY: ADMIN_KEY };
  });
  after(() => t.close());

  test('help lists the commands; unknown commands and missing arguments are usage errors', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['serve', 'instances', 'link', 'groups', 'participants', 'events', 'keys']) assert.match(help.out, new RegExp(`\\n  ${command}\\b`));
    assert.match(help.out, /GROUPGATE_PORT/);
    const sub = await runCli(['participants', 'add', '--help']);
    assert.equal(sub.code, 0);
    assert.match(sub.out, /--file <csv>/);
    const unknown = await runCli(['frobnicate'], { env });
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown command 'frobnicate'/);
    const noInstance = await runCli(['groups', 'list'], { env });
    assert.equal(noInstance.code, 2);
    assert.match(noInstance.err, /which instance\?/);
    const badEngine = await runCli(['instances', 'create', 'x', '--engine', 'telegram'], { env });
    assert.equal(badEngine.code, 2);
    assert.match(badEngine.err, /Allowed choices are sandbox, baileys/);
  });

  test('instances create, list, link and delete, as tables and as JSON', async () => {
    const created = await runCli(['instances', 'create', 'Sales', '--engine', 'sandbox', '--json'], { env });
    assert.equal(created.code, 0, created.err);
    const inst = created.json<{ id: string; token: string; status: string; phone: string }>()[0]!;
    assert.equal(inst.status, 'connected');
    assert.match(inst.token, /\S{16,}/);

    const table = await runCli(['instances', 'list'], { env });
    assert.equal(table.code, 0);
    assert.match(table.out, /^ID\s+NAME\s+ENGINE\s+STATUS\s+PHONE/);
    assert.match(table.out, new RegExp(`${inst.id}\\s+Sales\\s+sandbox\\s+connected\\s+\\+${inst.phone}`));
    const listed = await runCli(['instances', 'list', '--json'], { env });
    assert.deepEqual(
      listed.json<{ id: string }[]>()[0]!.map((i) => i.id),
      [inst.id],
    );

    // A sandbox number is connected at once: link says so (by name, case-insensitively).
    const linked = await runCli(['link', 'sales', '--json'], { env });
    assert.equal(linked.code, 0, linked.err);
    assert.deepEqual(linked.json()[0], { connected: true, id: inst.id, phone: inst.phone });

    const other = (await runCli(['instances', 'create', 'Spare', '--engine', 'sandbox', '--json'], { env })).json<{ id: string }>()[0]!;
    const unconfirmed = await runCli(['instances', 'delete', 'Spare'], { env });
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.err, /add --yes/);
    assert.equal((await t.request({ method: 'GET', url: `/api/instances/${other.id}` })).statusCode, 200);
    const deleted = await runCli(['instances', 'delete', '--instance', other.id, '--yes'], { env });
    assert.equal(deleted.code, 0, deleted.err);
    assert.equal((await t.request({ method: 'GET', url: `/api/instances/${other.id}` })).statusCode, 404);
    const missing = await runCli(['groups', 'list', 'Nope'], { env });
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no instance "Nope"/);
  });

  test('groups create, list and show; events tail follows the stream', async () => {
    const inst = (await runCli(['instances', 'create', 'Groups line', '--engine', 'sandbox', '--phone', '+55 11 97777-0101', '--json'], { env })).json<{ id: string }>()[0]!;
    await t.request({ method: 'PATCH', url: `/api/instances/${inst.id}/pacing`, payload: { enabled: false } });
    let stopTail = () => {};
    const tail = runCli(['events', 'tail', inst.id, '--limit', '1', '--json'], { env, sleepMs: 50, stop: new Promise<void>((resolve) => (stopTail = resolve)) });
    // The stream is open before the group exists: the event arrives live.
    await new Promise((resolve) => setTimeout(resolve, 300));
    // A number without its country code is read in the instance's country (Brazil here).
    const created = await runCli(['groups', 'create', inst.id, 'Customers', '+55 11 98888-1234', '(11) 91111-0004'], { env }).finally(() => setTimeout(stopTail, 5_000));
    assert.equal(created.code, 0, created.err);
    assert.match(created.out, /created Customers \((\d+@g\.us)\)/);
    assert.match(created.out, /\+55 11 98888-1234\s+added/);
    const groupId = /\((\d+@g\.us)\)/.exec(created.out)![1]!;
    const events = await tail;
    assert.equal(events.code, 0, events.err);
    const [event] = events.json<{ type: string; data: { groupId: string } }>();
    assert.equal(event!.type, 'group.created');
    assert.equal(event!.data.groupId, groupId);

    const list = await runCli(['groups', 'list', '--instance', inst.id], { env });
    assert.match(list.out, new RegExp(`${groupId}\\s+Customers\\s+3\\s+superadmin\\s+locked`));
    const listJson = (await runCli(['groups', 'list', inst.id, '--json', '--search', 'cust'], { env })).json<{ total: number; groups: { id: string }[] }>()[0]!;
    assert.equal(listJson.total, 1);
    const show = await runCli(['groups', 'show', inst.id, groupId], { env });
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, /\+5511988881234\s+member/);
    const showJson = (await runCli(['groups', 'show', inst.id, groupId, '--json'], { env })).json<{ participants: unknown[] }>()[0]!;
    assert.equal(showJson.participants.length, 3);
    const absent = await runCli(['groups', 'show', inst.id, '120363000000000000@g.us'], { env });
    assert.equal(absent.code, 1);
    assert.match(absent.err, /read the group: group 120363000000000000@g.us not found/);
  });

  test('keys create, list, rotate and delete', async () => {
    const created = await runCli(['keys', 'create', 'reporting', '--json'], { env });
    assert.equal(created.code, 0, created.err);
    const key = created.json<{ id: string; key: string; name: string }>()[0]!;
    assert.equal(key.name, 'reporting');
    const list = await runCli(['keys', '--json'], { env });
    assert.ok(list.json<{ id: string }[]>()[0]!.some((k) => k.id === key.id));
    assert.doesNotMatch(list.out, new RegExp(key.key));
    // The new key works for the CLI itself.
    assert.equal((await runCli(['instances', 'list'], { env: { ...env, GROUPGATE_API_KEY: key.key } })).code, 0);
    const rotated = await runCli(['keys', 'rotate', key.id], { env });
    assert.match(rotated.out, /new key \(shown once\): \S+/);
    assert.equal((await runCli(['instances', 'list'], { env: { ...env, GROUPGATE_API_KEY: key.key } })).code, 1);
    const deleted = await runCli(['keys', 'delete', key.id], { env });
    assert.equal(deleted.code, 0);
    assert.doesNotMatch((await runCli(['keys', 'list'], { env })).out, new RegExp(key.id));
  });
});
