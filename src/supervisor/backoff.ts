export interface BackoffOptions {
  /** First delay. @default 100 */
  minMs?: number;
  /** Cap. @default 10000 */
  maxMs?: number;
  /** Half-width of the random band around each delay, as a fraction of it. @default 0.2 */
  jitter?: number;
  /** A child that ran this long since its last start is healthy: its next delay starts from `minMs` again. @default 10 × maxMs */
  resetAfterMs?: number;
  /** Random source in [0, 1). @default Math.random */
  random?: () => number;
}

export function defaultBackoffOptions(): Required<BackoffOptions> {
  return { minMs: 100, maxMs: 10_000, jitter: 0.2, resetAfterMs: 100_000, random: Math.random };
}

/** The delay before restart number `attempt` (0-based): `minMs·2^attempt` capped at `maxMs`, then jittered. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const o = { ...defaultBackoffOptions(), ...options };
  const base = Math.min(o.maxMs, o.minMs * 2 ** Math.min(attempt, 52));
  const spread = base * o.jitter * (2 * o.random() - 1);
  return Math.max(0, Math.round(base + spread));
}

/** Counts consecutive restarts per child, resetting after a healthy period. */
export class BackoffTracker {
  readonly #attempts = new Map<string, number>();
  readonly #options: Required<BackoffOptions>;

  constructor(options: BackoffOptions = {}) {
    const d = defaultBackoffOptions();
    this.#options = { ...d, ...options, resetAfterMs: options.resetAfterMs ?? 10 * (options.maxMs ?? d.maxMs) };
  }

  /** The delay for the next restart of `child`, which last started at `startedAt`. */
  next(child: string, startedAt: number, now: number): number {
    const healthy = now - startedAt >= this.#options.resetAfterMs;
    const attempt = healthy ? 0 : (this.#attempts.get(child) ?? 0);
    this.#attempts.set(child, attempt + 1);
    return backoffDelay(attempt, this.#options);
  }
}
