import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSandboxInstance, databaseKinds, startTestApp, type TestApp } from '../support/app.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

/** The value of one sample line, e.g. `name{a="b"} 3`, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.indexOf('}'));
    const have = inside.split(',');
    if (want.every((w) => have.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

for (const db of await databaseKinds()) {
  describe(`GET /metrics (${db})`, () => {
    let t: TestApp;
    let instance: Awaited<ReturnType<typeof createSandboxInstance>>;
    before(async () => {
      t = await startTestApp({ db, config: { metricsToken: METRICS_TOKEN } });
      instance = await createSandboxInstance(t);
    });
    after(() => t.close());

    describe('security', () => {
      it('answers 401 in the native envelope without a key', async () => {
        const res = await t.request({ method: 'GET', url: '/metrics', key: null });
        assert.equal(res.statusCode, 401);
        const body = res.json();
        assert.equal(body.error.code, 'unauthorized');
        assert.equal(body.requestId, res.headers['x-request-id']);
      });
      it('answers 401 for a wrong key and for a non-admin instance token', async () => {
        for (const key of ['wrong-key-0123456789abcdef', instance.token]) {
          const res = await t.request({ method: 'GET', url: '/metrics', key });
          assert.equal(res.statusCode, 401, key);
        }
      });
      it('accepts the admin key and the metrics token as a bearer token', async () => {
        for (const key of [undefined, METRICS_TOKEN]) {
          const res = await t.request({ method: 'GET', url: '/metrics', ...(key ? { key } : {}) });
          assert.equal(res.statusCode, 200);
          assert.match(String(res.headers['content-type']), /^text\/plain/);
        }
      });
    });

    describe('series', () => {
      it('counts requests by route pattern and status, with latency histograms', async () => {
        const secretish = 'ggi_not-a-real-token-but-secret-looking';
        await t.request({ method: 'GET', url: `/api/instances/${instance.id}` });
        await t.request({ method: 'GET', url: `/api/instances/${secretish}` });
        await t.request({ method: 'GET', url: `/no/such/route/${secretish}` });
        const res = await t.request({ method: 'GET', url: '/metrics', key: METRICS_TOKEN });
        const text = res.body;
        assert.ok((sample(text, 'groupgate_http_requests_total', { method: 'GET', route: '/api/instances/:id', status: '200' }) ?? 0) >= 1);
        assert.ok((sample(text, 'groupgate_http_requests_total', { method: 'GET', route: '/api/instances/:id', status: '404' }) ?? 0) >= 1);
        assert.ok((sample(text, 'groupgate_http_requests_total', { method: 'POST', route: '/api/instances', status: '201' }) ?? 0) >= 1);
        assert.ok((sample(text, 'groupgate_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }) ?? 0) >= 1);
        assert.ok(
          (sample(text, 'groupgate_http_request_duration_seconds_count', { method: 'GET', route: '/api/instances/:id', status: '200' }) ?? 0) >= 1,
          'the duration histogram counts the request by route pattern',
        );
        assert.ok(text.includes('groupgate_http_request_duration_seconds_bucket{le="0.005"'));
        assert.ok(!text.includes(secretish), 'raw URLs never become labels');
        assert.ok(!text.includes(instance.id), 'ids never become labels');
      });

      it('reports instances by status, and follows a status change', async () => {
        let text = (await t.request({ method: 'GET', url: '/metrics' })).body;
        assert.equal(sample(text, 'groupgate_instances', { status: 'connected' }), 1);
        assert.equal(sample(text, 'groupgate_instances', { status: 'logged_out' }), 0);
        const out = await t.request({ method: 'POST', url: `/api/instances/${instance.id}/logout` });
        assert.equal(out.statusCode, 200);
        text = (await t.request({ method: 'GET', url: '/metrics' })).body;
        assert.equal(sample(text, 'groupgate_instances', { status: 'connected' }), 0);
        assert.equal(sample(text, 'groupgate_instances', { status: 'logged_out' }), 1);
        const rss = /^groupgate_process_resident_memory_bytes (\d+)/m.exec(text);
        assert.ok(rss && Number(rss[1]) > 0);
      });

      it('reports operations by status, every status present', async () => {
        const text = (await t.request({ method: 'GET', url: '/metrics' })).body;
        // This suite has started no operation: each status is reported, at zero.
        const statuses = ['scheduled', 'running', 'succeeded', 'failed', 'cancelled'];
        assert.deepEqual(
          statuses.map((status) => sample(text, 'groupgate_operations', { status })),
          statuses.map(() => 0),
        );
      });

      it('reports webhook lag per subscription and deliveries by result', async () => {
        // A loopback port nothing listens on: deliveries fail and wait, nothing leaves the machine.
        const sub = await t.request({ method: 'POST', url: '/api/webhooks', payload: { url: 'http://127.0.0.1:9/hook', format: 'native' } });
        assert.equal(sub.statusCode, 201, sub.body);
        const restart = await t.request({ method: 'POST', url: `/api/instances/${instance.id}/restart` });
        assert.equal(restart.statusCode, 200);
        const text = (await t.request({ method: 'GET', url: '/metrics' })).body;
        const lag = sample(text, 'groupgate_webhook_lag_events', { subscription: sub.json().id });
        assert.ok(
          lag !== undefined && lag >= 0,
          text
            .split('\n')
            .filter((l) => l.includes('webhook'))
            .join('\n'),
        );
        assert.match(text, /^# TYPE groupgate_webhook_deliveries gauge$/m);
      });

      it('keeps one registry per app: a second app starts from zero', async () => {
        const other = await startTestApp({ db });
        try {
          const text = (await other.request({ method: 'GET', url: '/metrics' })).body;
          assert.equal(sample(text, 'groupgate_http_requests_total', { method: 'POST', route: '/api/instances', status: '201' }), undefined);
        } finally {
          await other.close();
        }
      });
    });
  });
}
