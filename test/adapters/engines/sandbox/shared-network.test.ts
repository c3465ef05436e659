/**
 * The sandbox network in shared mode: several networks, each on its own pool over ONE PostgreSQL
 * schema, behave as one network (two or three cluster nodes in one test process).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { EngineEvent } from '../../../../src/core/ports/engine.js';
import { createSandboxNetwork, type SandboxNetwork } from '../../../../src/adapters/engines/sandbox/emulator/network.js';
import { createSharedSandboxPersistence } from '../../../../src/adapters/engines/sandbox/kysely-persistence.js';
import { createSandboxEngineFactory } from '../../../../src/adapters/engines/sandbox/sandbox-engine.js';
import type { DatabaseHandle } from '../../../../src/adapters/store/db.js';
import { dropPlace, freshPlace, openOnPlace } from '../../../../testkit/place.js';
import { PG_URL, postgresAvailable } from '../../../support/app.js';

const [A, B, C] = ['15550000001', '15550000002', '15550000003'];
const jid = (phone: string) => `${phone}@s.whatsapp.net`;

/** Polls `check` until it holds (no timing is asserted: the limit only keeps a broken run from hanging). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`never happened: ${what}`);
}

describe('shared sandbox network (several processes on one PostgreSQL schema)', { skip: !(await postgresAvailable()) && 'PostgreSQL unreachable' }, () => {
  const place = freshPlace('postgres', 'sbshared', PG_URL);
  const handles: DatabaseHandle[] = [];
  let nodes: SandboxNetwork[] = [];

  /** A node: its own pool and its own network over the shared schema. */
  const node = async (): Promise<SandboxNetwork> => {
    const handle = await openOnPlace(place);
    handles.push(handle);
    const network = createSandboxNetwork({ persistence: createSharedSandboxPersistence(handle.db, { connectionString: PG_URL }), groupCreateLimitPerHour: 0 });
    await network.load();
    nodes.push(network);
    return network;
  };

  before(async () => {
    handles.push(await openOnPlace(place));
  });
  beforeEach(async () => {
    await Promise.all(nodes.map((network) => network.close()));
    nodes = [];
    const db = handles[0]!.db as any;
    for (const table of ['sandbox_log', 'sandbox_groups', 'sandbox_accounts']) await db.deleteFrom(table).execute();
  });
  after(async () => {
    await Promise.all(nodes.map((network) => network.close()));
    for (const handle of handles) await handle.close();
    await dropPlace(place);
  });

  it('a group created on one node is read on another, with invite info and the member list', async () => {
    const [one, two] = [await node(), await node()];
    const { group } = await one.as(A).createGroup('Shared', [jid(B)]);
    const seen = await two.as(B).groupMetadata(group.id);
    assert.equal(seen.subject, 'Shared');
    assert.deepEqual(
      seen.participants.map((p) => p.phoneJid),
      [jid(A), jid(B)],
    );
    assert.deepEqual(
      (await two.as(B).listGroups()).map((g) => g.id),
      [group.id],
    );
    const code = await one.as(A).inviteCode(group.id);
    assert.equal((await two.as(C).inviteInfo(code)).id, group.id);
    // LIDs are the same everywhere: the account was created once.
    assert.equal(seen.participants[1]!.lid, (await one.as(A).groupMetadata(group.id)).participants[1]!.lid);
    await two.refresh();
    assert.deepEqual(two.groupIds(), [group.id]);
  });

  it('concurrent adds from two nodes to one group are serialised: none is lost', async () => {
    const [one, two] = [await node(), await node()];
    const { group } = await one.as(A).createGroup('Busy', []);
    await two.as(A).groupMetadata(group.id); // two knows the group
    const phones = Array.from({ length: 20 }, (_, i) => `1555100${String(i).padStart(4, '0')}`);
    const results = await Promise.all(phones.map((phone, i) => (i % 2 === 0 ? one : two).as(A).addParticipants(group.id, [jid(phone)])));
    assert.deepEqual(
      results.map((r) => r[0]!.code),
      phones.map(() => 200),
    );
    for (const network of [one, two]) {
      const metadata = await network.as(A).groupMetadata(group.id);
      assert.equal(metadata.participants.length, 21);
      assert.deepEqual(new Set(metadata.participants.map((p) => p.phoneJid)), new Set([jid(A), ...phones.map(jid)]));
    }
    // Nothing lost in storage either: a third node loading from scratch agrees.
    const three = await node();
    assert.equal((await three.as(A).groupMetadata(group.id)).participants.length, 21);
  });

  it('a sink on another node receives each notice exactly once and in order', async () => {
    const [one, two] = [await node(), await node()];
    const received: EngineEvent[] = [];
    await two.attach(B, async (event) => void received.push(event));
    const { group } = await one.as(A).createGroup('Notices', [jid(B)]);
    const subjects = Array.from({ length: 10 }, (_, i) => `Subject ${i}`);
    // Writes from both nodes, one after another: the log order is this order.
    for (const [i, subject] of subjects.entries()) await (i % 2 === 0 ? one : two).as(A).setSubject(group.id, subject);
    await one.as(A).addParticipants(group.id, [jid(C)]);
    const expected = 1 + subjects.length + 1;
    await eventually(() => received.length >= expected, `${expected} events on B`);
    await two.refresh(); // let any stray duplicate arrive before counting
    await one.as(A).sendText(group.id, 'barrier');
    await eventually(() => received.some((e) => e.type === 'message'), 'the barrier message');
    const types = received.map((e) => (e.type === 'group.update' ? `update:${String(e.changes.subject)}` : e.type));
    assert.deepEqual(types, ['group.upsert', ...subjects.map((s) => `update:${s}`), 'group.participants', 'message']);
  });

  it('concurrent changes from both nodes reach a sink once each, the last one last', async () => {
    const [one, two] = [await node(), await node()];
    const received: EngineEvent[] = [];
    await two.attach(B, async (event) => void received.push(event));
    const { group } = await one.as(A).createGroup('Race', [jid(B)]);
    const subjects = Array.from({ length: 20 }, (_, i) => `Race ${i}`);
    await Promise.all(subjects.map((subject, i) => (i % 2 === 0 ? one : two).as(A).setSubject(group.id, subject)));
    const updates = () => received.filter((e) => e.type === 'group.update').map((e) => (e.type === 'group.update' ? String(e.changes.subject) : ''));
    await eventually(() => updates().length >= subjects.length, 'every rename on B');
    await one.as(A).sendText(group.id, 'barrier');
    await eventually(() => received.some((e) => e.type === 'message'), 'the barrier message');
    assert.equal(updates().length, subjects.length);
    assert.deepEqual(new Set(updates()), new Set(subjects));
    assert.equal(updates().at(-1), (await two.as(A).groupMetadata(group.id)).subject);
  });

  it('a node that fell behind the pruned log reloads the whole network', async () => {
    const handle = await openOnPlace(place);
    handles.push(handle);
    const small = (): SandboxNetwork => {
      const network = createSandboxNetwork({ persistence: createSharedSandboxPersistence(handle.db, { connectionString: PG_URL, keepEntries: 10 }), groupCreateLimitPerHour: 0 });
      nodes.push(network);
      return network;
    };
    const [one, behind] = [small(), small()];
    await one.load();
    await behind.load();
    await behind.close(); // stops hearing the others: only its own reads catch up from now on
    const { group } = await one.as(A).createGroup('Long', []);
    for (let i = 0; i < 120; i++) await one.as(A).setSubject(group.id, `Long ${i}`);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from sandbox_log`.execute(handle.db);
    assert.ok(rows[0]!.n < 120, `the log was pruned (${rows[0]!.n} entries left)`);
    assert.equal((await behind.as(A).groupMetadata(group.id)).subject, 'Long 119');
    await behind.as(A).setSubject(group.id, 'Back');
    assert.equal((await one.as(A).groupMetadata(group.id)).subject, 'Back');
  });

  it('a sink attached on the node that makes the change still hears it before the call resolves', async () => {
    const [one, two] = [await node(), await node()];
    const onOne: EngineEvent[] = [];
    const onTwo: EngineEvent[] = [];
    await one.attach(A, async (event) => void onOne.push(event));
    await two.attach(B, async (event) => void onTwo.push(event));
    await one.as(A).createGroup('Local', [jid(B)]);
    assert.deepEqual(
      onOne.map((e) => e.type),
      ['group.upsert'],
    );
    await eventually(() => onTwo.length === 1, 'the remote upsert');
  });

  it('a full refresh on one node after changes on another reports every group', async () => {
    const [one, two] = [await node(), await node()];
    const created: string[] = [];
    for (let i = 0; i < 13; i++) created.push((await one.as(A).createGroup(`G${i}`, [jid(B)])).group.id);
    const listed = await two.as(A).listGroups();
    assert.deepEqual(listed.map((g) => g.id).sort(), [...created].sort());
    await one.as(B).leaveGroup(created[0]!);
    assert.equal((await two.as(B).listGroups()).length, 12);
  });

  it('the sandbox engine works across nodes: a session on each, one group', async () => {
    const [one, two] = [await node(), await node()];
    const events = new Map<string, EngineEvent[]>();
    const open = async (network: SandboxNetwork, phone: string) => {
      const log: EngineEvent[] = [];
      events.set(phone, log);
      const session = await createSandboxEngineFactory(network).create({ instanceId: `i-${phone}`, phone, sink: async (e) => void log.push(e) });
      await session.connect();
      return session;
    };
    const a = await open(one, A);
    const b = await open(two, B);
    const { group } = await a.createGroup('Engines', [jid(B)], { locked: false });
    await eventually(() => events.get(B)!.some((e) => e.type === 'group.upsert'), 'B hears it was added');
    await b.setSubject(group.id, 'Renamed by B');
    assert.equal((await a.groupMetadata(group.id)).subject, 'Renamed by B');
    await eventually(() => events.get(A)!.some((e) => e.type === 'group.update'), 'A hears the rename');
    await a.close();
    await b.close();
  });

  it('three nodes adding concurrently to several groups lose nothing', async () => {
    const nets = [await node(), await node(), await node()];
    const groups = await Promise.all(nets.map((network, i) => network.as(A).createGroup(`N${i}`, [])));
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const network = nets[Math.floor(i / 3) % 3]!;
        const group = groups[i % 3]!.group.id;
        return network.as(A).addParticipants(group, [jid(`1555200${String(i).padStart(4, '0')}`)]);
      }),
    );
    for (const { group } of groups) assert.equal((await nets[2]!.as(A).groupMetadata(group.id)).participants.length, 11);
  });
});
