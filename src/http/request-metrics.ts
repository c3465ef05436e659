/**
 * The HTTP request counter and latency histogram, tallied per (method, route, status) in plain
 * arrays and turned into prom-client's export format only when scraped. prom-client's own
 * `inc`/`observe` validate and hash the labels on every call, which costs more per request than
 * the rest of the metrics path; the text served at `/metrics` is the same.
 */
import type { Registry } from 'prom-client';

type Labels = { method: string; route: string; status: string };

interface Tally {
  labels: Labels;
  count: number;
  sum: number;
  /** Per bucket, not cumulative. */
  buckets: Float64Array;
}

interface Value {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
  sharedLabels?: Record<string, string>;
}

export interface RequestMetrics {
  /** Counts one answered request that took `seconds`. */
  observe(method: string, route: string, status: number, seconds: number): void;
}

/** Registers `groupgate_http_requests_total` and `groupgate_http_request_duration_seconds` on `registry`. */
export function registerRequestMetrics(registry: Registry, names: { counter: string; histogram: string }, help: { counter: string; histogram: string }, bounds: number[]) {
  // method -> route -> status -> tally: no string building per request.
  const tallies = new Map<string, Map<string, Map<number, Tally>>>();
  const all: Tally[] = [];

  const observe: RequestMetrics['observe'] = (method, route, status, seconds) => {
    let byRoute = tallies.get(method);
    if (!byRoute) tallies.set(method, (byRoute = new Map()));
    let byStatus = byRoute.get(route);
    if (!byStatus) byRoute.set(route, (byStatus = new Map()));
    let tally = byStatus.get(status);
    if (!tally) {
      tally = { labels: { method, route, status: String(status) }, count: 0, sum: 0, buckets: new Float64Array(bounds.length) };
      byStatus.set(status, tally);
      all.push(tally);
    }
    tally.count++;
    tally.sum += seconds;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]!) {
        tally.buckets[i]!++;
        break;
      }
    }
  };

  const counter = {
    name: names.counter,
    help: help.counter,
    type: 'counter',
    aggregator: 'sum',
    getForPromString() {
      return { name: names.counter, help: help.counter, type: 'counter', aggregator: 'sum', values: all.map((t): Value => ({ labels: t.labels, value: t.count })) };
    },
    get() {
      return counter.getForPromString();
    },
    reset() {},
  };

  const histogramValues = (splay: boolean): Value[] => {
    const out: Value[] = [];
    const at = (le: Record<string, string | number>, value: number, metricName: string, labels: Labels): Value =>
      splay ? { labels: { ...le, ...labels }, value, metricName } : { labels: le, value, metricName, sharedLabels: labels };
    for (const t of all) {
      let acc = 0;
      for (let i = 0; i < bounds.length; i++) {
        acc += t.buckets[i]!;
        out.push(at({ le: bounds[i]! }, acc, `${names.histogram}_bucket`, t.labels));
      }
      out.push(at({ le: '+Inf' }, t.count, `${names.histogram}_bucket`, t.labels));
      out.push(at({}, t.sum, `${names.histogram}_sum`, t.labels));
      out.push(at({}, t.count, `${names.histogram}_count`, t.labels));
    }
    return out;
  };
  const histogram = {
    name: names.histogram,
    help: help.histogram,
    type: 'histogram',
    aggregator: 'sum',
    getForPromString: () => ({ name: names.histogram, help: help.histogram, type: 'histogram', aggregator: 'sum', values: histogramValues(false) }),
    get: () => ({ name: names.histogram, help: help.histogram, type: 'histogram', aggregator: 'sum', values: histogramValues(true) }),
    reset() {},
  };

  const register = registry.registerMetric.bind(registry) as (metric: unknown) => void;
  register(counter);
  register(histogram);
  return { observe };
}
