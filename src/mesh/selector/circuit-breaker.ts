import { type Clock, systemClock } from '../../actors/clock.ts';

/**
 * A circuit breaker for one node: `closed` (calls pass) → `open` after `failureThreshold` consecutive failures or a
 * failure ratio over `failureRatio` in the last `windowMs` (once `minRequests` calls were seen) → `half-open` after
 * `cooldownMs`, where one probe call passes → `closed` when it succeeds, `open` again when it fails.
 */

export const BreakerState = {
  closed: 'closed',
  open: 'open',
  halfOpen: 'half-open',
} as const;
export type BreakerState = (typeof BreakerState)[keyof typeof BreakerState];

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. @default 5 */
  failureThreshold?: number;
  /** Share of failed calls in the window that opens the circuit. @default 0.5 */
  failureRatio?: number;
  /** The sliding window the ratio is measured over. @default 10000 */
  windowMs?: number;
  /** Calls in the window before the ratio counts. @default 20 */
  minRequests?: number;
  /** How long the circuit stays open before a probe may pass; also how long a probe may take before another may. @default 5000 */
  cooldownMs?: number;
  /** Time of the window, the cool-down and probes. @default systemClock */
  clock?: Clock;
}

export function defaultCircuitBreakerOptions(): Required<CircuitBreakerOptions> {
  return { failureThreshold: 5, failureRatio: 0.5, windowMs: 10_000, minRequests: 20, cooldownMs: 5_000, clock: systemClock };
}

const BUCKETS = 10;

export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  return new CircuitBreaker(options);
}

export class CircuitBreaker {
  readonly #o: Required<CircuitBreakerOptions>;
  readonly #clock: Clock;
  readonly #bucketMs: number;
  // The window as a ring of buckets: counts per bucket and the bucket number each slot holds.
  readonly #ok = new Uint32Array(BUCKETS);
  readonly #failed = new Uint32Array(BUCKETS);
  readonly #epoch = new Float64Array(BUCKETS).fill(-1);
  #state: BreakerState = 'closed';
  #consecutive = 0;
  #openedAt = 0;
  #probeAt: number | undefined;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#o = { ...defaultCircuitBreakerOptions(), ...options };
    this.#clock = this.#o.clock;
    this.#bucketMs = Math.max(1, this.#o.windowMs / BUCKETS);
  }

  /** The state now; an open circuit whose cool-down has passed reads as half-open. */
  get state(): BreakerState {
    if (this.#state === 'open' && this.#clock.now() - this.#openedAt >= this.#o.cooldownMs) {
      this.#state = 'half-open';
      this.#probeAt = undefined;
    }
    return this.#state;
  }

  /** Would a call pass now? Closed: yes; open: no; half-open: only while no probe is in flight. */
  canPass(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return this.#probeAt === undefined || this.#clock.now() - this.#probeAt >= this.#o.cooldownMs;
  }

  /** A call starts; in half-open it is the probe. */
  onStart(): void {
    if (this.state === 'half-open') this.#probeAt = this.#clock.now();
  }

  /** A call succeeded; `now` saves a clock read when the caller has one. */
  onSuccess(now = this.#clock.now()): void {
    this.#consecutive = 0;
    if (this.state === 'closed') {
      this.#count(this.#ok, now);
    } else if (this.#state === 'half-open') {
      this.#state = 'closed';
      this.#probeAt = undefined;
      this.#epoch.fill(-1);
    }
  }

  onFailure(now = this.#clock.now()): void {
    const state = this.state;
    if (state === 'open') return;
    if (state === 'half-open') return this.#open();
    this.#consecutive++;
    this.#count(this.#failed, now);
    if (this.#consecutive >= this.#o.failureThreshold || this.#ratioTripped(now)) this.#open();
  }

  #open(): void {
    this.#state = 'open';
    this.#openedAt = this.#clock.now();
    this.#probeAt = undefined;
    this.#consecutive = 0;
  }

  #count(counts: Uint32Array, now: number): void {
    const bucket = Math.floor(now / this.#bucketMs);
    const slot = bucket % BUCKETS;
    if (this.#epoch[slot] !== bucket) {
      this.#epoch[slot] = bucket;
      this.#ok[slot] = 0;
      this.#failed[slot] = 0;
    }
    counts[slot]++;
  }

  #ratioTripped(now: number): boolean {
    const oldest = Math.floor(now / this.#bucketMs) - BUCKETS;
    let ok = 0;
    let failed = 0;
    for (let slot = 0; slot < BUCKETS; slot++) {
      if (this.#epoch[slot] <= oldest) continue;
      ok += this.#ok[slot];
      failed += this.#failed[slot];
    }
    const total = ok + failed;
    return total >= this.#o.minRequests && failed / total >= this.#o.failureRatio;
  }
}
