import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BenchRow, createBenchContext } from '../../../bench/lib/context.ts';
import { measure, measureSync } from '../../../bench/lib/measure.ts';

const ROW_KEYS = ['case', 'impl', 'concurrency', 'payloadBytes', 'opsPerSec', 'p50us', 'p99us'].sort();
const quiet = { log: () => {} };

function assertRowShape(row: BenchRow): void {
  assert.deepEqual(Object.keys(row).sort(), ROW_KEYS);
  for (const key of ['concurrency', 'payloadBytes', 'opsPerSec', 'p50us', 'p99us'] as const) {
    assert.equal(typeof row[key], 'number', key);
    assert.ok(Number.isFinite(row[key]), key);
  }
}

describe('bench harness', () => {
  it('measure — records a row of the documented shape with ops/s > 0 and p50 ≤ p99', async () => {
    const ctx = createBenchContext('unit', quiet);
    const row = await measure(ctx, {
      case: 'noop',
      impl: 'harness',
      concurrency: 1,
      payloadBytes: 7,
      warmupMs: 5,
      durationMs: 40,
      op: () => Promise.resolve(),
    });
    assertRowShape(row);
    assert.equal(row.case, 'noop');
    assert.equal(row.impl, 'harness');
    assert.equal(row.concurrency, 1);
    assert.equal(row.payloadBytes, 7);
    assert.ok(row.opsPerSec > 0, `opsPerSec ${row.opsPerSec}`);
    assert.ok(row.p50us <= row.p99us, `p50 ${row.p50us} > p99 ${row.p99us}`);
    assert.deepEqual(ctx.rows, [row]);
  });

  it('measure — runs exactly `concurrency` loops, each awaiting its own op', async () => {
    const ctx = createBenchContext('unit', quiet);
    let inFlight = 0;
    let maxInFlight = 0;
    const row = await measure(ctx, {
      case: 'timer',
      impl: 'harness',
      concurrency: 8,
      payloadBytes: 0,
      warmupMs: 5,
      durationMs: 40,
      op: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise<void>((resolve) => setImmediate(resolve));
        inFlight--;
      },
    });
    assert.equal(maxInFlight, 8);
    assert.equal(inFlight, 0, 'every op settled before measure resolved');
    assert.equal(row.concurrency, 8);
  });

  it('measure — --duration overrides the case duration', async () => {
    const ctx = createBenchContext('unit', { ...quiet, durationOverrideMs: 30 });
    const t0 = performance.now();
    await measure(ctx, { case: 'noop', impl: 'harness', concurrency: 2, payloadBytes: 0, warmupMs: 5, durationMs: 60_000, op: () => undefined });
    assert.ok(performance.now() - t0 < 5000, 'the 60 s case duration was not overridden');
  });

  it('measure — a failing op rejects naming the case, stops every loop, and records no row', async () => {
    const ctx = createBenchContext('unit', quiet);
    let calls = 0;
    await assert.rejects(
      measure(ctx, {
        case: 'boom',
        impl: 'harness',
        concurrency: 4,
        payloadBytes: 0,
        warmupMs: 0,
        durationMs: 60_000,
        op: async () => {
          calls++;
          if (calls === 10) throw new Error('op broke');
          await Promise.resolve();
        },
      }),
      (err: Error) => err.message.includes('boom (harness)') && err.message.includes('op broke'),
    );
    assert.equal(ctx.rows.length, 0);
  });

  it('measure — rejects a concurrency that is not a positive integer', async () => {
    const ctx = createBenchContext('unit', quiet);
    await assert.rejects(measure(ctx, { case: 'x', impl: 'harness', concurrency: 0, payloadBytes: 0, op: () => undefined }), RangeError);
  });

  it('measureSync — times a synchronous op in batches, concurrency 1, p50 ≤ p99', async () => {
    const ctx = createBenchContext('unit', quiet);
    let runs = 0;
    const row = await measureSync(ctx, {
      case: 'add',
      impl: 'harness',
      payloadBytes: 0,
      warmupMs: 10,
      durationMs: 40,
      op: () => {
        runs++;
      },
    });
    assertRowShape(row);
    assert.equal(row.concurrency, 1);
    assert.ok(row.opsPerSec > 0);
    assert.ok(row.p50us <= row.p99us);
    assert.ok(runs >= (row.opsPerSec * 40) / 1000, 'counted ops were all run');
  });
});

describe('bench selftest suite', () => {
  it('selftest — runs under a short --duration and records one row per case', async () => {
    const { default: selftest } = await import('../../../bench/suites/selftest.ts');
    const ctx = createBenchContext('selftest', { ...quiet, durationOverrideMs: 20, warmupMs: 5 });
    await selftest(ctx);
    assert.deepEqual(
      ctx.rows.map((r) => `${r.case}/${r.concurrency}`),
      ['resolved-promise/1', 'resolved-promise/64', 'set-immediate/1', 'json-stringify/1'],
    );
    for (const r of ctx.rows) assert.ok(r.opsPerSec > 0 && r.p50us <= r.p99us, `${r.case}: ${JSON.stringify(r)}`);
  });
});
