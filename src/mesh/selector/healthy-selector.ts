import type { RegistryNode } from '../registry/registry.ts';
import type { NodeHealth } from './node-health.ts';
import type { SelectOptions, Selector } from './selector.ts';

/**
 * A selector that picks among the nodes `health` finds available (all of them when none is) and reports each
 * call's start and finish to both, so the client wires one object.
 * @example
 * const selector = withNodeHealth(createSelector('round-robin'), createNodeHealth());
 * const node = selector.select(nodes, { service: 'greeter', exclude: tried });
 * selector.onStart(node.id); ... selector.onFinish(node.id, ok);
 */
export function withNodeHealth(selector: Selector, health: NodeHealth): Required<Selector> {
  return {
    select(nodes: readonly RegistryNode[], options?: SelectOptions): RegistryNode | undefined {
      return selector.select(health.filter(nodes), options);
    },
    onStart(nodeId: string): void {
      health.onStart(nodeId);
      selector.onStart?.(nodeId);
    },
    onFinish(nodeId: string, ok: boolean): void {
      health.onFinish(nodeId, ok);
      selector.onFinish?.(nodeId, ok);
    },
  };
}
