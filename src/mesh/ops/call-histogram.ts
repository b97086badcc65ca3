/**
 * A histogram of call durations by service, endpoint and status, made for the call path: an observation is one map
 * lookup and a few additions (prom-client's own Histogram validates and hashes its labels on every observation).
 * It registers in a prom-client registry like any metric and prints the same Prometheus text: cumulative `_bucket`
 * lines with `le`, then `_sum` and `_count`.
 */
import type { Registry as MetricsRegistry } from 'prom-client';

interface Series {
  readonly labels: { service: string; endpoint: string; status: string };
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export class CallHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
    registry: MetricsRegistry,
  ) {
    registry.registerMetric(this as never);
  }

  /** Records `seconds` for one call. */
  observe(service: string, endpoint: string, status: string, seconds: number): void {
    const key = `${service}\u0000${endpoint}\u0000${status}`;
    let s = this.#series.get(key);
    if (s === undefined) {
      s = { labels: { service, endpoint, status }, buckets: new Float64Array(this.bounds.length), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= (bounds[i] as number)) {
        (s.buckets[i] as number)++;
        break;
      }
    }
    s.sum += seconds;
    s.count++;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const values: MetricValue[] = [];
    for (const s of this.#series.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.buckets[i] as number;
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.#series.clear();
  }
}
