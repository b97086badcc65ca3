import type { RegistryNode } from '../registry/registry.ts';
import type { SelectOptions, Selector } from './selector.ts';

/** How many of `nodes` are not excluded. */
export function countCandidates(nodes: readonly RegistryNode[], exclude: ReadonlySet<string> | undefined): number {
  if (exclude === undefined || exclude.size === 0) return nodes.length;
  let count = 0;
  for (let i = 0; i < nodes.length; i++) if (!exclude.has(nodes[i].id)) count++;
  return count;
}

/** The k-th node (from 0) that is not excluded. */
export function nthCandidate(nodes: readonly RegistryNode[], exclude: ReadonlySet<string> | undefined, k: number): RegistryNode | undefined {
  if (exclude === undefined || exclude.size === 0) return nodes[k];
  for (let i = 0; i < nodes.length; i++) {
    if (exclude.has(nodes[i].id)) continue;
    if (k-- === 0) return nodes[i];
  }
  return undefined;
}

/** An index in [0, n) from a source of [0, 1). */
export function randomIndex(random: () => number, n: number): number {
  const i = Math.floor(random() * n);
  return i < n ? i : n - 1;
}

export function createRandomSelector(random: () => number): Selector {
  return {
    select(nodes: readonly RegistryNode[], options?: SelectOptions): RegistryNode | undefined {
      const exclude = options?.exclude;
      const count = countCandidates(nodes, exclude);
      return count === 0 ? undefined : nthCandidate(nodes, exclude, randomIndex(random, count));
    },
  };
}
