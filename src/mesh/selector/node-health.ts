import { type Clock, systemClock } from '../../actors/clock.ts';
import { type BackoffOptions, backoffDelay } from '../../supervisor/backoff.ts';
import { type BreakerState, CircuitBreaker, type CircuitBreakerOptions, defaultCircuitBreakerOptions } from './circuit-breaker.ts';

export interface NodeHealthOptions {
  /** How long a node is down after its first failure; each further consecutive failure doubles it (`backoffDelay`, no jitter). @default 100 */
  backoffMinMs?: number;
  /** The longest a node is down. @default 30000 */
  backoffMaxMs?: number;
  /** Each node's circuit breaker (its clock is `clock`). @default defaultCircuitBreakerOptions() */
  breaker?: Omit<CircuitBreakerOptions, 'clock'>;
  /** Nodes tracked before those healthy and idle for a breaker window are forgotten. @default 4096 */
  maxNodes?: number;
  /** Time of backoffs and breakers. @default systemClock */
  clock?: Clock;
}

export function defaultNodeHealthOptions(): Required<NodeHealthOptions> {
  return { backoffMinMs: 100, backoffMaxMs: 30_000, breaker: {}, maxNodes: 4096, clock: systemClock };
}

/** What node health knows of one node. */
export interface NodeHealthState {
  available: boolean;
  /** Consecutive failures since the last success. */
  failures: number;
  /** Until when (in the clock's scale) it is marked down; 0 when it is not. */
  downUntil: number;
  breaker: BreakerState;
}

interface Entry {
  failures: number;
  lastSeen: number;
  downUntil: number;
  breaker: CircuitBreaker;
}

/**
 * Per-node health for a client: a failure marks a node down for an exponential backoff (reset by a success), and
 * a per-node circuit breaker stops calls to a node that keeps failing until a probe succeeds. Report each call
 * with `onStart` and `onFinish`; pick from `filter(nodes)`.
 * @example
 * const health = createNodeHealth();
 * const node = selector.select(health.filter(service.nodes));
 * health.onStart(node.id);
 * health.onFinish(node.id, ok);
 */
export function createNodeHealth(options: NodeHealthOptions = {}): NodeHealth {
  return new NodeHealth(options);
}

export class NodeHealth {
  readonly #o: Required<NodeHealthOptions>;
  readonly #breaker: CircuitBreakerOptions;
  readonly #backoff: BackoffOptions;
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #nodes = new Map<string, Entry>();
  // Nodes with a failure since their last success or a circuit not closed: the only ones that can be unavailable,
  // so with none of them `filter` and `isAvailable` cost one set lookup.
  readonly #troubled = new Set<string>();

  constructor(options: NodeHealthOptions = {}) {
    this.#o = { ...defaultNodeHealthOptions(), ...options };
    this.#clock = this.#o.clock;
    this.#breaker = { ...this.#o.breaker, clock: this.#clock };
    this.#backoff = { minMs: this.#o.backoffMinMs, maxMs: this.#o.backoffMaxMs, jitter: 0 };
    this.#windowMs = this.#o.breaker.windowMs ?? defaultCircuitBreakerOptions().windowMs;
  }

  /** A node is available unless marked down or its circuit stops the call. Unknown nodes are available. */
  isAvailable(nodeId: string): boolean {
    if (!this.#troubled.has(nodeId)) return true;
    return this.#available(this.#nodes.get(nodeId), this.#clock.now());
  }

  /**
   * The available nodes; all of them when none is, so a caller still has something to try. Returns `nodes` itself
   * when every node is available (the common case allocates nothing).
   */
  filter<T extends { id: string }>(nodes: readonly T[]): readonly T[] {
    if (this.#troubled.size === 0) return nodes;
    const now = this.#clock.now();
    let down = 0;
    for (let i = 0; i < nodes.length; i++) if (!this.#up(nodes[i].id, now)) down++;
    if (down === 0 || down === nodes.length) return nodes;
    const up: T[] = [];
    for (let i = 0; i < nodes.length; i++) if (this.#up(nodes[i].id, now)) up.push(nodes[i]);
    return up;
  }

  /** A call to the node starts (in half-open, it is the breaker's probe). */
  onStart(nodeId: string): void {
    if (this.#troubled.has(nodeId)) this.#nodes.get(nodeId)?.breaker.onStart();
  }

  /** A call to the node finished: a success resets its backoff, a failure marks it down for the next one. */
  onFinish(nodeId: string, ok: boolean): void {
    const now = this.#clock.now();
    const entry = this.#entry(nodeId, now);
    entry.lastSeen = now;
    if (ok) {
      entry.failures = 0;
      entry.downUntil = 0;
      entry.breaker.onSuccess(now);
      if (entry.breaker.state === 'closed') this.#troubled.delete(nodeId);
      return;
    }
    entry.failures++;
    entry.downUntil = now + backoffDelay(entry.failures - 1, this.#backoff);
    entry.breaker.onFailure(now);
    this.#troubled.add(nodeId);
  }

  state(nodeId: string): NodeHealthState {
    const entry = this.#nodes.get(nodeId);
    if (entry === undefined) return { available: true, failures: 0, downUntil: 0, breaker: 'closed' };
    return { available: this.isAvailable(nodeId), failures: entry.failures, downUntil: entry.downUntil, breaker: entry.breaker.state };
  }

  /** Drops what is known of a node, e.g. when it left the registry. */
  forget(nodeId: string): void {
    this.#nodes.delete(nodeId);
    this.#troubled.delete(nodeId);
  }

  #up(nodeId: string, now: number): boolean {
    return !this.#troubled.has(nodeId) || this.#available(this.#nodes.get(nodeId), now);
  }

  #available(entry: Entry | undefined, now: number): boolean {
    return entry === undefined || (now >= entry.downUntil && entry.breaker.canPass());
  }

  // Every node called is tracked (the breaker's failure ratio needs its successes too); past `maxNodes` entries,
  // those of healthy nodes not called within the window go.
  #entry(nodeId: string, now: number): Entry {
    let entry = this.#nodes.get(nodeId);
    if (entry !== undefined) return entry;
    if (this.#nodes.size >= this.#o.maxNodes) {
      for (const [id, e] of this.#nodes) if (!this.#troubled.has(id) && now - e.lastSeen > this.#windowMs) this.#nodes.delete(id);
    }
    entry = { failures: 0, downUntil: 0, lastSeen: now, breaker: new CircuitBreaker(this.#breaker) };
    this.#nodes.set(nodeId, entry);
    return entry;
  }
}
