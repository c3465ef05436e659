/**
 * A rolling deploy: each of three nodes is stopped gracefully (SIGTERM: its instances handed over
 * at once) and started again, one after the other, under the mixed workload; nothing is lost.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { clusterAvailable, eventLog, ownedByLive, runWorkload, setUpWorkload, startCluster, startReceiver, until, type TestCluster } from '../../support/cluster.js';

const available = await clusterAvailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cluster: a rolling restart', { skip: !available && 'PostgreSQL or Redis is unreachable', timeout: 240_000 }, () => {
  let cluster: TestCluster | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  after(async () => {
    await cluster?.close();
    await receiver?.close();
  });

  it('restarts every node one by one under load with nothing lost', async () => {
    receiver = await startReceiver();
    cluster = await startCluster('rolling');
    const c = cluster;
    const setUp = await setUpWorkload(c, receiver.url);
    const ids = setUp.instances.map((i) => i.id);
    const allOwned = async () => [...(await ownedByLive(c)).values()].reduce((a, b) => a + b, 0) === 30;
    await until('every instance owned', allOwned, 20_000);

    // Lighter than the failover test's: three process starts under load are the slow part here.
    const workload = runWorkload(c, setUp, 2, 100);
    const handovers: number[] = [];
    for (const node of c.nodes) {
      await sleep(1_500);
      const stoppedAt = Date.now();
      const restarting = c.restart(node);
      // The survivors hold every instance again soon after the graceful stop (no lease to wait out).
      await until('the survivors to own every instance', async () => !node.alive && (await allOwned()) && true, 30_000, 100).catch(() => undefined);
      handovers.push(Date.now() - stoppedAt);
      await restarting;
      await until(`${node.name} to take its share again`, async () => ((await ownedByLive(c)).get(node.name) ?? 0) > 0, 20_000);
    }
    await sleep(1_500);
    await workload.stop();
    console.log(`# rolling restart: every instance owned again within ${JSON.stringify(handovers)} ms of each SIGTERM`);
    const calls = workload.calls;

    assert.deepEqual(
      calls.filter((x) => x.status >= 500 || x.status === -1),
      [],
      'no 5xx and no unanswered request during a rolling restart',
    );
    const subjects = new Map<string, number>();
    for (const id of ids) {
      for (let offset = 0; ; offset += 100) {
        const page = await c.api(c.next(), 'GET', `/api/instances/${id}/groups?limit=100&offset=${offset}`);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        const groups = page.body.groups as { name?: string }[];
        for (const g of groups) subjects.set(`${id}|${g.name}`, (subjects.get(`${id}|${g.name}`) ?? 0) + 1);
        if (groups.length < 100) break;
      }
    }
    for (const [s, n] of subjects) assert.equal(n, 1, `group ${s} exists once`);
    // Native 201s, and Green API's 200 {created: true} (299 here marks a 200 with created: false).
    const accepted = calls.filter((x) => (x.kind === 'create' && x.status === 201) || (x.kind === 'green-create' && x.status === 200));
    for (const x of accepted) assert.equal(subjects.get(`${x.instanceId}|${x.subject}`), 1, `accepted create ${x.subject} stored once`);

    const log = await eventLog(c, setUp);
    await until(
      'every event delivered',
      async () => [...log].every(([id, events]) => events.every((e) => receiver!.receipts.some((r) => r.instanceId === id && r.seq === e.seq))),
      30_000,
      500,
    );
    for (const [id] of log) {
      const seqs: number[] = receiver.receipts.filter((r) => r.instanceId === id).map((r) => r.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        `lane of ${id} in order`,
      );
    }
    const duplicates = receiver.receipts.length - new Set(receiver.receipts.map((r) => r.webhookId)).size;
    console.log(
      `# rolling counts: ${JSON.stringify({ calls: calls.length, creates201: accepted.length, status4xx: calls.filter((x) => x.status >= 400 && x.status < 500).length, events: [...log.values()].reduce((a, e) => a + e.length, 0), deliveries: receiver.receipts.length, duplicates })}`,
    );
    assert.equal(duplicates, 0, 'a graceful hand-over sends no webhook twice');
  });
});
