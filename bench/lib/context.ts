/**
 * The contract between bench/run.ts and a suite: a suite's default export receives a
 * {@link BenchContext}, measures with bench/lib/measure.ts (which records rows into the context),
 * and the runner prints and saves whatever was recorded.
 */

/** One measured case, as written to bench/results/<suite>.json (DESIGN §7). */
export interface BenchRow {
  /** The operation: `echo`, `tell`, `ask`, ... */
  case: string;
  /** `micromesh` for our rows, the peer's name (`raw-tcp`, `moleculer`, ...) otherwise. */
  impl: string;
  /** How many loops ran the operation at once. */
  concurrency: number;
  /** Size of the payload each operation carries, in bytes (0 when none). */
  payloadBytes: number;
  opsPerSec: number;
  /** Median latency of one operation, in microseconds. */
  p50us: number;
  /** 99th percentile latency of one operation, in microseconds. */
  p99us: number;
}

/** What a suite is given. */
export interface BenchContext {
  readonly suite: string;
  /** Measured time per case, in ms, when the case names none. */
  readonly durationMs: number;
  /** Warm-up time per case, in ms, when the case names none. */
  readonly warmupMs: number;
  /** Set by `--duration`: wins over any per-case duration so a quick run stays quick. */
  readonly durationOverrideMs: number | undefined;
  /** Rows recorded so far, in order. */
  readonly rows: readonly BenchRow[];
  record(row: BenchRow): void;
  /** A progress line for the person watching (not part of the results). */
  log(line: string): void;
  /** Installs bench/peers dependencies if they are missing; call it before loading a peer that needs them. */
  ensurePeerDeps(): Promise<void>;
}

export interface BenchContextOptions {
  /** @default 3000 */
  durationMs: number;
  /** @default 500 */
  warmupMs: number;
  /** @default undefined */
  durationOverrideMs: number | undefined;
  /** @default writes the line to stderr */
  log: (line: string) => void;
  /** @default resolves at once (nothing to install) */
  ensurePeerDeps: () => Promise<void>;
}

export function defaultBenchContextOptions(): BenchContextOptions {
  return {
    durationMs: 3000,
    warmupMs: 500,
    durationOverrideMs: undefined,
    log: (line) => process.stderr.write(`${line}\n`),
    ensurePeerDeps: async () => {},
  };
}

/** A context that keeps rows in memory; bench/run.ts and the harness tests build theirs with it. */
export function createBenchContext(suite: string, options: Partial<BenchContextOptions> = {}): BenchContext {
  const o = { ...defaultBenchContextOptions(), ...options };
  const rows: BenchRow[] = [];
  return {
    suite,
    durationMs: o.durationOverrideMs ?? o.durationMs,
    warmupMs: o.warmupMs,
    durationOverrideMs: o.durationOverrideMs,
    rows,
    record: (row) => {
      rows.push(row);
    },
    log: o.log,
    ensurePeerDeps: o.ensurePeerDeps,
  };
}
