import type { RegistryNode } from '../registry/registry.ts';
import { countCandidates, nthCandidate, randomIndex } from './random.ts';
import type { SelectOptions, Selector } from './selector.ts';

// Power of two choices: two random candidates, the one with fewer calls in flight wins (the first on a tie, itself
// random). Nearly as good as scanning for the least loaded node, without herding every client onto the same one.
export function createLeastInflightSelector(random: () => number): Selector {
  const inflight = new Map<string, number>();
  return {
    select(nodes: readonly RegistryNode[], options?: SelectOptions): RegistryNode | undefined {
      const exclude = options?.exclude;
      const count = countCandidates(nodes, exclude);
      if (count === 0) return undefined;
      if (count === 1) return nthCandidate(nodes, exclude, 0);
      const i = randomIndex(random, count);
      let j = randomIndex(random, count - 1);
      if (j >= i) j++;
      const a = nthCandidate(nodes, exclude, i) as RegistryNode;
      const b = nthCandidate(nodes, exclude, j) as RegistryNode;
      return (inflight.get(b.id) ?? 0) < (inflight.get(a.id) ?? 0) ? b : a;
    },
    onStart(nodeId: string): void {
      inflight.set(nodeId, (inflight.get(nodeId) ?? 0) + 1);
    },
    onFinish(nodeId: string): void {
      const n = inflight.get(nodeId) ?? 0;
      if (n <= 1) inflight.delete(nodeId);
      else inflight.set(nodeId, n - 1);
    },
  };
}
