/**
 * The engine conformance suite: what every `EngineSession` adapter must do, checked against the
 * sandbox network as the server-side truth.
 *
 * It uses only the `EngineSession` API, `network.seedAccount`, the network's read methods and its
 * clock, so an engine that reaches the same emulator another way (Baileys over WhatsApp's wire
 * protocol) runs it unchanged. Events are asserted right after the acting call resolves: every
 * adapter must have delivered them by then.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineEvent, EngineSession, GroupParticipant, Jid, ParticipantResult } from '../../../src/core/ports/engine.js';
import { EngineError } from '../../../src/core/ports/engine.js';
import type { SandboxNetwork } from '../../../src/adapters/engines/sandbox/emulator/network.js';

export interface ConformanceHarness {
  /** The server-side truth the engine talks to. */
  network: SandboxNetwork;
  /** A CONNECTED session of the engine under test for that account (the same one on every call); its events are recorded. */
  session(phone: string): Promise<EngineSession>;
  /** Every event that account's session received so far, in order. */
  events(phone: string): EngineEvent[];
  /** How the engine's groups address people; default `lid` (the emulator's own model). */
  addressingMode?: 'lid' | 'pn';
  /** Moves the network's clock forward; tests never sleep. */
  advanceClock(ms: number): void;
  close(): Promise<void>;
}

/** Network settings some cases need; a harness passes them to `createSandboxNetwork`. */
export interface ConformanceOptions {
  groupCreateLimitPerHour?: number;
}

export type MakeHarness = (options?: ConformanceOptions) => Promise<ConformanceHarness>;

const [A, B, C, D, E] = ['15550000001', '15550000002', '15550000003', '15550000004', '15550000005'] as const;
const jid = (phone: string): Jid => `${phone}@s.whatsapp.net`;
const GROUP_ID = /^120363\d{12}@g\.us$/;
const INVITE_CODE = /^[A-Za-z0-9_-]{22}$/;
const NO_SUCH_GROUP = '120363000000000000@g.us';
const DAY = 86_400;

// Every assert.ok here carries a message: without one, a failing assert.ok makes node re-parse this
// tsx-compiled file to quote the expression, which can hang the run instead of failing it.

