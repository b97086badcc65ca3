import { Registry as MetricsRegistry } from 'prom-client';
import type { ActorSystem, Logger } from '../../actors/index.ts';
import { kernelOf } from '../../actors/internal.ts';
import type { MeshClient } from '../client/client.ts';
import type { Middleware } from '../middleware/middleware.ts';
import type { NodeComponent } from '../node-tree.ts';
import type { Registry, Service as RegisteredService } from '../registry/registry.ts';
import type { Service } from '../service.ts';
import { DashboardFeed } from './dashboard/feed.ts';
import { dashboardPage } from './dashboard/page.ts';
import { createHealthChecks, type HealthChecks } from './health.ts';
import { logsDebug, requestLogMiddleware } from './logger.ts';
import { createMessagingCounters, type MessagingMetrics, noMessagingMetrics } from './messaging-metrics.ts';
import { type ConnectionView, metricsMiddleware, nodeCollectors } from './metrics.ts';
import { inspectNode, nodeService } from './node-service.ts';
import { OpsServer } from './ops-server.ts';
import { type TracingOptions, tracingMiddleware } from './tracing.ts';

export interface OpsOptions {
  /** `host:port` of the operations port (/metrics, /health/live, /health/ready, the dashboard); port 0 picks one. Off unless set. @default env MICRO_OPS_ADDRESS */
  address?: string;
  /** Collect metrics in the node's own registry (served at /metrics). @default true */
  metrics?: boolean;
  /**
   * Answer `Node.Inspect` (the actor tree, services and call counts) to callers on the mesh: `micro inspect` and the
   * dashboards of other nodes. @default env MICRO_OPS_INSPECT, else true when operations are on (this option or MICRO_OPS_ADDRESS)
   */
  inspect?: boolean;
  /** Serve the dashboard at the operations port's `/`. @default true */
  dashboard?: boolean;
}

/** The operations settings of a node, from its options and environment. */
export interface OpsSettings {
  tracing: TracingOptions | undefined;
  address: string | undefined;
  metrics: boolean;
  inspect: boolean;
  dashboard: boolean;
}

/** `tracing` and `ops` options, then MICRO_OPS_ADDRESS and MICRO_OPS_INSPECT: everything is off unless asked for. */
export function resolveOpsSettings(options: { tracing?: boolean | TracingOptions; ops?: OpsOptions }, env: NodeJS.ProcessEnv): OpsSettings {
  const tracing = options.tracing === true ? {} : options.tracing === false ? undefined : options.tracing;
  const address = options.ops?.address ?? env.MICRO_OPS_ADDRESS;
  const on = options.ops !== undefined || address !== undefined;
  const metrics = on && options.ops?.metrics !== false;
  const envInspect = env.MICRO_OPS_INSPECT === undefined ? undefined : env.MICRO_OPS_INSPECT === 'true' || env.MICRO_OPS_INSPECT === '1';
  const inspect = options.ops?.inspect ?? envInspect ?? on;
  return { tracing, address, metrics, inspect, dashboard: options.ops?.dashboard !== false };
}

/** A node's operations: `node.health`, and `node.ops`. */
export interface NodeOps {
  readonly health: HealthChecks;
  /** The node's own prom-client registry, when metrics are on. */
  readonly metrics: MetricsRegistry | undefined;
  /** Where a broker or event stream reports redeliveries and dead letters (does nothing with metrics off). */
  readonly messaging: MessagingMetrics;
  /** The operations port's bound `host:port`, once it listens. */
  readonly address: string | undefined;
}

/** What the node's parts tell the operations concern. */
export interface OpsSources {
  system: ActorSystem;
  registry: Registry;
  log: Logger;
  /** The node's connections to other nodes. */
  connections(): Iterable<ConnectionView>;
  /** The address peers dial. */
  address(): string;
  /** The services this node registered. */
  registrations(): readonly RegisteredService[];
  /** The node's client (asked for other nodes' reports by the dashboard). */
  client(): MeshClient;
  /** The node's own readiness conditions: a failure text, or undefined when it holds. */
  conditions: Readonly<Record<string, () => string | undefined>>;
}

/** The middleware (first in the node's list), components (last in its tree) and node service of a node's operations. */
export interface OpsPlan {
  readonly ops: NodeOps;
  readonly middleware: readonly Middleware[];
  readonly components: readonly NodeComponent[];
  /** `micromesh.node` with `Node.Health` and `Node.Inspect`: what the node registers as itself. */
  readonly nodeService: Service;
}

export function planOps(settings: OpsSettings, sources: OpsSources): OpsPlan {
  const clock = kernelOf(sources.system).clock;
  const health = createHealthChecks(sources.conditions, clock);
  const metrics = settings.metrics ? new MetricsRegistry() : undefined;
  const messaging = metrics === undefined ? undefined : createMessagingCounters(metrics);
  const middleware: Middleware[] = [];
  if (settings.tracing !== undefined) middleware.push(tracingMiddleware(settings.tracing));
  if (metrics !== undefined) middleware.push(metricsMiddleware(metrics, messaging));
  if ((settings.tracing !== undefined || metrics !== undefined) && logsDebug(sources.log)) middleware.push(requestLogMiddleware());
  const components: NodeComponent[] = [];
  if (metrics !== undefined) {
    let stop: (() => void) | undefined;
    const collectors: NodeComponent = {
      name: 'metrics',
      start: () => {
        stop ??= nodeCollectors(metrics, sources);
      },
      stop: () => {
        stop?.();
        stop = undefined;
      },
    };
    components.push(collectors);
  }
  const feed = (): DashboardFeed =>
    new DashboardFeed({ registry: sources.registry, clock, log: sources.log, inspect: (id, timeoutMs) => inspectNode(sources.client(), id, timeoutMs) });
  const dashboard = settings.dashboard ? { page: dashboardPage(sources.system.nodeId), feed: feed() } : undefined;
  const server = settings.address === undefined ? undefined : new OpsServer({ address: settings.address, health, metrics, log: sources.log, dashboard });
  if (server !== undefined) components.push(server);
  return {
    ops: {
      health,
      metrics,
      messaging: messaging ?? noMessagingMetrics,
      get address() {
        return server?.address;
      },
    },
    middleware,
    components,
    nodeService: nodeService({ ...sources, health, metrics, inspect: settings.inspect }),
  };
}
