import type { RegistryNode } from '../registry/registry.ts';
import { randomIndex } from './random.ts';
import type { SelectOptions, Selector } from './selector.ts';

// One cursor per service, starting at a random node so that many clients started together do not all hit the
// first node first. Excluded nodes are stepped over, and the cursor moves past the node picked.
export function createRoundRobinSelector(random: () => number): Selector {
  const cursors = new Map<string, number>();
  return {
    select(nodes: readonly RegistryNode[], options?: SelectOptions): RegistryNode | undefined {
      const n = nodes.length;
      if (n === 0) return undefined;
      const key = options?.service ?? '';
      const exclude = options?.exclude;
      const start = (cursors.get(key) ?? randomIndex(random, n)) % n;
      for (let step = 0; step < n; step++) {
        const i = (start + step) % n;
        const node = nodes[i];
        if (exclude?.has(node.id)) continue;
        cursors.set(key, (i + 1) % n);
        return node;
      }
      return undefined;
    },
  };
}
