/** The Kysely persistence adapter: a network reloaded from SQLite is the same network. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { EngineError } from '../../../../src/core/ports/engine.js';
import { createSandboxNetwork } from '../../../../src/adapters/engines/sandbox/emulator/network.js';
import { createKyselySandboxPersistence } from '../../../../src/adapters/engines/sandbox/kysely-persistence.js';

const [A, B, C, D, E, F] = ['15550000001', '15550000002', '15550000003', '15550000004', '15550000005', '15550000006'];
const jid = (phone: string) => `${phone}@s.whatsapp.net`;
const isCode = (code: number) => (error: unknown) => error instanceof EngineError && error.code === code;

describe('kysely sandbox persistence', () => {
  let db: Kysely<any>;
  const clock = { ms: Date.UTC(2025, 0, 1) };
  const open = () => createSandboxNetwork({ persistence: createKyselySandboxPersistence(db), now: () => clock.ms, groupCreateLimitPerHour: 3 });

  before(async () => {
    db = new Kysely({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    await db.schema
      .createTable('sandbox_accounts')
      .addColumn('phone', 'text', (col) => col.primaryKey())
      .addColumn('data', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createTable('sandbox_groups')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('data', 'text', (col) => col.notNull())
      .execute();
  });
  after(async () => {
    await db.destroy();
  });

  /** A persistence over the app database, counting the transactions it opens there. */
  const counting = () => {
    const opened = { transactions: 0 };
    const counted = new Proxy(db, {
      get(target, key) {
        if (key === 'transaction') opened.transactions++;
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return { persistence: createKyselySandboxPersistence(counted), opened };
  };
  const group = (id: string, subject: string) => ({ accounts: [], groups: [{ id, subject } as never], deletedGroupIds: [] });

  it('saves commits handed over together in one transaction, the later ones replacing the earlier', async () => {
    const { persistence, opened } = counting();
    await persistence.commit(group('gone@g.us', 'saved before'));
    opened.transactions = 0;
    // Handed over together: one write of what the last of them left (later ones replace earlier ones).
    await Promise.all([
      persistence.commit(group('batched@g.us', 'v1')),
      persistence.commit(group('other@g.us', 'v1')),
      persistence.commit(group('batched@g.us', 'v2')),
      persistence.commit({ accounts: [], groups: [], deletedGroupIds: ['other@g.us', 'gone@g.us'] }),
    ]);
    assert.equal(opened.transactions, 1);
    const { groups } = await persistence.load();
    assert.equal(groups.find((g) => g.id === 'batched@g.us')?.subject, 'v2');
    assert.equal(
      groups.some((g) => g.id === 'other@g.us' || g.id === 'gone@g.us'),
      false,
    );
    await db.deleteFrom('sandbox_groups').where('id', '=', 'batched@g.us').execute();
  });

  it('writes handed over together are one statement per table when they only save: no transaction around it', async () => {
    const { persistence, opened } = counting();
    await persistence.commit({ accounts: [], groups: [], deletedGroupIds: ['again@g.us'] });
    opened.transactions = 0;
    await Promise.all([
      persistence.commit(group('one@g.us', 'v1')),
      persistence.commit(group('two@g.us', 'v1')),
      persistence.commit({ accounts: [], groups: [], deletedGroupIds: ['one@g.us'] }),
      // Saved again after its deletion in the same batch: saved.
      persistence.commit(group('one@g.us', 'v2')),
      persistence.commit(group('two@g.us', 'v2')),
    ]);
    assert.equal(opened.transactions, 0, 'one multi-row upsert, atomic on its own');
    const { groups } = await persistence.load();
    assert.deepEqual(
      groups.filter((g) => g.id === 'one@g.us' || g.id === 'two@g.us').map((g) => [g.id, g.subject]),
      [
        ['one@g.us', 'v2'],
        ['two@g.us', 'v2'],
      ],
    );
    await db.deleteFrom('sandbox_groups').where('id', 'in', ['one@g.us', 'two@g.us']).execute();
  });

  it('a reloaded network has the same accounts, LIDs, groups, codes and recently-left state', async () => {
    const first = open();
    await first.load();
    await first.seedAccount(E, { registered: false });
    await first.seedAccount(D, { groupAddPrivacy: 'contacts', contacts: [B] });
    const { group } = await first.as(A).createGroup('Team', [jid(B), jid(C), jid(D)], { description: 'about' });
    const oldCode = await first.as(A).inviteCode(group.id);
    const newCode = await first.as(A).revokeInvite(group.id);
    await first.as(B).leaveGroup(group.id);
    await first.as(A).removeParticipants(group.id, [jid(C)]);
    await first.as(A).updateSettings(group.id, { approvalMode: true, ephemeralSeconds: 86_400 });
    await first.as(A).setPicture(group.id, Buffer.from('picture'));
    assert.equal((await first.as(F).joinByCode(newCode)).pendingApproval, true);
    const emptied = (await first.as(A).createGroup('Gone', [])).group.id;
    await first.as(A).leaveGroup(emptied);

    const second = open();
    await second.load();
    for (const phone of [A, B, C, D, E, F]) assert.deepEqual(second.getAccount(phone), first.getAccount(phone));
    assert.match(second.getAccount(B).lid ?? '', /@lid$/);
    assert.deepEqual(second.groupIds(), [group.id]);
    assert.deepEqual(second.group(group.id), first.group(group.id));
    assert.equal(second.group(group.id)?.record.picture?.size, 7);

    await assert.rejects(second.as(D).inviteInfo(oldCode), isCode(410));
    assert.equal((await second.as(C).inviteInfo(newCode)).id, group.id);
    await assert.rejects(second.as(C).joinByCode(newCode), isCode(405));
    assert.deepEqual(await second.as(A).joinRequests(group.id), await first.as(A).joinRequests(group.id));
    assert.equal((await second.as(A).joinRequests(group.id))[0]?.phoneJid, jid(F));
    // The rolling-hour creation count is stored on the account: 2 before the restart, 1 more allowed.
    await second.as(A).createGroup('Third', []);
    await assert.rejects(second.as(A).createGroup('Fourth', []), isCode(429));
    assert.deepEqual(
      (await second.as(A).addParticipants(group.id, [jid(B)])).map((r) => r.code),
      [408],
    );
    clock.ms += 3_600_000;
    assert.deepEqual(
      (await second.as(A).addParticipants(group.id, [jid(B)])).map((r) => r.code),
      [200],
    );
  });
});
