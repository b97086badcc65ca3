/**
 * Messaging metrics: published and consumed messages are counted by the metrics middleware's `publish` and
 * `subscribe` hooks; redeliveries and dead letters happen inside a broker or an event stream, which reports them
 * through `node.ops.messaging`. Topics are labels, capped at {@link MAX_TOPICS} distinct values per node.
 */
import { Counter, type Registry as MetricsRegistry } from 'prom-client';
import { MicroError } from '../errors.ts';
import type { Middleware } from '../middleware/middleware.ts';
import { createLabelCap } from './labels.ts';
import { type MetricName, Metrics } from './metric-names.ts';

/** Distinct topic label values a node keeps; later topics are counted as `other`. */
export const MAX_TOPICS = 256;

/**
 * What a broker or event stream reports about deliveries: `node.ops.messaging`. Without metrics on, the calls do
 * nothing. Name the topic (or stream subject) as subscribers know it, never a per-message id.
 * @example
 * // in a broker, when a consumer's handler failed and the message goes out again
 * node.ops.messaging.redelivered('orders.created');
 * // when it failed its last delivery and moves to the dead-letter topic
 * node.ops.messaging.deadLettered('orders.created');
 */
export interface MessagingMetrics {
  /** A message of `topic` is delivered again after a failed or unacknowledged delivery. */
  redelivered(topic: string): void;
  /** A message of `topic` is given up on: moved to a dead-letter topic, or dropped. */
  deadLettered(topic: string): void;
}

/** The counters behind {@link MessagingMetrics}, and the middleware hooks that count publishes and deliveries. */
export interface MessagingCounters extends MessagingMetrics {
  readonly hooks: Pick<Middleware, 'publish' | 'subscribe'>;
}

/** Does nothing: `node.ops.messaging` of a node without metrics. */
export const noMessagingMetrics: MessagingMetrics = { redelivered: () => {}, deadLettered: () => {} };

function counter(registry: MetricsRegistry, name: MetricName): Counter {
  const spec = Metrics[name];
  return new Counter({ name, help: spec.help, labelNames: [...spec.labels], registers: [registry] });
}

/** Messaging counters in `registry`. */
export function createMessagingCounters(registry: MetricsRegistry): MessagingCounters {
  const topicOf = createLabelCap(MAX_TOPICS);
  const published = counter(registry, 'messaging_published_total');
  const consumed = counter(registry, 'messaging_consumed_total');
  const redeliveries = counter(registry, 'messaging_redeliveries_total');
  const deadLetters = counter(registry, 'messaging_dead_letters_total');
  const counted = async (run: () => Promise<void>, c: Counter, topic: string): Promise<void> => {
    try {
      await run();
      c.inc({ topic: topicOf(topic), status: 'OK' });
    } catch (err) {
      c.inc({ topic: topicOf(topic), status: MicroError.from(err).reason });
      throw err;
    }
  };
  return {
    redelivered: (topic) => redeliveries.inc({ topic: topicOf(topic) }),
    deadLettered: (topic) => deadLetters.inc({ topic: topicOf(topic) }),
    hooks: {
      publish: (next) => (p) => counted(() => next(p), published, p.topic),
      subscribe: (next) => (d) => counted(() => next(d), consumed, d.topic),
    },
  };
}
