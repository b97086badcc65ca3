import type { RegistryNode } from '../../../../src/mesh/registry/registry.ts';

/** mulberry32: a seeded source of [0, 1), so distributions are the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function nodes(count: number, prefix = 'node'): RegistryNode[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i}`, address: `127.0.0.1:${5000 + i}`, metadata: {} }));
}

/** How many times each node id was picked by `pick` over `rounds` rounds. */
export function tally(rounds: number, pick: (round: number) => RegistryNode | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < rounds; i++) {
    const node = pick(i);
    if (node === undefined) throw new Error(`round ${i} picked nothing`);
    counts.set(node.id, (counts.get(node.id) ?? 0) + 1);
  }
  return counts;
}
