import type { RegistryNode } from '../registry/registry.ts';
import { createRandomSelector } from './random.ts';
import type { SelectOptions, Selector } from './selector.ts';

// Consistent hashing: each node owns `virtualNodes` points on a 32-bit ring, a key goes to the owner of the first
// point at or after its hash. Removing a node hands only its arcs to the next owners; every other key stays put.
// A ring depends on the node ids in their order. Rings are cached by array (registry snapshots are stable arrays)
// and by id list (for filtered arrays); owners are indexes into the array, so a node's new address is always seen.

const INDEX_BITS = 2 ** 20;
const RING_CACHE = 32;

interface Ring {
  points: Uint32Array;
  owners: Uint32Array;
}

/** FNV-1a over UTF-16 code units, finished with murmur3's avalanche so nearby strings spread over the ring. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function buildRing(nodes: readonly RegistryNode[], virtualNodes: number): Ring {
  const keyed = new Float64Array(nodes.length * virtualNodes);
  let at = 0;
  for (let i = 0; i < nodes.length; i++) {
    const id = nodes[i].id;
    for (let v = 0; v < virtualNodes; v++) keyed[at++] = hash32(`${id}\u0000${v}`) * INDEX_BITS + i;
  }
  keyed.sort();
  const points = new Uint32Array(keyed.length);
  const owners = new Uint32Array(keyed.length);
  for (let k = 0; k < keyed.length; k++) {
    const owner = keyed[k] % INDEX_BITS;
    owners[k] = owner;
    points[k] = (keyed[k] - owner) / INDEX_BITS;
  }
  return { points, owners };
}

function firstAtOrAfter(points: Uint32Array, h: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid] < h) lo = mid + 1;
    else hi = mid;
  }
  return lo === points.length ? 0 : lo;
}

/** Without a key it picks at random, as `random` does. */
export function createHashSelector(random: () => number, virtualNodes: number): Selector {
  const byArray = new WeakMap<readonly RegistryNode[], Ring>();
  const byIds = new Map<string, Ring>();
  const fallback = createRandomSelector(random);

  const ringOf = (nodes: readonly RegistryNode[]): Ring => {
    let ring = byArray.get(nodes);
    if (ring !== undefined) return ring;
    const ids = nodes.map((n) => n.id).join('\u0000');
    ring = byIds.get(ids);
    if (ring === undefined) {
      ring = buildRing(nodes, virtualNodes);
      if (byIds.size >= RING_CACHE) byIds.delete(byIds.keys().next().value as string);
    } else {
      byIds.delete(ids);
    }
    byIds.set(ids, ring);
    byArray.set(nodes, ring);
    return ring;
  };

  return {
    select(nodes: readonly RegistryNode[], options?: SelectOptions): RegistryNode | undefined {
      const key = options?.key;
      if (key === undefined || nodes.length === 0) return fallback.select(nodes, options);
      const exclude = options?.exclude;
      if (nodes.length === 1) return exclude?.has(nodes[0].id) ? undefined : nodes[0];
      const { points, owners } = ringOf(nodes);
      let at = firstAtOrAfter(points, hash32(key));
      for (let step = 0; step < points.length; step++) {
        const node = nodes[owners[at]];
        if (exclude === undefined || !exclude.has(node.id)) return node;
        if (++at === points.length) at = 0;
      }
      return undefined;
    },
  };
}