/** Asserts the call fails with EngineError `code`. */
async function rejectsWith(call: Promise<unknown>, code: number): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof EngineError, `expected EngineError ${code}, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

export interface SuiteOptions {
  /** Why this harness cannot deliver messages between accounts; the cases that need it are skipped. */
  skipMessageDelivery?: string;
}

/** Registers the suite for one engine. `makeHarness` is called once per case. */
export function runEngineConformance(engineName: string, makeHarness: MakeHarness, suite: SuiteOptions = {}): void {
  /** Cases that need a message delivered end to end (skipped, with the reason, when the harness cannot relay messages). */
  const relay = suite.skipMessageDelivery ? { skip: suite.skipMessageDelivery } : {};
  const withHarness = (fn: (h: ConformanceHarness) => Promise<void>, options?: ConformanceOptions) => async () => {
    const h = await makeHarness(options);
    try {
      await fn(h);
    } finally {
      await h.close();
    }
  };
  const lid = (h: ConformanceHarness, phone: string) => h.network.getAccount(phone).lid;
  const person = (h: ConformanceHarness, phone: string, role: GroupParticipant['role'] = 'member'): GroupParticipant => ({
    phoneJid: jid(phone),
    lid: lid(h, phone),
    role,
  });
  /** Returns a function giving the group events `phone` received from now on. */
  const watch = (h: ConformanceHarness, phone: string) => {
    const start = h.events(phone).length;
    return () =>
      h
        .events(phone)
        .slice(start)
        .filter((event) => event.type !== 'connection');
  };
  const codes = (results: ParticipantResult[]) => results.map((result) => result.code);
  const nowSec = (h: ConformanceHarness) => Math.floor(h.network.now() / 1000);
  /** A group created by `creator` with `members` (connected sessions for everyone). */
  const setup = async (h: ConformanceHarness, creator: string, members: string[], options?: { locked?: boolean }) => {
    const sessions = await Promise.all([creator, ...members].map((phone) => h.session(phone)));
    const { group } = await sessions[0]!.createGroup('Team', members.map(jid), options);
    return { id: group.id, s: sessions };
  };
  const members = (h: ConformanceHarness, groupId: Jid) => h.network.group(groupId)?.metadata.participants ?? [];

  describe(`${engineName} engine conformance`, () => {
    describe('connection', () => {
      it(
        'a session reports connected with its phone',
        withHarness(async (h) => {
          const a = await h.session(A);
          assert.equal(a.status().status, 'connected');
          assert.equal(a.status().phone, A);
          assert.ok(
            h.events(A).some((event) => event.type === 'connection' && event.status === 'connected'),
            'connected event',
          );
        }),
      );

      it(
        'group methods answer 428 when closed; connecting again restores them',
        withHarness(async (h) => {
          const a = await h.session(A);
          await a.close();
          assert.equal(a.status().status, 'disconnected');
          await rejectsWith(a.listGroups(), 428);
          await rejectsWith(a.createGroup('x', []), 428);
          await a.connect();
          assert.deepEqual(await a.listGroups(), []);
        }),
      );

      it(
        'logout unlinks the device but the number stays in its groups',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B]);
          await s[1]!.logout();
          assert.equal(s[1]!.status().status, 'logged_out');
          assert.ok(
            h.events(B).some((event) => event.type === 'connection' && event.status === 'logged_out'),
            'logged_out event',
          );
          assert.ok(
            members(h, id).some((p) => p.phoneJid === jid(B)),
            'B is still a member',
          );
        }),
      );
    });

    describe('create', () => {
      it(
        'the creator is superadmin; ids, codes and defaults follow WhatsApp',
        withHarness(async (h) => {
          const { s } = await setup(h, A, []);
          const { group, results } = await s[0]!.createGroup('Family', [jid(B), jid(C)]);
          assert.match(group.id, GROUP_ID);
          assert.deepEqual(results, [
            { jid: jid(B), phoneJid: jid(B), lid: lid(h, B), code: 200 },
            { jid: jid(C), phoneJid: jid(C), lid: lid(h, C), code: 200 },
          ]);
          assert.deepEqual(group.participants, [person(h, A, 'superadmin'), person(h, B), person(h, C)]);
          assert.match(lid(h, B) ?? '', /^\d+@lid$/);
          assert.equal(group.owner, jid(A));
          assert.equal(group.subject, 'Family');
          assert.equal(group.addressingMode, h.addressingMode ?? 'lid');
          assert.deepEqual(group.settings, { announcement: false, locked: true, memberAddMode: 'admins', approvalMode: false, ephemeralSeconds: 0 });
          assert.deepEqual({ ...h.network.group(group.id)?.metadata, addressingMode: h.addressingMode ?? 'lid' }, group);
          const code = await s[0]!.inviteCode(group.id);
          assert.match(code, INVITE_CODE);
          assert.equal(code, h.network.group(group.id)?.record.inviteCode);
          const second = await s[0]!.createGroup('Other', []);
          assert.notEqual(second.group.id, group.id);
        }),
      );

      it(
        'honours locked:false and a description',
        withHarness(async (h) => {
          const a = await h.session(A);
          const { group } = await a.createGroup('Open', [], { locked: false, description: 'hello' });
          assert.equal(group.settings.locked, false);
          assert.equal(group.description, 'hello');
          await rejectsWith(a.createGroup('Long', [], { description: 'x'.repeat(2049) }), 400);
        }),
      );

      it(
        'the creator gets created, members get added',
        withHarness(async (h) => {
          const [a] = await Promise.all([h.session(A), h.session(B)]);
          const seenA = watch(h, A);
          const seenB = watch(h, B);
          const { group } = await a.createGroup('Team', [jid(B)]);
          assert.deepEqual(
            seenA().map((e) => e.type === 'group.upsert' && [e.reason, e.actor, e.group.id]),
            [['created', jid(A), group.id]],
          );
          assert.deepEqual(
            seenB().map((e) => e.type === 'group.upsert' && [e.reason, e.actor, e.group.id]),
            [['added', jid(A), group.id]],
          );
        }),
      );

      it(
        'refused participants are reported per person and left out',
        withHarness(async (h) => {
          await h.network.seedAccount(D, { groupAddPrivacy: 'nobody' });
          await h.network.seedAccount(E, { registered: false });
          const a = await h.session(A);
          const { group, results } = await a.createGroup('Team', [jid(B), jid(D), jid(E), jid(A)]);
          assert.deepEqual(codes(results), [200, 403, 404, 409]);
          assert.deepEqual(
            results.map((r) => r.jid),
            [jid(B), jid(D), jid(E), jid(A)],
          );
          assert.match(results[1]!.addRequest?.code ?? '', /^[A-Za-z0-9_-]+$/);
          assert.equal(results[1]!.addRequest?.expiration, nowSec(h) + 3 * DAY);
          assert.equal(results[2]!.lid, undefined);
          assert.deepEqual(
            group.participants.map((p) => p.phoneJid),
            [jid(A), jid(B)],
          );
        }),
      );

      it(
        'a subject must have 1 to 100 characters (406)',
        withHarness(async (h) => {
          const a = await h.session(A);
          await rejectsWith(a.createGroup('x'.repeat(101), []), 406);
          await rejectsWith(a.createGroup('', []), 406);
          assert.equal((await a.createGroup('x'.repeat(100), [])).group.subject.length, 100);
        }),
      );

      it(
        'answers 429 past the hourly creation limit, per number, for a rolling hour',
        withHarness(
          async (h) => {
            const [a, b] = await Promise.all([h.session(A), h.session(B)]);
            for (let i = 0; i < 3; i += 1) await a.createGroup(`g${i}`, []);
            await rejectsWith(a.createGroup('one too many', []), 429);
            await b.createGroup('someone else', []);
            h.advanceClock(3_600_001);
            await a.createGroup('next hour', []);
          },
          { groupCreateLimitPerHour: 3 },
        ),
      );
    });

    describe('add', () => {
      it(
        '200: the added person gets the group, members hear who came in',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B]);
          await h.session(C);
          const [seenA, seenB, seenC] = [watch(h, A), watch(h, B), watch(h, C)];
          assert.deepEqual(codes(await s[0]!.addParticipants(id, [jid(C)])), [200]);
          const expected = { type: 'group.participants', groupId: id, action: 'add', participants: [person(h, C)], actor: jid(A) };
          assert.deepEqual(seenA(), [expected]);
          assert.deepEqual(seenB(), [expected]);
          const [upsert, ...more] = seenC();
          assert.deepEqual(more, [], 'the added person gets only the upsert');
          assert.ok(upsert?.type === 'group.upsert' && upsert.reason === 'added' && upsert.actor === jid(A), 'C gets upsert added');
          assert.deepEqual(upsert.group.participants, [person(h, A, 'superadmin'), person(h, B), person(h, C)]);
        }),
      );

      it(
        '403 by privacy with an invite v4; contacts privacy lets only contacts add',
        withHarness(async (h) => {
          await h.network.seedAccount(D, { groupAddPrivacy: 'nobody' });
          await h.network.seedAccount(E, { groupAddPrivacy: 'contacts', contacts: [B] });
          await h.network.seedAccount(C, { groupAddPrivacy: 'contacts', contacts: [A] });
          const { id, s } = await setup(h, A, []);
          const results = await s[0]!.addParticipants(id, [jid(D), jid(E), jid(C)]);
          assert.deepEqual(codes(results), [403, 403, 200]);
          for (const refused of results.slice(0, 2)) {
            assert.equal(refused.addRequest?.expiration, nowSec(h) + 3 * DAY);
            assert.ok(refused.addRequest!.code.length > 0, 'invite v4 code');
          }
          assert.equal(results[2]!.addRequest, undefined);
        }),
      );

      it(
        '404 not on WhatsApp, 409 already a member',
        withHarness(async (h) => {
          await h.network.seedAccount(E, { registered: false });
          const { id, s } = await setup(h, A, [B]);
          assert.deepEqual(await s[0]!.addParticipants(id, [jid(E), jid(B), jid(A)]), [
            { jid: jid(E), code: 404 },
            { jid: jid(B), phoneJid: jid(B), lid: lid(h, B), code: 409 },
            { jid: jid(A), phoneJid: jid(A), lid: lid(h, A), code: 409 },
          ]);
        }),
      );

      it(
        '408 after leaving by themselves, until the window ends; not after a removal',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B, C]);
          await s[1]!.leaveGroup(id);
          await s[0]!.removeParticipants(id, [jid(C)]);
          assert.deepEqual(codes(await s[0]!.addParticipants(id, [jid(B), jid(C)])), [408, 200]);
          h.advanceClock(3_600_000);
          assert.deepEqual(codes(await s[0]!.addParticipants(id, [jid(B)])), [200]);
        }),
      );

      it(
        '419 once the group has 1024 members including the creator',
        withHarness(async (h) => {
          const a = await h.session(A);
          const many = Array.from({ length: 1023 }, (_, i) => jid(`4470${String(i).padStart(7, '0')}`));
          const { group, results } = await a.createGroup('Full', many);
          assert.equal(results.filter((r) => r.code === 200).length, 1023);
          assert.equal(group.participants.length, 1024);
          assert.deepEqual(codes(await a.addParticipants(group.id, [jid(B)])), [419]);
        }),
      );

      it(
        'non-admins get 401 unless memberAddMode is all',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B]);
          await rejectsWith(s[1]!.addParticipants(id, [jid(C)]), 401);
          await s[0]!.updateSettings(id, { memberAddMode: 'all' });
          assert.deepEqual(codes(await s[1]!.addParticipants(id, [jid(C)])), [200]);
        }),
      );

      it(
        '404 no such group, 403 not a member',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, []);
          const d = await h.session(D);
          await rejectsWith(s[0]!.addParticipants(NO_SUCH_GROUP, [jid(B)]), 404);
          await rejectsWith(s[0]!.groupMetadata(NO_SUCH_GROUP), 404);
          await rejectsWith(d.addParticipants(id, [jid(B)]), 403);
          await rejectsWith(d.groupMetadata(id), 403);
          await rejectsWith(d.setSubject(id, 'mine'), 403);
          await rejectsWith(d.leaveGroup(id), 403);
        }),
      );
    });

    describe('remove, promote, demote', () => {
      it(
        'remove: 200, 404 not a member, 406 the creator; the removed and the rest are told',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B, C]);
          await s[0]!.promoteParticipants(id, [jid(B)]);
          const [seenB, seenC] = [watch(h, B), watch(h, C)];
          const removedB = person(h, B, 'admin');
          assert.deepEqual(codes(await s[1]!.removeParticipants(id, [jid(C), jid(D), jid(A)])), [200, 404, 406]);
          assert.deepEqual(seenC(), [{ type: 'group.gone', groupId: id, reason: 'removed', actor: jid(B) }]);
          const removedC = { type: 'group.participants', groupId: id, action: 'remove', participants: [person(h, C)], actor: jid(B) };
          assert.deepEqual(seenB(), [removedC]);
          assert.deepEqual(members(h, id), [person(h, A, 'superadmin'), removedB]);
        }),
      );

      it(
        'promote and demote: every member hears; demoting the creator is 406',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B, C]);
          const seenC = watch(h, C);
          assert.deepEqual(codes(await s[0]!.promoteParticipants(id, [jid(B), jid(D)])), [200, 404]);
          assert.deepEqual(codes(await s[1]!.demoteParticipants(id, [jid(A)])), [406]);
          assert.deepEqual(codes(await s[1]!.demoteParticipants(id, [jid(B)])), [200]);
          assert.deepEqual(seenC(), [
            { type: 'group.participants', groupId: id, action: 'promote', participants: [person(h, B, 'admin')], actor: jid(A) },
            { type: 'group.participants', groupId: id, action: 'demote', participants: [person(h, B)], actor: jid(B) },
          ]);
        }),
      );

      it(
        'non-admins get 401 for every admin operation',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B, C]);
          const b = s[1]!;
          await rejectsWith(b.removeParticipants(id, [jid(C)]), 401);
          await rejectsWith(b.promoteParticipants(id, [jid(C)]), 401);
          await rejectsWith(b.demoteParticipants(id, [jid(A)]), 401);
          await rejectsWith(b.inviteCode(id), 401);
          await rejectsWith(b.revokeInvite(id), 401);
          await rejectsWith(b.updateSettings(id, { announcement: true }), 401);
          await rejectsWith(b.joinRequests(id), 401);
          await rejectsWith(b.approveJoinRequests(id, [jid(D)]), 401);
          await rejectsWith(b.rejectJoinRequests(id, [jid(D)]), 401);
        }),
      );
    });

    describe('subject, description, picture', () => {
      it(
        'subject: members hear exactly the change; 406 too long; 401 locked; allowed unlocked',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B]);
          const seenB = watch(h, B);
          await s[0]!.setSubject(id, 'Renamed');
          assert.deepEqual(seenB(), [{ type: 'group.update', groupId: id, changes: { subject: 'Renamed' }, actor: jid(A) }]);
          assert.equal(h.network.group(id)?.metadata.subject, 'Renamed');
          await rejectsWith(s[0]!.setSubject(id, 'x'.repeat(101)), 406);
          await rejectsWith(s[1]!.setSubject(id, 'by B'), 401);
          await s[0]!.updateSettings(id, { locked: false });
          await s[1]!.setSubject(id, 'by B');
          assert.equal(h.network.group(id)?.metadata.subjectOwner, jid(B));
          await rejectsWith(s[0]!.setSubject(NO_SUCH_GROUP, 'x'), 404);
        }),
      );

      it(
        'description: 400 over 2048 characters; set and removed',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B]);
          const seenB = watch(h, B);
          await rejectsWith(s[0]!.setDescription(id, 'd'.repeat(2049)), 400);
          await s[0]!.setDescription(id, 'd'.repeat(2048));
          await s[0]!.setDescription(id, '');
          assert.deepEqual(
            seenB().map((e) => e.type === 'group.update' && e.changes),
            [{ description: 'd'.repeat(2048) }, { description: '' }],
          );
          await rejectsWith(s[1]!.setDescription(id, 'by B'), 401);
        }),
      );

      it(
        'picture: admins only while locked; stored as a hash and a size',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B]);
          // JPEG-marked bytes: an engine that converts pictures may send a JPEG it cannot read as given.
          const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(1230, 7)]);
          await rejectsWith(s[1]!.setPicture(id, jpeg), 401);
          await s[0]!.setPicture(id, jpeg);
          assert.equal(h.network.group(id)?.record.picture?.size, 1234);
          await s[0]!.setPicture(id, null);
          assert.equal(h.network.group(id)?.record.picture, null);
        }),
      );
    });

    describe('settings', () => {
      it(
        'applies settings and reports only what changed; 400 for a non-standard ephemeral',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B]);
          const seenB = watch(h, B);
          await s[0]!.updateSettings(id, { announcement: true, locked: true, ephemeralSeconds: 604_800 });
          await s[0]!.updateSettings(id, { approvalMode: true, memberAddMode: 'all' });
          await rejectsWith(s[0]!.updateSettings(id, { announcement: false, ephemeralSeconds: 123 }), 400);
          assert.deepEqual(seenB(), [
            { type: 'group.update', groupId: id, changes: { announcement: true, ephemeralSeconds: 604_800 }, actor: jid(A) },
            { type: 'group.update', groupId: id, changes: { approvalMode: true, memberAddMode: 'all' }, actor: jid(A) },
          ]);
          assert.deepEqual(h.network.group(id)?.metadata.settings, { announcement: true, locked: true, memberAddMode: 'all', approvalMode: true, ephemeralSeconds: 604_800 });
        }),
      );

      it(
        'in an announcement group only admins may send (401)',
        relay,
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B]);
          await s[0]!.updateSettings(id, { announcement: true });
          await rejectsWith(s[1]!.sendText(id, 'hi'), 401);
          await s[0]!.sendText(id, 'news');
          assert.ok(
            h.events(B).some((e) => e.type === 'message' && e.text === 'news'),
            'B receives the admin message',
          );
        }),
      );
    });

    describe('invite links', () => {
      it(
        'join by code: the joiner gets the group, members hear; 304 when already in',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B]);
          const d = await h.session(D);
          const code = await s[0]!.inviteCode(id);
          const [seenB, seenD] = [watch(h, B), watch(h, D)];
          assert.deepEqual(await d.joinByCode(code), { groupId: id, pendingApproval: false });
          const [upsert, ...more] = seenD();
          assert.deepEqual(more, [], 'the joiner gets only the upsert');
          assert.ok(upsert?.type === 'group.upsert' && upsert.reason === 'joined' && upsert.group.id === id, 'D gets upsert joined');
          assert.deepEqual(seenB(), [{ type: 'group.participants', groupId: id, action: 'add', participants: [person(h, D)], actor: jid(D) }]);
          await rejectsWith(d.joinByCode(code), 304);
        }),
      );

      it(
        'revoke: the old code answers 410 forever, the new one works, unknown codes 406',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B]);
          const [d, e] = await Promise.all([h.session(D), h.session(E)]);
          const old = await s[0]!.inviteCode(id);
          const seenB = watch(h, B);
          const fresh = await s[0]!.revokeInvite(id);
          assert.match(fresh, INVITE_CODE);
          assert.notEqual(fresh, old);
          assert.deepEqual(seenB(), [{ type: 'group.invite_code', groupId: id, code: fresh, actor: jid(A) }]);
          await rejectsWith(d.joinByCode(old), 410);
          await rejectsWith(d.inviteInfo(old), 410);
          await s[0]!.revokeInvite(id);
          await rejectsWith(d.joinByCode(old), 410);
          await rejectsWith(d.joinByCode(fresh), 410);
          const current = await s[0]!.inviteCode(id);
          await rejectsWith(e.joinByCode('AAAAAAAAAAAAAAAAAAAAAA'), 406);
          await rejectsWith(e.inviteInfo('nope'), 406);
          assert.equal((await e.joinByCode(current)).groupId, id);
        }),
      );

      it(
        'inviteInfo previews without joining',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B]);
          await s[0]!.setDescription(id, 'about');
          const d = await h.session(D);
          const info = await d.inviteInfo(await s[0]!.inviteCode(id));
          assert.deepEqual(info, { id, subject: 'Team', description: 'about', owner: jid(A), creation: h.network.group(id)?.metadata.creation, size: 2, approvalMode: false });
          assert.equal(members(h, id).length, 2);
        }),
      );

      it(
        '405 joining by link after an admin removed you, until an admin adds you again',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B]);
          const code = await s[0]!.inviteCode(id);
          await s[0]!.removeParticipants(id, [jid(B)]);
          await rejectsWith(s[1]!.joinByCode(code), 405);
          await s[0]!.addParticipants(id, [jid(B)]);
          await s[1]!.leaveGroup(id);
          assert.equal((await s[1]!.joinByCode(code)).pendingApproval, false);
        }),
      );
    });

    describe('approval mode', () => {
      it(
        'a join files a request the admins see; approving lets the person in',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B]);
          await s[0]!.updateSettings(id, { approvalMode: true });
          const d = await h.session(D);
          const [seenA, seenB, seenD] = [watch(h, A), watch(h, B), watch(h, D)];
          assert.deepEqual(await d.joinByCode(await s[0]!.inviteCode(id)), { groupId: id, pendingApproval: true });
          const participant = { phoneJid: jid(D), lid: lid(h, D) };
          assert.deepEqual(seenA(), [{ type: 'group.join_request', groupId: id, action: 'created', participant, actor: jid(D), method: 'invite_link' }]);
          assert.deepEqual(seenB(), []);
          const [request] = await s[0]!.joinRequests(id);
          assert.deepEqual(request, { jid: jid(D), phoneJid: jid(D), lid: lid(h, D), requestTime: nowSec(h), method: 'invite_link' });
          assert.deepEqual(codes(await s[0]!.approveJoinRequests(id, [jid(D), jid(E)])), [200, 404]);
          assert.deepEqual(
            seenD().map((e) => e.type === 'group.upsert' && [e.reason, e.actor, e.group.id]),
            [['joined', jid(A), id]],
          );
          assert.deepEqual(seenB(), [{ type: 'group.participants', groupId: id, action: 'add', participants: [person(h, D)], actor: jid(A) }]);
          assert.deepEqual(
            seenA()
              .slice(1)
              .map((e) => (e.type === 'group.join_request' ? e.action : e.type)),
            ['group.participants', 'approved'],
          );
          assert.deepEqual(await s[0]!.joinRequests(id), []);
        }),
      );

      it(
        'rejecting drops the request; 404 for no such request',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B]);
          await s[0]!.updateSettings(id, { approvalMode: true });
          const d = await h.session(D);
          await d.joinByCode(await s[0]!.inviteCode(id));
          const seenA = watch(h, A);
          assert.deepEqual(codes(await s[0]!.rejectJoinRequests(id, [jid(D), jid(D)])), [200, 404]);
          assert.deepEqual(seenA(), [{ type: 'group.join_request', groupId: id, action: 'rejected', participant: { phoneJid: jid(D), lid: lid(h, D) }, actor: jid(A) }]);
          assert.deepEqual(await s[0]!.joinRequests(id), []);
          assert.equal(members(h, id).length, 2);
        }),
      );
    });

    describe('invites v4', () => {
      it(
        'a refused add yields an invite v4 the person accepts after receiving it',
        relay,
        withHarness(async (h) => {
          await h.network.seedAccount(D, { groupAddPrivacy: 'nobody' });
          const { id, s } = await setup(h, A, [B]);
          const d = await h.session(D);
          const [refused] = await s[0]!.addParticipants(id, [jid(D)]);
          const addRequest = refused!.addRequest!;
          const seenA = watch(h, A);
          const seenD = watch(h, D);
          const invite = { groupId: id, code: addRequest.code, expiration: addRequest.expiration, groupName: 'Team', caption: 'join us' };
          await s[0]!.sendGroupInvite(jid(D), invite);
          const [message] = seenD();
          assert.ok(message?.type === 'message' && message.from === jid(A) && message.chatId === jid(A) && !message.fromMe, 'D receives the invite');
          assert.deepEqual(message.groupInvite, invite);
          assert.deepEqual(seenA(), []);
          const afterInvite = watch(h, D);
          assert.deepEqual(await d.acceptInviteV4({ ...addRequest, groupId: id, inviter: jid(A) }), { groupId: id });
          assert.deepEqual(
            afterInvite().map((e) => e.type === 'group.upsert' && [e.reason, e.group.id]),
            [['joined', id]],
          );
          assert.deepEqual(seenA(), [{ type: 'group.participants', groupId: id, action: 'add', participants: [person(h, D)], actor: jid(D) }]);
        }),
      );

      it(
        'an invite v4 expires (410) and a newer one replaces the older (410)',
        withHarness(async (h) => {
          await h.network.seedAccount(D, { groupAddPrivacy: 'nobody' });
          const { id, s } = await setup(h, A, []);
          const d = await h.session(D);
          const first = (await s[0]!.addParticipants(id, [jid(D)]))[0]!.addRequest!;
          const second = (await s[0]!.addParticipants(id, [jid(D)]))[0]!.addRequest!;
          await rejectsWith(d.acceptInviteV4({ ...first, groupId: id, inviter: jid(A) }), 410);
          await rejectsWith(d.acceptInviteV4({ code: 'never-issued', expiration: second.expiration, groupId: id, inviter: jid(A) }), 406);
          h.advanceClock(3 * DAY * 1000);
          await rejectsWith(d.acceptInviteV4({ ...second, groupId: id, inviter: jid(A) }), 410);
        }),
      );
    });

    describe('leave', () => {
      it(
        'the leaver gets gone, the others hear leave; 403 afterwards',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B]);
          const [seenA, seenB] = [watch(h, A), watch(h, B)];
          await s[1]!.leaveGroup(id);
          assert.deepEqual(seenB(), [{ type: 'group.gone', groupId: id, reason: 'left', actor: jid(B) }]);
          assert.deepEqual(seenA(), [{ type: 'group.participants', groupId: id, action: 'leave', participants: [person(h, B)], actor: jid(B) }]);
          assert.deepEqual(await s[1]!.listGroups(), []);
          await rejectsWith(s[1]!.leaveGroup(id), 403);
          await rejectsWith(s[1]!.leaveGroup(NO_SUCH_GROUP), 404);
        }),
      );

      it(
        'when the last admin leaves, the longest-standing member becomes admin',
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B, C]);
          await s[0]!.leaveGroup(id);
          assert.deepEqual(members(h, id), [person(h, B, 'admin'), person(h, C)]);
          assert.ok(
            h.events(C).some((e) => e.type === 'group.participants' && e.action === 'promote'),
            'C hears the promotion',
          );
        }),
      );
    });

    describe('messages and contacts', () => {
      it(
        'a group text reaches every other member, never the sender; non-members 403',
        relay,
        withHarness(async (h) => {
          const { id, s } = await setup(h, A, [B, C]);
          const d = await h.session(D);
          const [seenA, seenB] = [watch(h, A), watch(h, B)];
          const sent = await s[0]!.sendText(id, 'hello');
          assert.deepEqual(seenB(), [{ type: 'message', id: sent.id, chatId: id, from: jid(A), fromMe: false, timestamp: sent.timestamp, text: 'hello' }]);
          assert.deepEqual(
            seenA().filter((e) => e.type !== 'message.status'),
            [],
            'the sender gets no copy of its own text',
          );
          for (const receipt of seenA()) assert.deepEqual(receipt.type === 'message.status' && [receipt.id, receipt.chatId], [sent.id, id], 'a receipt names the sent message');
          await rejectsWith(d.sendText(id, 'let me in'), 403);
          await d.sendText(jid(A), 'psst');
          assert.ok(
            seenA().some((e) => e.type === 'message' && e.chatId === jid(D) && e.text === 'psst'),
            'A receives the direct text',
          );
        }),
      );

      it(
        'onWhatsApp reports registration with the canonical jid and LID',
        withHarness(async (h) => {
          await h.network.seedAccount(E, { registered: false });
          const a = await h.session(A);
          assert.deepEqual(await a.onWhatsApp([B, E]), [
            { phone: B, registered: true, jid: jid(B), lid: lid(h, B) },
            { phone: E, registered: false },
          ]);
          assert.match(lid(h, B) ?? '', /^\d+@lid$/);
        }),
      );
    });
  });
}
