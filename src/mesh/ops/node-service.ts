/**
 * The endpoints every node serves under `micromesh.node`: `Node.Health` (its readiness, always answered) and
 * `Node.Inspect` (its actor tree, services and call counts; answered only when inspection is on, else 403).
 * They go through the node's middleware like any endpoint, so an auth middleware gates them as it gates the
 * rest (a rule for `micromesh.node/Node.Inspect`). One instance serves them, so a flood of inspect requests waits
 * in one mailbox instead of taking the node's CPU.
 */
import type { MeshClient } from '../client/client.ts';
import { NODE_SERVICE } from '../client/resolver.ts';
import { MicroError } from '../errors.ts';
import { PROTOCOL_VERSION } from '../protocol.ts';
import type { RegistryNode } from '../registry/registry.ts';
import type { Selector } from '../selector/selector.ts';
import { defineService, type Service } from '../service.ts';
import type { HealthChecks } from './health.ts';
import { type HealthReport, healthReport, type NodeReport, nodeReport, type ReportSources } from './node-report.ts';

export const HEALTH_ENDPOINT = 'Node.Health';
export const INSPECT_ENDPOINT = 'Node.Inspect';

export interface NodeServiceSources extends ReportSources {
  health: HealthChecks;
  /** Whether `Node.Inspect` answers. */
  inspect: boolean;
}

/** The node's own service: its registration under `micromesh.node` carries these endpoints. */
export function nodeService(s: NodeServiceSources): Service {
  return defineService({
    name: NODE_SERVICE,
    version: String(PROTOCOL_VERSION),
    endpoints: {
      [HEALTH_ENDPOINT]: { idempotent: true, handler: () => healthReport(s.system.nodeId, s.health) },
      [INSPECT_ENDPOINT]: {
        idempotent: true,
        handler: () => {
          if (!s.inspect) throw new MicroError('FORBIDDEN', `inspection is off on node ${s.system.nodeId} (turn it on with ops: { inspect: true } or MICRO_OPS_INSPECT=true)`);
          return nodeReport(s);
        },
      },
    },
  });
}

/** A selector that picks only the node `id`: a call to it fails rather than go elsewhere. */
export function onlyNode(id: string): Selector {
  return { select: (nodes: readonly RegistryNode[]) => nodes.find((n) => n.id === id) };
}

/** Asks node `id` for its report. */
export function inspectNode(client: MeshClient, id: string, timeoutMs: number): Promise<NodeReport> {
  return client.call<NodeReport>(NODE_SERVICE, INSPECT_ENDPOINT, {}, { selector: onlyNode(id), retries: 0, timeoutMs });
}

/** Asks node `id` whether it is ready. A node that does not answer, or is draining, is not ready. */
export async function nodeHealth(client: MeshClient, id: string, timeoutMs: number): Promise<HealthReport> {
  try {
    return await client.call<HealthReport>(NODE_SERVICE, HEALTH_ENDPOINT, {}, { selector: onlyNode(id), retries: 0, timeoutMs });
  } catch (err) {
    const e = MicroError.from(err);
    return { id, ready: false, checks: { reachable: { ok: false, critical: true, error: `${e.reason}: ${e.detail}` } } };
  }
}
