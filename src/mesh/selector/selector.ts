/**
 * The selector contract: which node of a service a call goes to. Strategies are `random` (the default),
 * `round-robin`, `least-inflight` (power of two choices) and `hash` (consistent, by a key); a custom one is any
 * object with `select`. Node health (backoff, circuit breaking) is separate: see node-health.ts and
 * healthy-selector.ts, which puts the two together.
 */
import { MicroError } from '../errors.ts';
import type { RegistryNode } from '../registry/registry.ts';
import { createHashSelector } from './hash.ts';
import { createLeastInflightSelector } from './least-inflight.ts';
import { createRandomSelector } from './random.ts';
import { createRoundRobinSelector } from './round-robin.ts';

export interface SelectOptions {
  /** What the `hash` strategy hashes (a user id, a session); the same key goes to the same node. */
  key?: string;
  /** Node ids not to pick, e.g. those a retry already tried; when every node is excluded, nothing is picked. */
  exclude?: ReadonlySet<string>;
  /** The service the nodes serve: `round-robin` keeps one cursor per service. @default one shared cursor */
  service?: string;
}

export interface Selector {
  /** Picks one of `nodes`, or undefined when there is none to pick (empty, or all excluded). */
  select(nodes: readonly RegistryNode[], options?: SelectOptions): RegistryNode | undefined;
  /** A call to the node started (strategies that count load use it). */
  onStart?(nodeId: string): void;
  /** A call to the node finished, well or not. Called once per `onStart`. */
  onFinish?(nodeId: string, ok: boolean): void;
}

export const SelectorStrategy = {
  random: 'random',
  roundRobin: 'round-robin',
  leastInflight: 'least-inflight',
  hash: 'hash',
} as const;
export type SelectorStrategy = (typeof SelectorStrategy)[keyof typeof SelectorStrategy];

export interface SelectorOptions {
  /** A source of numbers in [0, 1); tests inject a seeded one. @default Math.random */
  random?: () => number;
  /** Points per node on the `hash` ring: more spread keys more evenly and cost memory. @default 160 */
  virtualNodes?: number;
}

export function defaultSelectorOptions(): Required<SelectorOptions> {
  return { random: Math.random, virtualNodes: 160 };
}

/**
 * A selector by strategy name, or the given one as is.
 * @example
 * const selector = createSelector('least-inflight');
 * const node = selector.select(service.nodes, { exclude: tried });
 */
export function createSelector(strategy: SelectorStrategy | Selector = 'random', options: SelectorOptions = {}): Selector {
  if (typeof strategy === 'object' && strategy !== null && typeof strategy.select === 'function') return strategy;
  const o = { ...defaultSelectorOptions(), ...options };
  switch (strategy) {
    case 'random':
      return createRandomSelector(o.random);
    case 'round-robin':
      return createRoundRobinSelector(o.random);
    case 'least-inflight':
      return createLeastInflightSelector(o.random);
    case 'hash':
      return createHashSelector(o.random, o.virtualNodes);
    default:
      throw new MicroError('BAD_REQUEST', `unknown selector strategy ${JSON.stringify(strategy)}`, { id: 'micromesh.selector' });
  }
}
