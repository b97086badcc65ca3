import { Counter, Gauge, Histogram, type Registry as MetricsRegistry } from 'prom-client';
import type { ActorSystem } from '../../actors/index.ts';
import { MicroError } from '../errors.ts';
import type { Middleware } from '../middleware/middleware.ts';
import type { Registry } from '../registry/registry.ts';
import { type MetricName, Metrics } from './metric-names.ts';

/** Seconds, from 0.5 ms to 10 s: in-process calls take microseconds, remote ones milliseconds. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function histogram(registry: MetricsRegistry, name: MetricName): Histogram {
  const spec = Metrics[name];
  return new Histogram({ name, help: spec.help, labelNames: [...spec.labels], buckets: DURATION_BUCKETS, registers: [registry] });
}

function counter(registry: MetricsRegistry, name: MetricName): Counter {
  const spec = Metrics[name];
  return new Counter({ name, help: spec.help, labelNames: [...spec.labels], registers: [registry] });
}

function gauge(registry: MetricsRegistry, name: MetricName, collect?: (g: Gauge) => void | Promise<void>): Gauge {
  const spec = Metrics[name];
  return new Gauge({
    name,
    help: spec.help,
    labelNames: [...spec.labels],
    registers: [registry],
    collect: collect === undefined ? undefined : function (this: Gauge) {
      return collect(this);
    },
  });
}

function statusOf(err: unknown): string {
  return MicroError.from(err).reason;
}

/** A supervisor's path with instance slots and ids (segments with digits) folded to `*`, so labels stay few. */
export function supervisorKind(actorPath: string): string {
  const parts = actorPath.split('/').filter((p) => p.length > 0);
  parts.pop();
  return `/${parts.map((p) => (/\d/.test(p) ? '*' : p)).join('/')}`;
}

/** Calls `run`, then `done` with OK or the error reason, whether `run` returns a value or a promise. */
function timed<T>(run: () => T, done: (status: string) => void): T {
  let out: T;
  try {
    out = run();
  } catch (err) {
    done(statusOf(err));
    throw err;
  }
  if (out instanceof Promise) {
    return out.then(
      (v: unknown) => {
        done('OK');
        return v;
      },
      (err: unknown) => {
        done(statusOf(err));
        throw err;
      },
    ) as T;
  }
  done('OK');
  return out;
}

/**
 * The call, stream and actor message metrics of one node, in `registry` (the node's own, never prom-client's
 * global one): call duration histograms, open streams, remote actor messages.
 */
export function metricsMiddleware(registry: MetricsRegistry): Middleware {
  const client = histogram(registry, 'rpc_client_call_duration_seconds');
  const server = histogram(registry, 'rpc_server_call_duration_seconds');
  const streams = gauge(registry, 'rpc_streams_open');
  const sent = counter(registry, 'actor_remote_messages_sent_total');
  const received = counter(registry, 'actor_remote_messages_received_total');
  return {
    name: 'metrics',
    call: (next) => (call) => {
      const end = client.startTimer({ service: call.service, endpoint: call.endpoint });
      return timed(
        () => next(call),
        (status) => end({ status }),
      );
    },
    handler: (next) => (request, ctx) => {
      const end = server.startTimer({ service: ctx.service, endpoint: ctx.endpoint });
      return timed(
        () => next(request, ctx),
        (status) => end({ status }),
      );
    },
    stream: (next) => async (call) => {
      const labels = { side: 'client', service: call.service, endpoint: call.endpoint };
      const stream = await next(call);
      streams.inc(labels);
      stream.whenClosed(() => streams.dec(labels));
      return stream;
    },
    serveStream: (next) => (stream, ctx) => {
      const labels = { side: 'server', service: ctx.service, endpoint: ctx.endpoint };
      streams.inc(labels);
      return timed(
        () => next(stream, ctx),
        () => streams.dec(labels),
      );
    },
    send: (next) => (message) => {
      sent.inc();
      next(message);
    },
    receive: (next) => (message) => {
      received.inc();
      next(message);
    },
  };
}

/** What the node-level collectors read. */
export interface NodeCollectorSources {
  system: ActorSystem;
  registry: Registry;
  /** Connections to other nodes open now. */
  connections(): number;
}

/**
 * Collectors of node state: dead letters and restarts (from the system event stream), connections and registry
 * size (read at scrape time). Returns a function that stops listening to the events.
 */
export function nodeCollectors(registry: MetricsRegistry, sources: NodeCollectorSources): () => void {
  const deadLetters = counter(registry, 'actor_dead_letters_total');
  const restarts = counter(registry, 'actor_restarts_total');
  gauge(registry, 'mesh_connections', (g) => g.set(sources.connections()));
  gauge(registry, 'registry_services', async (g) => {
    const services = await sources.registry.listServices().catch(() => undefined);
    if (services !== undefined) g.set(new Set(services.map((s) => s.name)).size);
  });
  const offs = [
    sources.system.events.on('dead-letter', (e) => deadLetters.inc({ reason: e.reason })),
    sources.system.events.on('actor-restarted', (e) => restarts.inc({ supervisor: supervisorKind(e.actor) })),
  ];
  return () => {
    for (const off of offs) off();
  };
}
