/**
 * Faults a real WhatsApp connection produces, injected by the double into real Baileys sockets.
 * Each test is named after the fault and its code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineEvent } from '../../../../src/core/ports/engine.js';
import { EngineError } from '../../../../src/core/ports/engine.js';
import { makeDoubleHarness, type DoubleHarness } from './double/harness.js';

const [A, B] = ['15550000001', '15550000002'] as const;
const jid = (phone: string) => `${phone}@s.whatsapp.net`;
/** Short, so an unanswered query fails fast; Baileys' own default is shortened the same way. */
// Long enough for a loaded machine to answer a query in time; short enough that stalled-query cases stay quick.
const QUERY_TIMEOUT_MS = 1500;

async function withDouble(fn: (h: DoubleHarness) => Promise<void>, known: string[] = []): Promise<void> {
  const h = await makeDoubleHarness({
    engine: { queryTimeoutMs: QUERY_TIMEOUT_MS, knownGroupIds: async () => known },
    socketConfig: { defaultQueryTimeoutMs: QUERY_TIMEOUT_MS },
  });
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

const gone = (events: EngineEvent[]) => events.filter((e) => e.type === 'group.gone');
const rejectsWith = (call: Promise<unknown>, code: number) =>
  assert.rejects(call, (err: unknown) => {
    assert.ok(err instanceof EngineError, `expected EngineError ${code}, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });

/** Reconnects A (stream error 515, restart required) and waits until the resync after it finished. */
async function restart(h: DoubleHarness): Promise<void> {
  const session = h.baileys(A)!;
  const before = session.connectAttempts;
  await h.double.streamError(A, 515);
  await session.whenStatus((s) => s.status === 'connected' && session.connectAttempts > before);
  await h.waitConnected(session);
  await session.settled();
}

describe('baileys faults at the wire', () => {
  it('unanswered query: the resync after a reconnect keeps every stored group (no group.gone)', async () => {
    const known: string[] = [];
    await withDouble(async (h) => {
      const a = await h.session(A);
      const { group } = await a.createGroup('Team', []);
      known.push(group.id);
      h.double.fault({ match: { xmlns: 'w:g2', child: 'participating' }, action: { kind: 'never-answer' } });
      const start = h.events(A).length;
      await restart(h);
      assert.deepEqual(gone(h.events(A).slice(start)), []);
      assert.equal(a.status().status, 'connected');
    }, known);
  });

  it('stream closed mid-query (xmlstreamend): the resync reports no group gone and the close is handled at once', async () => {
    const known: string[] = [];
    await withDouble(async (h) => {
      const a = await h.session(A);
      const { group } = await a.createGroup('Team', []);
      known.push(group.id);
      const session = h.baileys(A)!;
      h.double.fault({ match: { xmlns: 'w:g2', child: 'participating' }, action: { kind: 'close-stream' }, times: 1 });
      const start = h.events(A).length;
      await h.double.streamError(A, 515);
      await session.whenStatus((s) => s.status === 'disconnected');
      await session.settled();
      assert.deepEqual(gone(h.events(A).slice(start)), []);
      assert.match(session.status().reason, /retrying/);
    }, known);
  });

  it('unanswered query: setSubject, settings and adds fail with 408 instead of succeeding or reporting 404', async () => {
    await withDouble(async (h) => {
      const [a] = [await h.session(A), await h.session(B)];
      const { group } = await a.createGroup('Team', []);
      h.double.fault({ match: { xmlns: 'w:g2' }, action: { kind: 'never-answer' } });
      await rejectsWith(a.setSubject(group.id, 'New'), 408);
      await rejectsWith(a.updateSettings(group.id, { announcement: true }), 408);
      await rejectsWith(a.addParticipants(group.id, [jid(B)]), 408);
      await rejectsWith(a.createGroup('Second', [jid(B)]), 408);
      assert.equal(h.network.group(group.id)?.metadata.subject, 'Team');
    });
  });

  it('unanswered contact query: onWhatsApp fails with 408 instead of reporting every number unregistered', async () => {
    await withDouble(async (h) => {
      const a = await h.session(A);
      h.double.fault({ match: { xmlns: 'usync' }, action: { kind: 'never-answer' } });
      await rejectsWith(a.onWhatsApp([B]), 408);
    });
  });

  it('rate-overlimit 429 on a group IQ: that operation pauses 1 minute, then doubling, without asking again; others go on', async () => {
    await withDouble(async (h) => {
      const a = await h.session(A);
      const { group } = await a.createGroup('Team', []);
      h.double.fault({ match: { xmlns: 'w:g2', child: 'query' }, action: { kind: 'error', code: 429 } });
      const asked = () => h.double.received(A).filter((n) => n.tag === 'iq' && Array.isArray(n.content) && n.content[0]?.tag === 'query').length;
      const paused = (seconds: number) => (err: unknown) => err instanceof EngineError && err.code === 429 && new RegExp(`paused for ${seconds} s`).test(err.message);
      await rejectsWith(a.groupMetadata(group.id), 429);
      const first = asked();
      await assert.rejects(a.groupMetadata(group.id), paused(60));
      assert.equal(asked(), first, 'the paused call never reached WhatsApp');
      assert.match(await a.inviteCode(group.id), /^[A-Za-z0-9_-]{22}$/);
      h.advanceClock(60_000);
      await rejectsWith(a.groupMetadata(group.id), 429);
      assert.equal(asked(), first + 1);
      await assert.rejects(a.groupMetadata(group.id), paused(120));
    });
  });

  it('slow answer: an answer held back arrives and the call succeeds', async () => {
    await withDouble(async (h) => {
      const a = await h.session(A);
      const { group } = await a.createGroup('Team', []);
      let release!: () => void;
      h.double.fault({ match: { xmlns: 'w:g2', child: 'subject' }, action: { kind: 'hold', release: new Promise<void>((r) => (release = r)) } });
      const call = a.setSubject(group.id, 'Later');
      await h.double.waitFor(A, (n) => Array.isArray(n.content) && n.content[0]?.tag === 'subject');
      release();
      await call;
      assert.equal(h.network.group(group.id)?.metadata.subject, 'Later');
    });
  });

  it('conflict 440 replaced: disconnected with the reason, no reconnect', async () => {
    await withDouble(async (h) => {
      await h.session(A);
      const session = h.baileys(A)!;
      const attempts = session.connectAttempts;
      await h.double.streamError(A, 440);
      await session.whenStatus((s) => s.status === 'disconnected');
      assert.match(session.status().reason, /connection replaced/);
      assert.equal(session.connectAttempts, attempts);
    });
  });

  it('stream error 515 restart required: reconnects at once and resyncs', async () => {
    await withDouble(async (h) => {
      const a = await h.session(A);
      await a.createGroup('Team', []);
      const start = h.events(A).length;
      await restart(h);
      assert.ok(
        h
          .events(A)
          .slice(start)
          .some((e) => e.type === 'group.upsert' && e.reason === 'sync'),
        'the resync reports the group',
      );
    });
  });

  for (const code of [401, 403, 406]) {
    it(`stream error ${code}: logged out, keys wiped, never retried`, async () => {
      await withDouble(async (h) => {
        await h.session(A);
        const session = h.baileys(A)!;
        await h.double.streamError(A, code);
        await session.whenStatus((s) => s.status === 'logged_out');
        assert.equal(await h.auth.readCreds(h.instanceId(A)), undefined);
      });
    });
  }

  for (const code of [408, 411, 428, 500, 503]) {
    it(`stream error ${code}: disconnected with a backoff retry`, async () => {
      await withDouble(async (h) => {
        await h.session(A);
        const session = h.baileys(A)!;
        await h.double.streamError(A, code);
        await session.whenStatus((s) => s.status === 'disconnected');
        assert.match(session.status().reason, /retrying in \d+ s/);
      });
    });
  }

  it('login failure 401 (device unlinked from the phone): logged out', async () => {
    await withDouble(async (h) => {
      const a = await h.session(A);
      await a.close();
      h.double.unlink(A);
      await a.connect().catch(() => undefined);
      await h.baileys(A)!.whenStatus((s) => s.status === 'logged_out');
    });
  });
});

describe('baileys invites and pictures', () => {
  it('group without a picture (item-not-found 404 on the picture query): the invite v4 message is still sent', async () => {
    await withDouble(async (h) => {
      const [a] = [await h.session(A), await h.session(B)];
      const { group } = await a.createGroup('Team', []);
      const code = await a.inviteCode(group.id);
      const sent = await a.sendGroupInvite(jid(B), { groupId: group.id, code, expiration: 1_900_000_000, groupName: 'Team', caption: 'join us' });
      assert.ok(sent.id, 'a message id');
      const asked = h.double.received(A).map((n) => (n.tag === 'iq' ? n.attrs.xmlns : n.tag));
      const picture = asked.indexOf('w:profile:picture');
      assert.ok(picture >= 0, 'the picture was asked for (and refused)');
      assert.ok(asked.slice(picture).includes('usync'), 'the send went on to look up the devices');
    });
  });
});

describe('baileys pictures', () => {
  it('setPicture with bytes the image library cannot convert (not a JPEG): 400, nothing sent to WhatsApp', async () => {
    await withDouble(async (h) => {
      const a = await h.session(A);
      const { group } = await a.createGroup('Team', []);
      await rejectsWith(a.setPicture(group.id, Buffer.from('not an image at all')), 400);
      assert.ok(!h.double.received(A).some((n) => n.tag === 'iq' && n.attrs.xmlns === 'w:profile:picture' && n.attrs.type === 'set'));
      assert.equal(h.network.group(group.id)?.record.picture, null);
    });
  });
});

describe('baileys own LID', () => {
  it('own LID: a LID-addressed removal naming us only by LID (no phone_number) is our group.gone', async () => {
    await withDouble(async (h) => {
      await h.session(B);
      await h.session(A);
      const [lidA, lidB] = [h.network.getAccount(A).lid!, h.network.getAccount(B).lid!];
      const groupId = '120363000000000099@g.us';
      const start = h.events(A).length;
      await h.double.notify(A, {
        tag: 'notification',
        attrs: { from: groupId, type: 'w:gp2', participant: lidB, participant_pn: jid(B), addressing_mode: 'lid', t: '1735689600' },
        content: [{ tag: 'remove', attrs: {}, content: [{ tag: 'participant', attrs: { jid: lidA } }] }],
      });
      await h.baileys(A)!.settled();
      assert.deepEqual(h.events(A).slice(start), [{ type: 'group.gone', groupId, reason: 'removed', actor: jid(B) }]);
    });
  });
});

describe('baileys groups flagged dirty by WhatsApp', () => {
  it('dirty groups notification: the refetched groups reach the core as group.upsert (sync)', async () => {
    await withDouble(async (h) => {
      const a = await h.session(A);
      const { group } = await a.createGroup('Team', []);
      const start = h.events(A).length;
      const refetched = h.double.waitFor(A, (n) => n.tag === 'iq' && Array.isArray(n.content) && n.content[0]?.tag === 'clean');
      await h.double.send(A, { tag: 'ib', attrs: { from: 's.whatsapp.net' }, content: [{ tag: 'dirty', attrs: { type: 'groups', timestamp: '1735689600' } }] });
      await refetched;
      await h.baileys(A)!.settled();
      const seen = h.events(A).slice(start);
      assert.ok(
        seen.some((e) => e.type === 'group.upsert' && e.reason === 'sync' && e.group.id === group.id && e.group.subject === 'Team'),
        JSON.stringify(seen),
      );
    });
  });
});
