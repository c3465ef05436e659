/** The sandbox engine adapter: connection life cycle around the shared network. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineEvent } from '../../../../src/core/ports/engine.js';
import { EngineError } from '../../../../src/core/ports/engine.js';
import { createMemoryPersistence } from '../../../../src/adapters/engines/sandbox/emulator/memory-persistence.js';
import { createSandboxNetwork } from '../../../../src/adapters/engines/sandbox/emulator/network.js';
import { createSandboxEngineFactory } from '../../../../src/adapters/engines/sandbox/sandbox-engine.js';

const [A, B] = ['15550000001', '15550000002'];
const isCode = (code: number) => (error: unknown) => error instanceof EngineError && error.code === code;

function setup() {
  const network = createSandboxNetwork({ persistence: createMemoryPersistence() });
  const factory = createSandboxEngineFactory(network);
  const open = async (instanceId: string, phone: string) => {
    const events: EngineEvent[] = [];
    const session = await factory.create({ instanceId, phone, sink: async (event) => void events.push(event) });
    return { session, events };
  };
  return { network, factory, open };
}

describe('sandbox engine', () => {
  it('is kind sandbox and needs a phone', async () => {
    const { factory } = setup();
    assert.equal(factory.kind, 'sandbox');
    await assert.rejects(factory.create({ instanceId: 'x', sink: async () => undefined }), TypeError);
  });

  it('answers 428 before connecting, and connect/close/logout are idempotent', async () => {
    const { network, open } = setup();
    const { session, events } = await open('i1', A);
    assert.equal(session.status().status, 'disconnected');
    await assert.rejects(session.createGroup('g', []), isCode(428));
    await session.connect();
    await session.connect();
    assert.equal(network.isAttached(A), true);
    await session.close();
    await session.close();
    assert.equal(network.isAttached(A), false);
    await session.connect();
    await session.logout();
    await session.logout();
    assert.deepEqual(
      events.map((event) => event.type === 'connection' && `${event.status}/${event.phone}`),
      [`connected/${A}`, `disconnected/${A}`, `connected/${A}`, `logged_out/${A}`],
    );
    await assert.rejects(session.listGroups(), isCode(428));
  });

  it('two instances of one network see each other at once', async () => {
    const { open } = setup();
    const a = await open('ia', A);
    const b = await open('ib', B);
    await a.session.connect();
    await b.session.connect();
    const { group } = await a.session.createGroup('shared', [`${B}@s.whatsapp.net`]);
    assert.ok(
      b.events.some((event) => event.type === 'group.upsert' && event.group.id === group.id),
      'B got the group',
    );
    assert.deepEqual(
      (await b.session.listGroups()).map((g) => g.id),
      [group.id],
    );
  });

  it('closing an older session of a phone does not detach the newer one', async () => {
    const { network, open } = setup();
    const older = await open('old', A);
    const newer = await open('new', A);
    await older.session.connect();
    await newer.session.connect();
    await older.session.close();
    assert.equal(network.isAttached(A), true);
    await network.as(B).sendText(`${A}@s.whatsapp.net`, 'hi');
    assert.equal(newer.events.filter((event) => event.type === 'message').length, 1);
  });

  it('destroy detaches quietly and keeps the number in its groups', async () => {
    const { network, factory, open } = setup();
    const a = await open('ia', A);
    await a.session.connect();
    const { group } = await a.session.createGroup('g', []);
    const before = a.events.length;
    await factory.destroy?.('ia');
    assert.equal(network.isAttached(A), false);
    assert.equal(a.events.length, before);
    assert.equal(network.group(group.id)?.metadata.participants.length, 1);
  });
});
