/**
 * Timing loops for suites. {@link measure} runs `concurrency` loops that each await their own
 * operation; {@link measureSync} runs a synchronous operation in timed batches, for operations so
 * short that timing each one would measure the clock. Both warm up first, then record into a
 * `perf_hooks` histogram in nanoseconds, add a {@link BenchRow} to the context and return it.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { BenchContext, BenchRow } from './context.ts';

export interface MeasureSpec {
  case: string;
  impl: string;
  /** Loops running at once; each awaits its own operation before starting the next. */
  concurrency: number;
  payloadBytes: number;
  /** @default ctx.warmupMs */
  warmupMs?: number;
  /** Ignored when `--duration` is given. @default ctx.durationMs */
  durationMs?: number;
  /** One operation; a returned promise is awaited. A throw or rejection stops the case and `measure` rejects. */
  op: () => unknown;
  /** Adds the row to the context's results; false leaves that to the caller (one round of several). @default true */
  record?: boolean;
}

export interface MeasureSyncSpec {
  case: string;
  impl: string;
  payloadBytes: number;
  /** @default ctx.warmupMs */
  warmupMs?: number;
  /** Ignored when `--duration` is given. @default ctx.durationMs */
  durationMs?: number;
  /** The smallest time a batch should take; the batch size grows during warm-up to reach it. @default 0.5 */
  batchMs?: number;
  /** One synchronous operation. A throw stops the case. */
  op: () => void;
}

/** How long a loop may hold the event loop in `measureSync` before letting timers and I/O run. */
const YIELD_EVERY_MS = 20;

interface Window {
  start: number;
  end: number;
  completed: number;
  failure: unknown;
  failed: boolean;
  histogram: RecordableHistogram;
}

function windowFor(ctx: BenchContext, warmupMs: number | undefined, durationMs: number | undefined): Window {
  const warmup = warmupMs ?? ctx.warmupMs;
  const duration = ctx.durationOverrideMs ?? durationMs ?? ctx.durationMs;
  const start = performance.now() + warmup;
  return { start, end: start + duration, completed: 0, failure: undefined, failed: false, histogram: createHistogram() };
}

function toRow(spec: { case: string; impl: string; payloadBytes: number }, concurrency: number, w: Window): BenchRow {
  const seconds = (w.end - w.start) / 1000;
  const hasSamples = w.histogram.count > 0;
  return {
    case: spec.case,
    impl: spec.impl,
    concurrency,
    payloadBytes: spec.payloadBytes,
    opsPerSec: Math.round(w.completed / seconds),
    p50us: hasSamples ? Math.round(w.histogram.percentile(50) / 100) / 10 : 0,
    p99us: hasSamples ? Math.round(w.histogram.percentile(99) / 100) / 10 : 0,
  };
}

// Counts operations that complete inside [start, end); an operation straddling `start` counts,
// one straddling `end` does not, so both edges lose or gain at most one operation per loop.
async function runLoop(w: Window, op: () => unknown): Promise<void> {
  const { start, end, histogram } = w;
  while (!w.failed) {
    const t0 = performance.now();
    if (t0 >= end) return;
    try {
      await op();
    } catch (err) {
      if (!w.failed) w.failure = err;
      w.failed = true;
      return;
    }
    const t1 = performance.now();
    if (t1 >= start && t1 < end) {
      w.completed++;
      histogram.record(Math.max(1, Math.round((t1 - t0) * 1e6)));
    }
  }
}

function fail(spec: { case: string; impl: string }, cause: unknown): Error {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new Error(`bench case ${spec.case} (${spec.impl}) failed: ${why}`, { cause });
}

/** Runs `spec.op` in `spec.concurrency` loops for warm-up then the measured duration; records and returns the row. */
export async function measure(ctx: BenchContext, spec: MeasureSpec): Promise<BenchRow> {
  if (!Number.isInteger(spec.concurrency) || spec.concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${spec.concurrency}`);
  }
  const w = windowFor(ctx, spec.warmupMs, spec.durationMs);
  const loops: Promise<void>[] = [];
  for (let i = 0; i < spec.concurrency; i++) loops.push(runLoop(w, spec.op));
  await Promise.all(loops);
  if (w.failed) throw fail(spec, w.failure);
  const row = toRow(spec, spec.concurrency, w);
  if (spec.record !== false) ctx.record(row);
  return row;
}

/** The row with the median ops/s (the upper one of an even count). */
export function medianRow(rows: readonly BenchRow[]): BenchRow {
  const sorted = [...rows].sort((a, b) => a.opsPerSec - b.opsPerSec);
  const row = sorted[Math.floor(sorted.length / 2)];
  if (row === undefined) throw new RangeError('medianRow of no rows');
  return row;
}

/**
 * Measures every spec in turn, `rounds` times, each round taking its share of the duration and starting one spec
 * further on, so that a burst of load from elsewhere on a shared machine hits them alike and no spec always runs in
 * the same place; records and returns each spec's median round by ops/s.
 * `onRound` sees every round's row (for a log line).
 */
export async function measureRounds(ctx: BenchContext, specs: readonly MeasureSpec[], rounds: number, onRound?: (row: BenchRow, round: number) => void): Promise<BenchRow[]> {
  const n = Math.max(1, Math.floor(rounds));
  const durationMs = Math.max(500, Math.round(ctx.durationMs / n));
  const rows = specs.map((): BenchRow[] => []);
  for (let round = 1; round <= n; round++) {
    // Each round starts one spec further on, so that no spec always runs first (after an idle pause) or last.
    for (let k = 0; k < specs.length; k++) {
      const i = (k + round - 1) % specs.length;
      const spec = specs[i] as MeasureSpec;
      const row = await measure(ctx, { ...spec, durationMs, record: false });
      rows[i]?.push(row);
      onRound?.(row, round);
    }
  }
  return rows.map((r) => {
    const row = medianRow(r);
    ctx.record(row);
    return row;
  });
}

/**
 * Runs a synchronous `spec.op` in batches sized during warm-up to take at least `batchMs`; each
 * batch records its mean per-operation time, so p50/p99 are percentiles of batch means.
 */
export async function measureSync(ctx: BenchContext, spec: MeasureSyncSpec): Promise<BenchRow> {
  const w = windowFor(ctx, spec.warmupMs, spec.durationMs);
  const batchMs = spec.batchMs ?? 0.5;
  const { op } = spec;
  let batch = 1;
  let lastYield = performance.now();
  try {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= w.end) break;
      for (let i = 0; i < batch; i++) op();
      const t1 = performance.now();
      if (t0 >= w.start && t1 < w.end) {
        w.completed += batch;
        w.histogram.record(Math.max(1, Math.round(((t1 - t0) * 1e6) / batch)));
      } else if (t1 < w.start && t1 - t0 < batchMs) {
        batch *= 2;
      }
      if (t1 - lastYield >= YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
  } catch (err) {
    throw fail(spec, err);
  }
  const row = toRow(spec, 1, w);
  ctx.record(row);
  return row;
}
