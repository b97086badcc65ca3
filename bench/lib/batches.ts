/**
 * Throughput of operations that only make sense in bulk (a burst of tells, a burst of spawns):
 * {@link measureBatches} times whole batches, several implementations taking turns in short rounds
 * so that a noisy machine slows all of them alike. Rows report items per second; p50/p99 are
 * percentiles of each batch's mean time per item, in µs with nanosecond precision.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { BenchContext, BenchRow } from './context.ts';

/** One implementation taking part in a batch case. */
export interface BatchImpl {
  /** The `impl` column of its row. */
  name: string;
  /** Handles `batchSize` items and resolves once the last one is done. A rejection stops the case. */
  batch: () => Promise<void>;
  /** Untimed work after each batch (teardown), awaited before the next one. */
  after?: () => Promise<void>;
}

export interface BatchSpec {
  case: string;
  payloadBytes: number;
  /** Items one `batch()` call handles. */
  batchSize: number;
  impls: readonly BatchImpl[];
  /** Turns each implementation takes; its measured time is split evenly between them. @default 5 */
  rounds?: number;
  /** @default ctx.warmupMs, per implementation */
  warmupMs?: number;
  /** Measured time per implementation. Ignored when `--duration` is given. @default ctx.durationMs */
  durationMs?: number;
}

interface Tally {
  items: number;
  ms: number;
  histogram: RecordableHistogram;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// Runs batches for `ms` (at least one); records them into `tally` when given.
async function runFor(impl: BatchImpl, batchSize: number, ms: number, tally: Tally | undefined): Promise<void> {
  const end = performance.now() + ms;
  do {
    const t0 = performance.now();
    await impl.batch();
    const elapsed = performance.now() - t0;
    if (tally !== undefined) {
      tally.items += batchSize;
      tally.ms += elapsed;
      tally.histogram.record(Math.max(1, Math.round((elapsed * 1e6) / batchSize)));
    }
    if (impl.after !== undefined) await impl.after();
    // Let timers and I/O run between batches, untimed, as a real process would.
    await yieldToLoop();
  } while (performance.now() < end);
}

function toRow(spec: BatchSpec, name: string, t: Tally): BenchRow {
  const has = t.histogram.count > 0;
  return {
    case: spec.case,
    impl: name,
    concurrency: 1,
    payloadBytes: spec.payloadBytes,
    opsPerSec: t.ms > 0 ? Math.round((t.items * 1000) / t.ms) : 0,
    p50us: has ? Math.round(t.histogram.percentile(50)) / 1000 : 0,
    p99us: has ? Math.round(t.histogram.percentile(99)) / 1000 : 0,
  };
}

/** Warms every implementation up, then measures them in alternating rounds; records and returns one row each. */
export async function measureBatches(ctx: BenchContext, spec: BatchSpec): Promise<BenchRow[]> {
  const rounds = spec.rounds ?? 5;
  const warmupMs = spec.warmupMs ?? ctx.warmupMs;
  const sliceMs = (ctx.durationOverrideMs ?? spec.durationMs ?? ctx.durationMs) / rounds;
  const tallies = spec.impls.map((): Tally => ({ items: 0, ms: 0, histogram: createHistogram() }));
  for (const impl of spec.impls) {
    await runFor(impl, spec.batchSize, warmupMs, undefined).catch((err: unknown) => {
      throw fail(spec, impl, err);
    });
  }
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < spec.impls.length; i++) {
      const impl = spec.impls[i];
      await runFor(impl, spec.batchSize, sliceMs, tallies[i]).catch((err: unknown) => {
        throw fail(spec, impl, err);
      });
    }
  }
  const rows = spec.impls.map((impl, i) => toRow(spec, impl.name, tallies[i]));
  for (const row of rows) ctx.record(row);
  return rows;
}

function fail(spec: BatchSpec, impl: BatchImpl, cause: unknown): Error {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new Error(`bench case ${spec.case} (${impl.name}) failed: ${why}`, { cause });
}
