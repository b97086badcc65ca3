/**
 * The NATS micro-services discovery protocol (ADR-32) for a node's services: `$SRV.PING|INFO|STATS`, alone or with a
 * service name and an id, answered with `io.nats.micro.v1.*_response` JSON, so `nats micro ls|info|stats` and any
 * NATS client see micromesh services. Each micromesh service on a node is one NATS service instance whose id is the
 * node id; a name NATS does not allow (dots) is shown with `_` and its real name in `metadata["micromesh.name"]`.
 */
import type { NatsConnection, Subscription } from 'nats';
import type { Logger } from '../../actors/index.ts';
import { NODE_SERVICE } from '../../mesh/client/resolver.ts';
import type { Middleware } from '../../mesh/middleware/middleware.ts';
import type { Service } from '../../mesh/registry/registry.ts';
import type { TransportNode } from '../../mesh/transport/transport.ts';
import { subjectToken } from './wire.ts';

/** One endpoint's counters, as `$SRV.STATS` reports them. */
interface EndpointStats {
  num_requests: number;
  num_errors: number;
  last_error: string;
  processing_time: number;
}

const VERBS = new Set(['PING', 'INFO', 'STATS']);
const SEMVER = /^\d+\.\d+\.\d+(?:[-+].*)?$/;

export interface NatsDiscovery {
  /** Counts every inbound call and stream per endpoint. */
  readonly middleware: Middleware;
  close(): void;
}

/** Subscribes to `$SRV.>` and answers for `node`'s services until closed. */
export function serveNatsDiscovery(nc: NatsConnection, node: TransportNode, log: Logger): NatsDiscovery {
  const started = new Date().toISOString();
  const id = subjectToken(node.nodeId);
  const stats = new Map<string, Map<string, EndpointStats>>();
  const statsOf = (service: string, endpoint: string): EndpointStats => {
    let byEndpoint = stats.get(service);
    if (byEndpoint === undefined) stats.set(service, (byEndpoint = new Map()));
    let s = byEndpoint.get(endpoint);
    if (s === undefined) byEndpoint.set(endpoint, (s = { num_requests: 0, num_errors: 0, last_error: '', processing_time: 0 }));
    return s;
  };
  const describe = (verb: string, service: Service): Record<string, unknown> => {
    const base = {
      type: `io.nats.micro.v1.${verb.toLowerCase()}_response`,
      name: subjectToken(service.name),
      id,
      version: SEMVER.test(service.version) ? service.version : '0.0.0',
      metadata: { ...service.metadata, 'micromesh.name': service.name, 'micromesh.version': service.version, 'micromesh.node': node.nodeId },
    };
    if (verb === 'PING') return base;
    // Endpoints are called through micromesh, not by a plain request on a subject of their own: none is given.
    const endpoints = service.endpoints.map((e) => ({ name: e.name, subject: '', queue_group: '', metadata: { ...e.metadata } }));
    if (verb === 'INFO') return { ...base, description: `micromesh service ${service.name}`, endpoints };
    return {
      ...base,
      started,
      endpoints: endpoints.map(({ metadata: _m, ...e }) => {
        const s = stats.get(service.name)?.get(e.name) ?? { num_requests: 0, num_errors: 0, last_error: '', processing_time: 0 };
        const average = s.num_requests === 0 ? 0 : Math.round(s.processing_time / s.num_requests);
        return { ...e, ...s, processing_time: Math.round(s.processing_time), average_processing_time: average };
      }),
    };
  };
  const sub: Subscription = nc.subscribe('$SRV.>', {
    callback: (err, msg) => {
      if (err !== null || !msg.reply) return;
      const [, verb, name, wantId, extra] = msg.subject.split('.');
      if (verb === undefined || !VERBS.has(verb) || extra !== undefined) return;
      if (wantId !== undefined && wantId !== id) return;
      for (const service of node.services()) {
        if (service.name === NODE_SERVICE) continue;
        if (name !== undefined && name !== subjectToken(service.name)) continue;
        try {
          nc.publish(msg.reply, JSON.stringify(describe(verb, service)));
        } catch (e) {
          log.warn({ err: e, subject: msg.subject }, 'nats: cannot answer discovery');
        }
      }
    },
  });
  const done = (s: EndpointStats, t0: number): void => {
    s.processing_time += (performance.now() - t0) * 1e6;
  };
  const failed = (s: EndpointStats, t0: number, err: unknown): void => {
    done(s, t0);
    s.num_errors++;
    s.last_error = err instanceof Error ? err.message.slice(0, 256) : String(err).slice(0, 256);
  };
  const count = <A extends unknown[], R>(next: (...args: A) => R, ctxAt: number) => (...args: A): R => {
    const ctx = args[ctxAt] as { service: string; endpoint: string };
    const s = statsOf(ctx.service, ctx.endpoint);
    s.num_requests++;
    const t0 = performance.now();
    let out: R;
    try {
      out = next(...args);
    } catch (err) {
      failed(s, t0, err);
      throw err;
    }
    if (!(out instanceof Promise)) {
      done(s, t0);
      return out;
    }
    return out.then(
      (v: unknown) => {
        done(s, t0);
        return v;
      },
      (err: unknown) => {
        failed(s, t0, err);
        throw err;
      },
    ) as R;
  };
  const middleware: Middleware = {
    name: 'nats-discovery-stats',
    handler: (next) => count(next, 1),
    serveStream: (next) => count(next, 1),
  };
  return {
    middleware,
    close: () => {
      if (!nc.isClosed()) sub.unsubscribe();
    },
  };
}
