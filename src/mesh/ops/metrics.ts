import { Counter, Gauge, type Registry as MetricsRegistry } from 'prom-client';
import type { ActorSystem } from '../../actors/index.ts';
import { kernelOf } from '../../actors/internal.ts';
import { MicroError } from '../errors.ts';
import type { Middleware } from '../middleware/middleware.ts';
import type { Registry } from '../registry/registry.ts';
import { CallHistogram } from './call-histogram.ts';
import { actorKind, createLabelCap, supervisorKind } from './labels.ts';
import { createMessagingCounters, type MessagingCounters } from './messaging-metrics.ts';
import { type MetricName, Metrics } from './metric-names.ts';

export { supervisorKind };

/** Distinct actor kinds a node keeps as label values; later ones are counted as `other`. */
export const MAX_ACTOR_KINDS = 200;
/** Actors a scrape walks to sum mailbox depths. */
const MAX_ACTORS_SCRAPED = 100_000;

/** Seconds, from 0.5 ms to 10 s: in-process calls take microseconds, remote ones milliseconds. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function histogram(registry: MetricsRegistry, name: MetricName): CallHistogram {
  return new CallHistogram(name, Metrics[name].help, DURATION_BUCKETS, registry);
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
 * The call, stream, actor message and messaging metrics of one node, in `registry` (the node's own, never
 * prom-client's global one): call duration histograms, open streams, remote actor messages, publishes and
 * deliveries (counted in `messaging`, which also takes a broker's redeliveries and dead letters).
 */
export function metricsMiddleware(registry: MetricsRegistry, messaging: MessagingCounters = createMessagingCounters(registry)): Middleware {
  const client = histogram(registry, 'rpc_client_call_duration_seconds');
  const server = histogram(registry, 'rpc_server_call_duration_seconds');
  const streams = gauge(registry, 'rpc_streams_open');
  const sent = counter(registry, 'actor_remote_messages_sent_total');
  const received = counter(registry, 'actor_remote_messages_received_total');
  return {
    name: 'metrics',
    call: (next) => (call) => {
      const t0 = performance.now();
      return timed(
        () => next(call),
        (status) => client.observe(call.service, call.endpoint, status, (performance.now() - t0) / 1000),
      );
    },
    handler: (next) => (request, ctx) => {
      const t0 = performance.now();
      return timed(
        () => next(request, ctx),
        (status) => server.observe(ctx.service, ctx.endpoint, status, (performance.now() - t0) / 1000),
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
    ...messaging.hooks,
  };
}

/** A connection as the collectors see it. */
export interface ConnectionView {
  readonly dialer: boolean;
  /** The other node's id (or what identifies it before it is proven). */
  readonly name: string;
}

/** What the node-level collectors read. */
export interface NodeCollectorSources {
  system: ActorSystem;
  registry: Registry;
  /** Connections to other nodes open now. */
  connections(): Iterable<ConnectionView>;
}

/**
 * Collectors of node state: dead letters by actor kind and restarts by supervisor (from the system event stream);
 * mailbox depths, connections, peers and registry size (read at scrape time). Returns a function that stops
 * listening to the events.
 */
export function nodeCollectors(registry: MetricsRegistry, sources: NodeCollectorSources): () => void {
  const kindOf = createLabelCap(MAX_ACTOR_KINDS);
  const deadLetters = counter(registry, 'actor_dead_letters_total');
  const restarts = counter(registry, 'actor_restarts_total');
  gauge(registry, 'actor_mailbox_depth', (g) => {
    const depths = new Map<string, number>();
    const walk = (a: ActorSnapshotLike): void => {
      const kind = kindOf(actorKind(a.path));
      depths.set(kind, (depths.get(kind) ?? 0) + a.mailbox);
      for (const c of a.children) walk(c);
    };
    walk(kernelOf(sources.system).snapshot({ maxActors: MAX_ACTORS_SCRAPED, maxDepth: 64 }).root);
    g.reset();
    for (const [kind, depth] of depths) g.set({ kind }, depth);
  });
  gauge(registry, 'mesh_connections', (g) => {
    let dialed = 0;
    let accepted = 0;
    for (const c of sources.connections()) c.dialer ? dialed++ : accepted++;
    g.set({ direction: 'dialed' }, dialed);
    g.set({ direction: 'accepted' }, accepted);
  });
  gauge(registry, 'mesh_peers', (g) => g.set(new Set([...sources.connections()].map((c) => c.name)).size));
  const listing = (): Promise<Awaited<ReturnType<Registry['listServices']>> | undefined> => sources.registry.listServices().catch(() => undefined);
  gauge(registry, 'registry_services', async (g) => {
    const services = await listing();
    if (services !== undefined) g.set(new Set(services.map((s) => s.name)).size);
  });
  gauge(registry, 'registry_nodes', async (g) => {
    const services = await listing();
    if (services !== undefined) g.set(new Set(services.flatMap((s) => s.nodes.map((n) => n.id))).size);
  });
  const offs = [
    sources.system.events.on('dead-letter', (e) => deadLetters.inc({ kind: kindOf(actorKind(e.recipient)), reason: e.reason })),
    sources.system.events.on('actor-restarted', (e) => restarts.inc({ supervisor: kindOf(supervisorKind(e.actor)) })),
  ];
  return () => {
    for (const off of offs) off();
  };
}

interface ActorSnapshotLike {
  readonly path: string;
  readonly mailbox: number;
  readonly children: readonly ActorSnapshotLike[];
}
