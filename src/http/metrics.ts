/**
 * `GET /metrics` in Prometheus text format: HTTP traffic by route pattern and status, instances by
 * status, operations by status, webhook deliveries by result and event-log lag per subscription.
 * Each app owns its registry (never prom-client's global one), so several apps can live in one
 * process. Features that may be absent (operations, webhooks) are looked up at scrape time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Gauge, Registry } from 'prom-client';
import type { ApiServices } from './deps.js';
import { OPERATION_STATUSES } from '../core/operations/operation-model.js';
import { presentedKey } from './auth.js';
import { errorBody } from './errors.js';
import { registerRequestMetrics } from './request-metrics.js';

const INSTANCE_STATUSES = ['starting', 'qr', 'pairing', 'connected', 'disconnected', 'logged_out', 'failed'];

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time string comparison (on hashes, so lengths never leak). */
function secretEquals(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/** Adds up entries by key (the lag comes per subscription and instance; the series is per subscription). */
function summed(entries: [string, number][]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, n] of entries) out.set(k, (out.get(k) ?? 0) + n);
  return out;
}

/** Sets a labelled gauge to exactly these values (labels absent now go back to 0 or disappear). */
function setAll(gauge: Gauge<string>, label: string, values: Map<string, number>, always: readonly string[] = []): void {
  gauge.reset();
  for (const key of always) gauge.set({ [label]: key }, 0);
  for (const [key, n] of values) gauge.set({ [label]: key }, n);
}

/** Installs the request metrics hooks and the `GET /metrics` route on the root app. */
/** What the metrics endpoint reads, and the optional token that may scrape it besides the admin key. */
export interface MetricsDeps {
  services: Pick<ApiServices, 'access' | 'instances' | 'stats' | 'webhooks' | 'limiter' | 'cluster'>;
  metricsToken?: string;
}

export function installMetrics(app: FastifyInstance, deps: MetricsDeps): void {
  const core = deps.services;
  const registry = new Registry();

  const requests = registerRequestMetrics(
    registry,
    { counter: 'groupgate_http_requests_total', histogram: 'groupgate_http_request_duration_seconds' },
    {
      counter: 'HTTP requests answered, by method, route pattern and status',
      histogram: 'Time to answer an HTTP request, by method, route pattern and status',
    },
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );

  new Gauge({
    name: 'groupgate_instances',
    help: 'Instances by connection status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      setAll(this, 'status', await core.instances.countByStatus(), INSTANCE_STATUSES);
    },
  });
  new Gauge({
    name: 'groupgate_operations',
    help: 'Paced operations by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      setAll(this, 'status', await core.stats.operationsByStatus(), OPERATION_STATUSES);
    },
  });
  new Gauge({
    name: 'groupgate_webhook_deliveries',
    help: 'Webhook deliveries by result',
    labelNames: ['result'],
    registers: [registry],
    async collect() {
      setAll(this, 'result', await core.stats.deliveriesByStatus());
    },
  });
  new Gauge({
    name: 'groupgate_webhook_lag_events',
    help: 'Events in the log not yet delivered, per webhook subscription',
    labelNames: ['subscription'],
    registers: [registry],
    async collect() {
      setAll(this, 'subscription', summed((await core.webhooks.lag()).map(({ subscriptionId, lag }) => [subscriptionId, lag] as [string, number])));
    },
  });
  if (core.cluster.clustered) {
    const cluster = core.cluster;
    new Gauge({
      name: 'groupgate_cluster_owned_instances',
      help: 'Cluster mode: instances whose session this node runs',
      labelNames: ['node'],
      registers: [registry],
      collect() {
        this.reset();
        this.set({ node: cluster.nodeId }, cluster.owned().length);
      },
    });
    new Gauge({
      name: 'groupgate_cluster_instance_owner',
      help: 'Cluster mode: 1 for each instance this node runs, labelled with the instance and the node',
      labelNames: ['instance', 'node'],
      registers: [registry],
      collect() {
        this.reset();
        for (const id of cluster.owned()) this.set({ instance: id, node: cluster.nodeId }, 1);
      },
    });
  }
  new Gauge({
    name: 'groupgate_process_resident_memory_bytes',
    help: 'Resident set size of the server process',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });

  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    // The route pattern, never the URL: provider dialects carry tokens in their paths.
    requests.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const secret = presentedKey(request);
    const token = deps.metricsToken;
    const allowed = !!secret && ((token !== undefined && secretEquals(secret, token)) || (await isAdmin(core, secret)));
    if (!allowed) {
      // Counted like every refused credential: an address guessing the metrics token is slowed down too.
      const wait = await core.limiter.fail(request.ip);
      if (wait > 0) {
        return reply
          .code(429)
          .header('retry-after', String(wait))
          .send(errorBody(request.id, 'too_many_auth_failures', 'too many failed authentications from this address; try again later'));
      }
      return reply.code(401).send(errorBody(request.id, 'unauthorized', 'send the admin key or GROUPGATE_METRICS_TOKEN as Authorization: Bearer <token>'));
    }
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}

async function isAdmin(core: MetricsDeps['services'], secret: string): Promise<boolean> {
  const principal = await core.access.authenticate(secret);
  return !!principal && core.access.isAdmin(principal);
}
