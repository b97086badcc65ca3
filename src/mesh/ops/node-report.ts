/**
 * What a node tells about itself over the mesh (`micro inspect`, `micro health`, the dashboard): its actor tree with
 * mailbox depths and restart counts, the services it serves, its call counts, and its readiness. Every list is
 * bounded, so the answer stays small whatever the node holds.
 */
import type { Registry as MetricsRegistry } from 'prom-client';
import type { ActorSystem } from '../../actors/index.ts';
import { kernelOf } from '../../actors/internal.ts';
import type { ActorSnapshot } from '../../actors/snapshot.ts';
import type { Service as RegisteredService } from '../registry/registry.ts';
import type { CheckResult, HealthChecks } from './health.ts';

export type { ActorSnapshot };

/** Bounds of a report. */
export const REPORT_LIMITS = { actors: 2000, depth: 16, services: 256, endpoints: 64, calls: 512, checks: 64, text: 300 } as const;

export interface ServiceReport {
  readonly name: string;
  readonly version: string;
  readonly endpoints: readonly { readonly name: string; readonly stream: boolean }[];
}

/** Inbound unary calls since the node started (needs metrics on). */
export interface CallCount {
  readonly service: string;
  readonly endpoint: string;
  readonly total: number;
  readonly errors: number;
}

export interface NodeReport {
  readonly id: string;
  readonly address: string;
  /** Epoch ms when the report was made. */
  readonly time: number;
  /** The actor tree from the root (`/user`, `/system`), breadth-first up to the limits. */
  readonly tree: ActorSnapshot;
  readonly actors: number;
  readonly truncated: boolean;
  readonly deadLetters: number;
  readonly services: readonly ServiceReport[];
  readonly calls: readonly CallCount[];
}

export interface HealthReport {
  readonly id: string;
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, CheckResult>>;
}

/** What a report is made from. */
export interface ReportSources {
  system: ActorSystem;
  address(): string;
  registrations(): readonly RegisteredService[];
  metrics: MetricsRegistry | undefined;
  health: HealthChecks;
}

const clip = (text: string): string => (text.length > REPORT_LIMITS.text ? `${text.slice(0, REPORT_LIMITS.text)}…` : text);

async function callCounts(metrics: MetricsRegistry | undefined): Promise<CallCount[]> {
  const histogram = metrics?.getSingleMetric('rpc_server_call_duration_seconds');
  if (histogram === undefined) return [];
  const counts = new Map<string, { service: string; endpoint: string; total: number; errors: number }>();
  for (const v of (await histogram.get()).values) {
    if ((v as { metricName?: string }).metricName !== 'rpc_server_call_duration_seconds_count') continue;
    const { service, endpoint, status } = v.labels as Record<string, string>;
    const key = `${service}\u0000${endpoint}`;
    let c = counts.get(key);
    if (c === undefined) {
      if (counts.size >= REPORT_LIMITS.calls) continue;
      c = { service: String(service), endpoint: String(endpoint), total: 0, errors: 0 };
      counts.set(key, c);
    }
    c.total += v.value;
    if (status !== 'OK') c.errors += v.value;
  }
  return [...counts.values()];
}

export async function nodeReport(s: ReportSources): Promise<NodeReport> {
  const tree = kernelOf(s.system).snapshot({ maxActors: REPORT_LIMITS.actors, maxDepth: REPORT_LIMITS.depth });
  const services = s.registrations().slice(0, REPORT_LIMITS.services).map((r) => ({
    name: r.name,
    version: r.version,
    endpoints: r.endpoints.slice(0, REPORT_LIMITS.endpoints).map((e) => ({ name: e.name, stream: e.metadata.stream === 'true' })),
  }));
  return {
    id: s.system.nodeId,
    address: s.address(),
    time: Date.now(),
    tree: tree.root,
    actors: tree.actors,
    truncated: tree.truncated,
    deadLetters: s.system.stats().deadLetters,
    services,
    calls: await callCounts(s.metrics),
  };
}

export async function healthReport(id: string, health: HealthChecks): Promise<HealthReport> {
  const r = await health.readiness();
  const checks: Record<string, CheckResult> = {};
  for (const [name, c] of Object.entries(r.checks).slice(0, REPORT_LIMITS.checks)) checks[clip(name)] = c.error === undefined ? c : { ...c, error: clip(c.error) };
  return { id, ready: r.ready, checks };
}
