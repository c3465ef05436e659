/** Phone-number-addressed groups through the double: what Baileys is given to send keeps the group's own addressing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BinaryNode } from 'baileys';
import { makeDoubleHarness } from './double/harness.js';

const [A, B] = ['15550000001', '15550000002'] as const;
const jid = (phone: string) => `${phone}@s.whatsapp.net`;
const kids = (n: BinaryNode | undefined, tag: string): BinaryNode[] => (Array.isArray(n?.content) ? n.content.filter((c) => c.tag === tag) : []);

describe('baileys phone-number-addressed groups', () => {
  it('phone-number-addressed group: after an add, the metadata Baileys sends with names the new member by phone number, never by LID', async () => {
    const h = await makeDoubleHarness({ addressing: 'pn' });
    try {
      const [a] = [await h.session(A), await h.session(B)];
      const { group } = await a.createGroup('Team', []);
      await a.addParticipants(group.id, [jid(B)]);
      const start = h.double.received(A).length;
      await a.sendText(group.id, 'hello');
      const sent = h.double.received(A).slice(start);
      const asked = sent
        .filter((n) => n.tag === 'iq' && n.attrs.xmlns === 'usync')
        .flatMap((n) => kids(kids(kids(n, 'usync')[0], 'list')[0], 'user').map((u) => u.attrs.jid ?? ''));
      const message = sent.find((n) => n.tag === 'message' && n.attrs.to === group.id);
      const to = kids(kids(message, 'participants')[0], 'to').map((t) => t.attrs.jid ?? '');
      assert.deepEqual(
        [...asked, ...to].filter((j) => j.endsWith('@lid')),
        [],
      );
    } finally {
      await h.close();
    }
  });
});
