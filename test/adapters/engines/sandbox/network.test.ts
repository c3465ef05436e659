/** The sandbox network itself: accounts, ordering, persistence before events, limits, clean-up. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineEvent } from '../../../../src/core/ports/engine.js';
import { EngineError } from '../../../../src/core/ports/engine.js';
import { createMemoryPersistence } from '../../../../src/adapters/engines/sandbox/emulator/memory-persistence.js';
import { createSandboxNetwork } from '../../../../src/adapters/engines/sandbox/emulator/network.js';
import { newGroupId } from '../../../../src/adapters/engines/sandbox/emulator/ids.js';
import type { SandboxChanges, SandboxNetworkOptions, SandboxPersistence } from '../../../../src/adapters/engines/sandbox/emulator/types.js';

const [A, B, C] = ['15550000001', '15550000002', '15550000003'];
const jid = (phone: string) => `${phone}@s.whatsapp.net`;

function setup(options: Partial<SandboxNetworkOptions> = {}) {
  const clock = { ms: Date.UTC(2025, 0, 1) };
  const persistence = createMemoryPersistence();
  const network = createSandboxNetwork({ persistence, now: () => clock.ms, ...options });
  const log = new Map<string, EngineEvent[]>();
  const attach = async (phone: string) => {
    const events: EngineEvent[] = [];
    log.set(phone, events);
    await network.attach(phone, async (event) => void events.push(event));
    return events;
  };
  return { clock, persistence, network, attach, log };
}

const isCode = (code: number) => (error: unknown) => error instanceof EngineError && error.code === code;

describe('sandbox network accounts', () => {
  it('a never-seen number is registered, privacy everyone, without a LID yet', () => {
    const { network } = setup();
    assert.deepEqual(network.getAccount(A), { phone: A, registered: true, groupAddPrivacy: 'everyone', contacts: [] });
  });

  it('gives each number one random LID, created lazily, never changed', async () => {
    const { network } = setup();
    await network.as(A).createGroup('g', [jid(B)]);
    const lidA = network.getAccount(A).lid;
    const lidB = network.getAccount(B).lid;
    assert.match(lidA ?? '', /^[1-9]\d{14}@lid$/);
    assert.notEqual(lidA, lidB);
    await network.seedAccount(A, { groupAddPrivacy: 'nobody' });
    await network.attach(A, async () => undefined);
    assert.equal(network.getAccount(A).lid, lidA);
  });

  it('a seeded account keeps its settings when an instance attaches for it', async () => {
    const { network } = setup();
    await network.seedAccount('+1 555 000 0002', { groupAddPrivacy: 'contacts', contacts: ['+15550000001'] });
    await network.attach(jid(B), async () => undefined);
    assert.deepEqual(
      { ...network.getAccount(B), lid: undefined },
      {
        phone: B,
        lid: undefined,
        registered: true,
        groupAddPrivacy: 'contacts',
        contacts: [A],
      },
    );
  });

  it('detach with a sink only removes that sink', async () => {
    const { network } = setup();
    const first = async () => undefined;
    const second = async () => undefined;
    await network.attach(A, first);
    await network.attach(A, second);
    network.detach(A, first);
    assert.equal(network.isAttached(A), true);
    network.detach(A);
    assert.equal(network.isAttached(A), false);
  });
});

describe('sandbox network operations', () => {
  it('serialises concurrent writes: every add lands and ids stay unique', async () => {
    const { network } = setup();
    const { group } = await network.as(A).createGroup('g', []);
    const people = Array.from({ length: 50 }, (_, i) => jid(`4410000${String(i).padStart(4, '0')}`));
    const results = await Promise.all(people.map((person) => network.as(A).addParticipants(group.id, [person])));
    assert.ok(
      results.every(([result]) => result?.code === 200),
      'every add landed',
    );
    assert.equal(network.group(group.id)?.metadata.participants.length, 51);
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => network.as(B).createGroup(`g${i}`, [])));
    assert.equal(new Set(ids.map((created) => created.group.id)).size, 20);
  });

  it('issues group ids that grow with creation, as WhatsApp does, never one already taken', async () => {
    const { network, clock } = setup();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      if (i === 15) clock.ms += 3_600_000;
      ids.push((await network.as(A).createGroup(`g${i}`, [])).group.id);
    }
    for (const id of ids) assert.match(id, /^120363\d{12}@g\.us$/);
    const serials = ids.map((id) => Number(id.slice(6, 18)));
    assert.deepEqual(
      [...serials].sort((a, b) => a - b),
      serials,
      'ordered by creation',
    );
    // An hour later the serial is at least 1,000 per second past 2023-01-01 (3.6 million past the first hour's).
    const hourStart = (Date.UTC(2025, 0, 1) / 1000 + 3600 - 1_672_531_200) * 1000;
    assert.ok(serials[15]! >= hourStart && serials[14]! < hourStart);
  });

  it('after a restart, new group ids still follow the ones saved before, even with the clock behind them', async () => {
    const { network, persistence, clock } = setup();
    const before = [];
    for (let i = 0; i < 5; i++) before.push((await network.as(A).createGroup(`g${i}`, [])).group.id);
    const reopened = createSandboxNetwork({ persistence, now: () => clock.ms - 3_600_000 });
    const next = (await reopened.as(A).createGroup('after restart', [])).group.id;
    assert.ok(
      before.every((id) => Number(id.slice(6, 18)) < Number(next.slice(6, 18))),
      `${next} follows ${before.join(', ')}`,
    );
  });

  it('a new group id skips ids already taken', () => {
    const taken = new Set<string>();
    const serial = { last: 0 };
    // Randomness that always steps by one: the next id is predictable, so it can be taken first.
    const random = (size: number) => Buffer.alloc(size);
    const first = newGroupId(random, (id) => taken.has(id), 1_700_000_000, serial);
    taken.add(`120363${String(serial.last + 1).padStart(12, '0')}@g.us`);
    const second = newGroupId(random, (id) => taken.has(id), 1_700_000_000, serial);
    assert.equal(Number(second.slice(6, 18)) - Number(first.slice(6, 18)), 2);
  });

  it('saves before dispatching, and sinks may read the network while handling an event', async () => {
    const saved: SandboxChanges[] = [];
    const inner = createMemoryPersistence();
    const persistence: SandboxPersistence = { load: () => inner.load(), commit: async (changes) => void saved.push(changes) };
    const { network } = setup({ persistence });
    const seen: string[] = [];
    await network.attach(B, async (event) => {
      if (event.type !== 'group.upsert') return;
      assert.ok(
        saved.some((changes) => changes.groups.some((group) => group.id === event.group.id)),
        'saved before the event',
      );
      const read = await network.as(B).groupMetadata(event.group.id);
      seen.push(read.subject);
    });
    await network.as(A).createGroup('visible', [jid(B)]);
    assert.deepEqual(seen, ['visible']);
  });

  it('a failed save changes nothing and sends nothing', async () => {
    const inner = createMemoryPersistence();
    let fail = false;
    const persistence: SandboxPersistence = {
      load: () => inner.load(),
      commit: async (changes) => {
        if (fail) throw new Error('disk full');
        await inner.commit(changes);
      },
    };
    const { network, attach } = setup({ persistence });
    const { group } = await network.as(A).createGroup('g', [jid(B)]);
    const events = await attach(B);
    fail = true;
    await assert.rejects(network.as(A).setSubject(group.id, 'new'), /disk full/);
    await assert.rejects(network.as(A).addParticipants(group.id, [jid(C)]), /disk full/);
    assert.equal(network.group(group.id)?.metadata.subject, 'g');
    assert.equal(network.group(group.id)?.metadata.participants.length, 2);
    assert.deepEqual(events, []);
    fail = false;
    await network.as(A).setSubject(group.id, 'new');
    assert.equal(events.length, 1);
  });

  it('saves writes that arrive together in one commit, and answers each only once saved', async () => {
    const inner = createMemoryPersistence();
    const batches: number[] = [];
    const waiting: { changes: SandboxChanges; done: () => void }[] = [];
    // A slow store: commits queue while one is being written, as on a real database.
    const persistence: SandboxPersistence = {
      load: () => inner.load(),
      commit: (changes) => new Promise<void>((done) => waiting.push({ changes, done })),
    };
    const { network } = setup({ persistence });
    await network.load();
    const flush = async () => {
      const batch = waiting.splice(0);
      batches.push(batch.length);
      for (const { changes, done } of batch) {
        await inner.commit(changes);
        done();
      }
    };
    let answered = 0;
    const creates = Array.from({ length: 5 }, (_, i) =>
      network
        .as(A)
        .createGroup(`g${i}`, [])
        .then((r) => (answered++, r)),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(waiting.length, 5, 'every write handed over its changes without waiting for the others');
    assert.equal(answered, 0, 'no caller answered before its changes are saved');
    await flush();
    const created = await Promise.all(creates);
    assert.deepEqual(batches, [5]);
    assert.equal(new Set(created.map((c) => c.group.id)).size, 5);
    assert.equal(inner.snapshot().groups.length, 5);
  });

  it("delivers each chat's events in write order while other chats' events go side by side", async () => {
    const { network } = setup();
    const { group: g1 } = await network.as(A).createGroup('one', [jid(B)]);
    const { group: g2 } = await network.as(A).createGroup('two', [jid(B)]);
    const seen: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await network.attach(B, async (event) => {
      if (event.type !== 'group.update') return;
      // The first event of group one is slow to handle.
      if (event.groupId === g1.id && event.changes.subject === 'one-a') await held;
      seen.push(`${event.groupId === g1.id ? 'one' : 'two'}:${event.changes.subject}`);
    });
    const first = network.as(A).setSubject(g1.id, 'one-a');
    const second = network.as(A).setSubject(g1.id, 'one-b');
    await network.as(A).setSubject(g2.id, 'two-a');
    assert.deepEqual(seen, ['two:two-a'], "another chat's event is not held up");
    release();
    await Promise.all([first, second]);
    assert.deepEqual(seen, ['two:two-a', 'one:one-a', 'one:one-b']);
  });

  it('hands a sink that takes several the writes that queued behind a delivery in one call, in write order', async () => {
    // Counts the saves, so the test can wait for the writes to be saved (and queued for delivery).
    const inner = createMemoryPersistence();
    let saves = 0;
    const savedWaiters: { count: number; resolve: () => void }[] = [];
    const persistence: SandboxPersistence = {
      load: () => inner.load(),
      async commit(changes: SandboxChanges) {
        await inner.commit(changes);
        saves++;
        for (const w of savedWaiters.filter((w) => saves >= w.count)) w.resolve();
      },
    };
    const saved = (count: number) => new Promise<void>((resolve) => (saves >= count ? resolve() : savedWaiters.push({ count, resolve })));
    const { network } = setup({ persistence });
    const { group } = await network.as(A).createGroup('g', [jid(B)]);
    const calls: string[][] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const firstArrived = new Promise<void>((resolve) => (arrived = resolve));
    const subjects = (events: EngineEvent[]) => events.flatMap((e) => (e.type === 'group.update' ? [String(e.changes.subject)] : []));
    const sink = Object.assign(
      async (event: EngineEvent) => {
        calls.push(subjects([event]));
        if (subjects([event])[0] === 'a') {
          arrived();
          await held;
        }
      },
      { many: async (events: EngineEvent[]) => void calls.push(subjects(events)) },
    );
    await network.attach(B, sink);
    const before = saves;
    const first = network.as(A).setSubject(group.id, 'a');
    await firstArrived;
    const rest = ['b', 'c', 'd'].map((subject) => network.as(A).setSubject(group.id, subject));
    await saved(before + 4);
    assert.deepEqual(calls, [['a']], 'the next writes wait for the delivery in flight');
    release();
    await Promise.all([first, ...rest]);
    assert.deepEqual(calls, [['a'], ['b', 'c', 'd']]);
  });

  it('reads a group saved by an earlier version with its removals on the group: they still answer 405', async () => {
    const first = setup();
    const { group } = await first.network.as(A).createGroup('g', [jid(B)]);
    const code = await first.network.as(A).inviteCode(group.id);
    const saved = first.persistence.snapshot();
    // The earlier format: removed people listed on the group, nothing on their accounts.
    const old = { ...saved, groups: saved.groups.map((g) => ({ ...g, participants: g.participants.filter((p) => p.phone !== B), removedByAdmin: [B] })) };
    const network = createSandboxNetwork({ persistence: { load: async () => old, commit: async () => undefined } });
    await assert.rejects(network.as(B).joinByCode(code), isCode(405));
    assert.equal(network.group(group.id)?.record.removedByAdmin, undefined);
  });

  it('a refused operation saves nothing', async () => {
    const { network, persistence } = setup();
    const { group } = await network.as(A).createGroup('g', []);
    const commits = persistence.commits();
    await assert.rejects(network.as(B).setSubject(group.id, 'x'), isCode(403));
    await assert.rejects(network.as(A).createGroup('x'.repeat(101), [jid(C)]), isCode(406));
    assert.equal(persistence.commits(), commits);
    assert.equal(network.getAccount(C).lid, undefined);
  });

  it('a throwing sink is reported but the operation still succeeds', async () => {
    const failures: string[] = [];
    const { network } = setup({ onSinkError: (_error, phone, event) => failures.push(`${phone}:${event.type}`) });
    await network.attach(B, async () => {
      throw new Error('sink down');
    });
    const { group } = await network.as(A).createGroup('g', [jid(B)]);
    assert.deepEqual(failures, [`${B}:group.upsert`]);
    assert.equal(network.group(group.id)?.metadata.participants.length, 2);
  });

  it('limits group creation to 30 per rolling hour by default; 0 means no limit', async () => {
    const { network, clock } = setup();
    const start = clock.ms;
    for (let i = 0; i < 30; i += 1) {
      await network.as(A).createGroup(`g${i}`, []);
      clock.ms += 60_000;
    }
    await assert.rejects(network.as(A).createGroup('g30', []), isCode(429));
    clock.ms = start + 3_600_001; // only the first creation is now more than an hour old
    await network.as(A).createGroup('g30', []);
    await assert.rejects(network.as(A).createGroup('g31', []), isCode(429));
    const unlimited = setup({ groupCreateLimitPerHour: 0 }).network;
    for (let i = 0; i < 40; i += 1) await unlimited.as(A).createGroup(`g${i}`, []);
  });

  it('deletes a group when its last member leaves; its code is then unknown (406)', async () => {
    const { network, persistence } = setup();
    const { group } = await network.as(A).createGroup('g', []);
    const code = await network.as(A).inviteCode(group.id);
    await network.as(A).leaveGroup(group.id);
    assert.equal(network.group(group.id), undefined);
    assert.deepEqual(persistence.snapshot().groups, []);
    await assert.rejects(network.as(B).joinByCode(code), isCode(406));
    await assert.rejects(network.as(A).groupMetadata(group.id), isCode(404));
  });

  it('accepts LIDs wherever a person jid is expected', async () => {
    const { network } = setup();
    const { group } = await network.as(A).createGroup('g', [jid(B)]);
    const lidB = network.getAccount(B).lid!;
    const [result] = await network.as(A).promoteParticipants(group.id, [lidB]);
    assert.deepEqual(result, { jid: lidB, phoneJid: jid(B), lid: lidB, code: 200 });
    const [unknown] = await network.as(A).addParticipants(group.id, ['999999999999999@lid']);
    assert.equal(unknown?.code, 404);
  });

  it('accepting an invite v4 lets back a person an admin removed', async () => {
    const { network } = setup();
    const { group } = await network.as(A).createGroup('g', [jid(B)]);
    await network.as(A).removeParticipants(group.id, [jid(B)]);
    await network.seedAccount(B, { groupAddPrivacy: 'nobody' });
    const [refused] = await network.as(A).addParticipants(group.id, [jid(B)]);
    await network.as(B).acceptInviteV4({ ...refused!.addRequest!, groupId: group.id, inviter: jid(A) });
    // Let back in: the removal no longer keeps B from joining by link.
    const code = await network.as(A).inviteCode(group.id);
    await network.as(B).leaveGroup(group.id);
    await network.as(B).joinByCode(code);
    await assert.rejects(network.as(B).acceptInviteV4({ ...refused!.addRequest!, groupId: group.id, inviter: jid(A) }), isCode(304));
  });

  it('resetting the invite link revokes outstanding invites v4 (410)', async () => {
    const { network } = setup();
    await network.seedAccount(B, { groupAddPrivacy: 'nobody' });
    const { group, results } = await network.as(A).createGroup('g', [jid(B)]);
    await network.as(A).revokeInvite(group.id);
    await assert.rejects(network.as(B).acceptInviteV4({ ...results[0]!.addRequest!, groupId: group.id, inviter: jid(A) }), isCode(410));
  });

  it('group full applies to join by link (419) and to approvals (per-person 419)', async () => {
    const { network } = setup({ maxGroupSize: 2 });
    const { group } = await network.as(A).createGroup('g', [jid(B), jid(C)]);
    assert.deepEqual(group.participants.length, 2);
    const code = await network.as(A).inviteCode(group.id);
    await assert.rejects(network.as(C).joinByCode(code), isCode(419));
    await network.as(A).updateSettings(group.id, { approvalMode: true });
    await network.as(C).joinByCode(code);
    const [approval] = await network.as(A).approveJoinRequests(group.id, [jid(C)]);
    assert.equal(approval?.code, 419);
  });
});
