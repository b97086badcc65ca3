import { Registry as MetricsRegistry } from 'prom-client';
import type { ActorSystem, Logger } from '../../actors/index.ts';
import type { Middleware } from '../middleware/middleware.ts';
import type { NodeComponent } from '../node-tree.ts';
import type { Registry } from '../registry/registry.ts';
import { createHealthChecks, type HealthChecks } from './health.ts';
import { logsDebug, requestLogMiddleware } from './logger.ts';
import { metricsMiddleware, nodeCollectors } from './metrics.ts';
import { OpsServer } from './ops-server.ts';
import { type TracingOptions, tracingMiddleware } from './tracing.ts';

export interface OpsOptions {
  /** `host:port` of the operations port (/metrics, /health/live, /health/ready); port 0 picks one. Off unless set. @default env MICRO_OPS_ADDRESS */
  address?: string;
  /** Collect metrics in the node's own registry (served at /metrics). @default true */
  metrics?: boolean;
}

/** The operations settings of a node, from its options and environment. */
export interface OpsSettings {
  tracing: TracingOptions | undefined;
  address: string | undefined;
  metrics: boolean;
}

/** `tracing` and `ops` options, then MICRO_OPS_ADDRESS: everything is off unless asked for. */
export function resolveOpsSettings(options: { tracing?: boolean | TracingOptions; ops?: OpsOptions }, env: NodeJS.ProcessEnv): OpsSettings {
  const tracing = options.tracing === true ? {} : options.tracing === false ? undefined : options.tracing;
  const address = options.ops?.address ?? env.MICRO_OPS_ADDRESS;
  const metrics = (options.ops !== undefined || address !== undefined) && options.ops?.metrics !== false;
  return { tracing, address, metrics };
}

/** A node's operations: `node.health`, and `node.ops`. */
export interface NodeOps {
  readonly health: HealthChecks;
  /** The node's own prom-client registry, when metrics are on. */
  readonly metrics: MetricsRegistry | undefined;
  /** The operations port's bound `host:port`, once it listens. */
  readonly address: string | undefined;
}

/** What the node's parts tell the operations concern. */
export interface OpsSources {
  system: ActorSystem;
  registry: Registry;
  log: Logger;
  connections(): number;
  /** The node's own readiness conditions: a failure text, or undefined when it holds. */
  conditions: Readonly<Record<string, () => string | undefined>>;
}

/** The middleware (first in the node's list) and components (last in its tree) of a node's operations. */
export interface OpsPlan {
  readonly ops: NodeOps;
  readonly middleware: readonly Middleware[];
  readonly components: readonly NodeComponent[];
}

export function planOps(settings: OpsSettings, sources: OpsSources): OpsPlan {
  const health = createHealthChecks(sources.conditions);
  const metrics = settings.metrics ? new MetricsRegistry() : undefined;
  const middleware: Middleware[] = [];
  if (settings.tracing !== undefined) middleware.push(tracingMiddleware(settings.tracing));
  if (metrics !== undefined) middleware.push(metricsMiddleware(metrics));
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
  const server = settings.address === undefined ? undefined : new OpsServer({ address: settings.address, health, metrics, log: sources.log });
  if (server !== undefined) components.push(server);
  return {
    ops: {
      health,
      metrics,
      get address() {
        return server?.address;
      },
    },
    middleware,
    components,
  };
}
