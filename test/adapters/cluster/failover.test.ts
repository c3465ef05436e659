/**
 * Three `groupgate serve` processes in cluster mode, 30 sandbox instances, a mixed workload sent
 * round-robin through every node, and one node killed with SIGKILL mid-workload.
 *
 * The nodes share the sandbox network through PostgreSQL (cluster mode turns it on), so a group
 * created through one node's emulator is known to the survivors after the takeover.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  CLUSTER_ADMIN_KEY,
  clusterAvailable,
  eventLog,
  ownedByLive,
  runWorkload,
  setUpWorkload,
  startCluster,
  startReceiver,
  until,
  type TestCluster,
} from '../../support/cluster.js';

const available = await clusterAvailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cluster: a node killed mid-workload', { skip: !available && 'PostgreSQL or Redis is unreachable', timeout: 180_000 }, () => {
  let cluster: TestCluster | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  after(async () => {
    await cluster?.close();
    await receiver?.close();
  });

  it('fails over within 30 s with every operation once, every event delivered in order, and revocations on every node', async () => {
    receiver = await startReceiver();
    cluster = await startCluster('failover');
    const c = cluster;
    const setUp = await setUpWorkload(c, receiver.url);
    const ids = setUp.instances.map((i) => i.id);

    // Spread evenly: 10 each.
    await until(
      'an even spread',
      async () => {
        const owned = await ownedByLive(c);
        const counts = [...owned.values()];
        return counts.reduce((a, b) => a + b, 0) === 30 && counts.every((n) => n === 10) && owned;
      },
      20_000,
    );

    // A key revoked on one node is refused on every node within one second.
    const key = await c.api(c.nodes[0]!, 'POST', '/api/keys', { name: 'soon revoked', instances: [ids[0]] });
    assert.equal(key.status, 201);
    for (const node of c.nodes) assert.equal((await c.api(node, 'GET', `/api/instances/${ids[0]}`, undefined, key.body.key)).status, 200);
    assert.equal((await c.api(c.nodes[1]!, 'DELETE', `/api/keys/${key.body.id}`)).status, 204);
    const revokedAt = Date.now();
    for (const node of c.nodes) {
      await until(`the revoked key refused on ${node.name}`, async () => (await c.api(node, 'GET', `/api/instances/${ids[0]}`, undefined, key.body.key)).status === 401, 1_000, 50);
    }
    assert.ok(Date.now() - revokedAt <= 1_500, 'refused on every node within about a second');

    const workload = runWorkload(c, setUp);
    await sleep(4_000);
    const victim = c.nodes[1]!;
    const killAt = Date.now();
    c.kill(victim);

    const failoverMs = await until(
      'the survivors to own every instance',
      async () => {
        const owned = await ownedByLive(c);
        return [...owned.values()].reduce((a, b) => a + b, 0) === 30 && Date.now() - killAt;
      },
      30_000,
      100,
    );
    console.log(`# failover: the killed node's instances were owned by the survivors ${failoverMs} ms after kill -9`);
    assert.ok(failoverMs <= 30_000);
    const list = await c.api(c.next(), 'GET', '/api/instances');
    for (const i of list.body.instances as { id: string; status: string; node: string | null }[]) {
      assert.equal(i.status, 'connected', `${i.id} connected`);
    }
    await until(
      'the instance views to name live nodes',
      async () => {
        const l = await c.api(c.next(), 'GET', '/api/instances');
        return (l.body.instances as { node: string | null }[]).every((i) => i.node && i.node !== victim.name);
      },
      5_000,
    );

    // Observability: /readyz and /metrics say which node runs what.
    const survivor = c.live()[0]!;
    const ready = (await fetch(`${survivor.url}/readyz`).then((r) => r.json())) as { node?: string; owned?: number };
    assert.equal(ready.node, survivor.name);
    const metrics = await fetch(`${survivor.url}/metrics`, { headers: { authorization: `Bearer ${CLUSTER_ADMIN_KEY}` } }).then((r) => r.text());
    assert.match(metrics, new RegExp(`groupgate_cluster_owned_instances\\{node="${survivor.name}"\\} ${ready.owned}`));
    assert.match(metrics, new RegExp(`groupgate_cluster_instance_owner\\{instance="[^"]+",node="${survivor.name}"\\} 1`));

    await sleep(3_000);
    await workload.stop();
    const calls = workload.calls;

    // No 5xx, except requests in flight when the node died (sent to it, or forwarded to it).
    const late5xx = calls.filter((x) => x.status >= 500 && x.startedAt > killAt + 1_000);
    assert.deepEqual(late5xx, [], 'no 5xx after the kill settled');
    const noAnswer = calls.filter((x) => x.status === -1);
    for (const x of noAnswer) assert.ok(x.node === victim.name && x.startedAt <= killAt + 100, `unanswered call not on the killed node: ${JSON.stringify(x)}`);

    // Every accepted create happened exactly once; no subject twice anywhere.
    const subjects = new Map<string, number>();
    for (const id of ids) {
      for (let offset = 0; ; offset += 100) {
        const page = await c.api(c.next(), 'GET', `/api/instances/${id}/groups?limit=100&offset=${offset}`);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        const groups = page.body.groups as { subject?: string; name?: string }[];
        for (const g of groups) {
          const s = `${id}|${g.subject ?? g.name ?? ''}`;
          subjects.set(s, (subjects.get(s) ?? 0) + 1);
        }
        if (groups.length < 100) break;
      }
    }
    // Per instance: a group is listed by its creator and by each member instance, once each.
    for (const [s, n] of subjects) assert.equal(n, 1, `group ${s} exists once`);
    // Native 201s, and Green API's 200 {created: true} (299 here marks a 200 with created: false).
    const accepted = calls.filter((x) => (x.kind === 'create' && x.status === 201) || (x.kind === 'green-create' && x.status === 200));
    for (const x of accepted) assert.equal(subjects.get(`${x.instanceId}|${x.subject}`), 1, `accepted create ${x.subject} stored once`);
    const paced = calls.filter((x) => x.kind === 'create' && x.status === 202);
    for (const x of paced) {
      const op = await until(
        `operation ${x.operationId}`,
        async () => {
          const r = await c.api(c.next(), 'GET', `/api/instances/${x.instanceId}/operations/${x.operationId}`);
          return ['succeeded', 'done', 'completed', 'failed', 'cancelled'].includes(r.body.status) && r.body;
        },
        20_000,
      );
      assert.notEqual(op.status, 'cancelled');
    }

    // Every event of the log delivered at least once, with one webhook-id per event, in order per lane.
    const log = await eventLog(c, setUp);
    await until(
      'every event delivered',
      async () => [...log].every(([id, events]) => events.every((e) => receiver!.receipts.some((r) => r.instanceId === id && r.seq === e.seq))),
      30_000,
      500,
    );
    for (const [id, events] of log) {
      const mine = receiver.receipts.filter((r) => r.instanceId === id);
      const firsts: number[] = [];
      for (const r of mine) if (!firsts.includes(r.seq)) firsts.push(r.seq);
      assert.deepEqual(
        firsts,
        [...firsts].sort((a, b) => a - b),
        `lane of ${id} in order`,
      );
      for (const e of events) {
        const got = mine.filter((r) => r.seq === e.seq);
        assert.ok(got.length >= 1, `event ${e.seq} of ${id} delivered`);
        assert.ok(
          got.every((r) => r.webhookId === e.id),
          'the same webhook-id on every attempt',
        );
      }
    }
    const duplicates = receiver.receipts.length - new Set(receiver.receipts.map((r) => r.webhookId)).size;
    const counts = {
      calls: calls.length,
      creates201: accepted.length,
      creates202: paced.length,
      status4xx: calls.filter((x) => x.status >= 400 && x.status < 500).length,
      status5xx: calls.filter((x) => x.status >= 500).length,
      unanswered: noAnswer.length,
      events: [...log.values()].reduce((a, e) => a + e.length, 0),
      deliveries: receiver.receipts.length,
      duplicates,
    };
    console.log(`# failover counts: ${JSON.stringify(counts)}`);
    const refusals = calls.filter((x) => x.status >= 400 && x.status < 500).map((x) => `${x.kind} ${x.status} ${x.error ?? ''} ${x.startedAt - killAt} ms after the kill`);
    console.log(`# failover refusals: ${JSON.stringify(refusals)}`);
  });
});
