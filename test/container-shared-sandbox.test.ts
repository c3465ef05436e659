/** Two nodes (containers and apps) on one PostgreSQL place with `sharedSandbox`: one sandbox network. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Container } from '../src/container.js';
import { createLogger } from '../src/logger.js';
import { bootOnPlace, dropPlace, freshPlace, type Place } from '../testkit/place.js';
import { ADMIN_KEY, PG_URL, postgresAvailable } from './support/app.js';

describe('containers with a shared sandbox network', { skip: !(await postgresAvailable()) && 'PostgreSQL unreachable' }, () => {
  let place: Place;
  const nodes: { core: Container; app: FastifyInstance }[] = [];
  const headers = { authorization: `Bearer ${ADMIN_KEY}` };

  before(async () => {
    place = freshPlace('postgres', 'sbnodes', PG_URL);
    for (let i = 0; i < 2; i++) {
      const logger = createLogger('silent', { pretty: false });
      const { core, app } = await bootOnPlace(place, { logger, config: { adminKey: ADMIN_KEY }, sharedSandbox: true });
      await app.ready();
      nodes.push({ core, app });
    }
  });
  after(async () => {
    for (const { core, app } of nodes) {
      await app.close();
      await core.close();
    }
    await dropPlace(place);
  });

  it('an account seeded through one node is read through the other', async () => {
    const [one, two] = nodes;
    const put = await one!.app.inject({ method: 'PUT', url: '/api/sandbox/accounts/+15557770001', headers, payload: { registered: true, groupAddPrivacy: 'nobody', name: 'Ana' } });
    assert.equal(put.statusCode, 200);
    const got = await two!.app.inject({ method: 'GET', url: '/api/sandbox/accounts/+15557770001', headers });
    assert.equal(got.statusCode, 200);
    assert.equal(got.json().groupAddPrivacy, 'nobody');
    assert.equal(got.json().name, 'Ana');
    assert.equal(got.json().lid, put.json().lid);
  });

  it("a group made on one node's network is in the other's", async () => {
    const [one, two] = nodes;
    const { group } = await one!.core.sandbox.as('15557770002').createGroup('Across', ['15557770003@s.whatsapp.net']);
    const listed = await two!.core.sandbox.as('15557770003').listGroups();
    assert.deepEqual(
      listed.map((g) => g.id),
      [group.id],
    );
  });
});
