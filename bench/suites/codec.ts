/**
 * Codec benchmark: json, msgpack and protobuf encode/decode of a realistic nested payload
 * (bench/fixtures/payload.proto) at ~100 B, ~10 KB and ~1 MB, on the main thread against the
 * piscina pool, one at a time (latency) and many in flight (throughput). It also measures what
 * the pool is for: main-thread time per op (event-loop utilisation) and event-loop delay p99.
 *
 * Self-contained: `runCodecSuite({ durationMs })` returns the rows; `npx tsx bench/suites/codec.ts
 * [durationMs] [case regexp] [sizes,...]` prints them with the pool/main ratios that set `offloadThresholdBytes`.
 *
 * Figures behind the defaults (Node 20, 2 vCPUs, quiet machine, 1 s per row; pool ÷ main, decode,
 * json / msgpack / protobuf):
 *   body         main-thread CPU per op   latency p50 (c=1)   throughput (c=8, 1 thread)
 *   ~10 KB       1.34 / 1.93 / 1.57        3.3 / 4.3 / 3.9      0.33 / 0.27 / 0.30
 *   ~100 KB      0.57 / 0.68 / 0.55        2.5 / 2.8 / 2.5      0.50 / 0.44 / 0.47
 *   ~250 KB      0.30 / 0.53 / 0.48        1.7 / 2.6 / 2.3      0.67 / 0.49 / 0.46
 *   ~1 MB        0.35 / 0.54 / 0.29        1.8 / 2.5 / 3.2      0.65 / 0.42 / 0.47
 * - Offloading saves main-thread time only from ~50 KB, and below ~250 KB the saving (< ~0.5 ms)
 *   is smaller than the latency it adds (~1 ms): hence `offloadThresholdBytes` = 256 KiB.
 * - Returning the value by structured clone would cost the main thread 1.2–3.4× a plain decode
 *   (`clone-deserialize` rows), hence the msgpack-records transfer format (codec/transfer.ts).
 * - Encoding in the pool never saves main-thread time (0.8–2.1×: the value must be cloned there),
 *   so encode stays on the main thread.
 * - Two threads on two cores starve the main thread (1 MB: loop delay p99 54–101 ms vs 4–7 ms): one.
 * - Spilling past two in-flight offloads to the main thread (`micromesh-hybrid`) keeps
 *   throughput at 0.76–1.08× main where a queue-only pool gets 0.3–0.7× with p99 over 1 s.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import v8 from 'node:v8';
import type { Codec } from '../../src/mesh/codec/codec.ts';
import { type Codecs, createCodecs, defaultCodecsOptions } from '../../src/mesh/codec/codecs.ts';
import { CodecPool } from '../../src/mesh/codec/pool.ts';
import { silentLogger } from '../../src/actors/logger.ts';
import { makePayload, payloadProtoFile } from '../fixtures/payload.ts';
import type { BenchContext, BenchRow } from '../lib/context.ts';

export interface Row extends BenchRow {
  /** Main-thread busy time per op (event-loop utilisation × elapsed ÷ ops); inflated when the CPU is contended. */
  mainUsPerOp: number;
  /** Main-thread CPU time per op from /proc (10 ms ticks; Linux), else equal to `mainUsPerOp`. */
  mainCpuUsPerOp: number;
  /** p99 of the event-loop delay while the case ran: how late a timer fires for everyone else. */
  loopDelayP99us: number;
}

export interface CodecSuiteOptions {
  /** Measuring time per row. */
  durationMs: number;
  /** Target payload sizes (JSON bytes). @default [100, 10_000, 100_000, 300_000, 1_000_000] */
  sizes?: number[];
  /** Operations in flight for the throughput rows. @default 8 */
  concurrency?: number;
  /** Only cases whose name (`json-decode`, ...) matches. @default every case */
  only?: RegExp;
}

const CODECS = [
  { name: 'json', contentType: 'application/json' },
  { name: 'msgpack', contentType: 'application/msgpack' },
  { name: 'protobuf', contentType: 'application/protobuf' },
] as const;

interface Sample {
  ops: number;
  elapsedMs: number;
  latenciesMs: number[];
  busyMs: number;
  cpuMs: number | undefined;
  delayP99Ms: number;
}

/** This thread's CPU time so far (Linux: /proc/thread-self/stat, 10 ms ticks), else undefined. */
function threadCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

function toRow(name: string, impl: string, concurrency: number, payloadBytes: number, s: Sample): Row {
  const sorted = s.latenciesMs.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    case: name,
    impl,
    concurrency,
    payloadBytes,
    opsPerSec: Math.round((s.ops * 1000) / s.elapsedMs),
    p50us: round(percentile(sorted, 50) * 1000),
    p99us: round(percentile(sorted, 99) * 1000),
    mainUsPerOp: round((s.busyMs * 1000) / s.ops),
    mainCpuUsPerOp: round(((s.cpuMs ?? s.busyMs) * 1000) / s.ops),
    loopDelayP99us: round(s.delayP99Ms * 1000),
  };
}

/** Run `body` while measuring event-loop utilisation and delay. */
async function observe(body: () => Promise<{ ops: number; latenciesMs: number[] }>): Promise<Sample> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const elu = performance.eventLoopUtilization();
  const cpu = threadCpuMs();
  const start = performance.now();
  const { ops, latenciesMs } = await body();
  const elapsedMs = performance.now() - start;
  const cpuEnd = threadCpuMs();
  const used = performance.eventLoopUtilization(elu);
  delay.disable();
  const cpuMs = cpu === undefined || cpuEnd === undefined ? undefined : cpuEnd - cpu;
  return { ops, elapsedMs, latenciesMs, busyMs: used.utilization * elapsedMs, cpuMs, delayP99Ms: delay.percentile(99) / 1e6 };
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Main thread: ops run back to back but the driver yields every ~200 µs, as an actor does after
 * its throughput budget, so the event-loop delay shows the longest single op.
 */
function measureMain(op: () => unknown, durationMs: number): Promise<Sample> {
  return observe(async () => {
    const latenciesMs: number[] = [];
    const end = performance.now() + durationMs;
    let sliceEnd = 0;
    for (let now = performance.now(); now < end || latenciesMs.length < 5; ) {
      const t0 = now;
      op();
      now = performance.now();
      latenciesMs.push(now - t0);
      if (now > sliceEnd) {
        await yieldToLoop();
        now = performance.now();
        sliceEnd = now + 0.2;
      }
    }
    return { ops: latenciesMs.length, latenciesMs };
  });
}

/**
 * `concurrency` loops each awaiting one op at a time; latency is submit to settle. An op that
 * settles at once (decoded on the main thread) only yields to microtasks, so the driver yields to
 * the event loop every ~200 µs as a socket-driven server would, or worker results never arrive.
 */
function measureAsync(op: () => Promise<unknown>, concurrency: number, durationMs: number): Promise<Sample> {
  return observe(async () => {
    const latenciesMs: number[] = [];
    const end = performance.now() + durationMs;
    let sliceEnd = 0;
    const loop = async () => {
      while (performance.now() < end || latenciesMs.length < 5) {
        const t0 = performance.now();
        await op();
        const now = performance.now();
        latenciesMs.push(now - t0);
        if (now > sliceEnd) {
          await yieldToLoop();
          sliceEnd = performance.now() + 0.2;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
    return { ops: latenciesMs.length, latenciesMs };
  });
}

async function warm(op: () => unknown, ms: number): Promise<void> {
  const end = performance.now() + ms;
  for (let i = 0; i < 3 || performance.now() < end; i++) await op();
}

interface Fixture {
  name: string;
  codec: Codec;
  contentType: string;
  typeName: string;
  value: unknown;
  bytes: Uint8Array;
}

interface Pools {
  /** Every body to one worker thread, queued however deep (the pure pool path). */
  decode1: Codecs;
  /** The same with two worker threads. */
  decode2: Codecs;
  /** Default spill-over: past two offloads per thread in flight, decode on the main thread. */
  hybrid: Codecs;
  encode: CodecPool;
}

type AsyncOp = () => Promise<unknown>;

/** The pool paths must give what the main thread gives, or the figures mean nothing. */
async function check(f: Fixture, pools: Pools): Promise<void> {
  const decoded = await pools.decode1.decodeAsync(f.contentType, f.bytes, f.typeName);
  if (!isDeepStrictEqual(decoded, f.codec.decode(f.bytes, f.typeName))) throw new Error(`${f.name}: pool decode differs`);
  const encoded = await pools.encode.encode(f.contentType, f.value, f.typeName);
  if (!(encoded instanceof Uint8Array) || Buffer.compare(encoded, f.bytes) !== 0) throw new Error(`${f.name}: pool encode differs`);
}

async function benchFixture(f: Fixture, pools: Pools, options: Required<CodecSuiteOptions>, rows: Row[]): Promise<void> {
  const { durationMs, concurrency } = options;
  const warmMs = Math.min(300, durationMs / 3);
  const bytes = f.bytes.length;
  await check(f, pools);
  const serialized = v8.serialize(f.codec.decode(f.bytes, f.typeName));
  const encodePool: AsyncOp = () => pools.encode.encode(f.contentType, f.value, f.typeName);
  const decode = (codecs: Codecs): AsyncOp => () => codecs.decodeAsync(f.contentType, f.bytes, f.typeName);
  const big = bytes >= 10_000;
  const cases: Array<[op: string, main: () => unknown, pool: AsyncOp, more: Array<[impl: string, op: AsyncOp]>]> = [
    ['encode', () => f.codec.encode(f.value, f.typeName), encodePool, []],
    [
      'decode',
      () => f.codec.decode(f.bytes, f.typeName),
      decode(pools.decode1),
      big ? [['micromesh-pool-2t', decode(pools.decode2)], ['micromesh-hybrid', decode(pools.hybrid)]] : [],
    ],
  ];
  for (const [op, main, pool, more] of cases) {
    const label = `${f.name}-${op}`;
    if (!options.only.test(label)) continue;
    await warm(main, warmMs);
    rows.push(toRow(label, 'micromesh-main', 1, bytes, await measureMain(main, durationMs)));
    await warm(pool, warmMs);
    rows.push(toRow(label, 'micromesh-pool', 1, bytes, await measureAsync(pool, 1, durationMs)));
    rows.push(toRow(label, 'micromesh-pool', concurrency, bytes, await measureAsync(pool, concurrency, durationMs)));
    for (const [impl, other] of more) {
      await warm(other, warmMs);
      rows.push(toRow(label, impl, concurrency, bytes, await measureAsync(other, concurrency, durationMs)));
    }
    if (op === 'decode') {
      // What the main thread would pay if the worker returned the value by structured clone.
      const clone = () => v8.deserialize(serialized);
      await warm(clone, warmMs);
      rows.push(toRow(label, 'clone-deserialize', 1, bytes, await measureMain(clone, durationMs)));
    }
  }
}

/** Run every case; rows follow the bench results shape plus the two main-thread columns. */
export async function runCodecSuite(options: CodecSuiteOptions): Promise<Row[]> {
  const full: Required<CodecSuiteOptions> = {
    durationMs: options.durationMs,
    sizes: options.sizes ?? [100, 10_000, 100_000, 300_000, 1_000_000],
    concurrency: options.concurrency ?? 8,
    only: options.only ?? /./,
  };
  const defaults = defaultCodecsOptions();
  const base = { protoFiles: [payloadProtoFile], offloadThresholdBytes: 0 };
  const main = createCodecs(base);
  const workerData = { protoFiles: [payloadProtoFile], protobuf: defaults.protobuf, msgpack: defaults.msgpack };
  const poolOptions = { idleTimeoutMs: 60_000, logger: silentLogger, workerData };
  const queued = { ...base, offloadsPerThread: Number.POSITIVE_INFINITY };
  const pools: Pools = {
    decode1: createCodecs({ ...queued, maxThreads: 1 }),
    decode2: createCodecs({ ...queued, maxThreads: 2 }),
    hybrid: createCodecs(base),
    encode: new CodecPool({ ...poolOptions, maxThreads: 1 }),
  };
  const rows: Row[] = [];
  try {
    for (const size of full.sizes) {
      const payload = makePayload(size);
      for (const { name, contentType } of CODECS) {
        const codec = main.get(contentType);
        const { typeName, value } = payload;
        // Own copy: the codec may hand out a view of a buffer it keeps writing after.
        const bytes = new Uint8Array(codec.encode(value, typeName));
        await benchFixture({ name, codec, contentType, typeName, value, bytes }, pools, full, rows);
      }
    }
  } finally {
    await Promise.all([main.close(), pools.decode1.close(), pools.decode2.close(), pools.hybrid.close(), pools.encode.close()]);
  }
  return rows;
}

function printTable(rows: Row[]): void {
  const cols = ['case', 'impl', 'concurrency', 'payloadBytes', 'opsPerSec', 'p50us', 'p99us', 'mainUsPerOp', 'mainCpuUsPerOp', 'loopDelayP99us'] as const;
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(line([...cols]));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c]))));
}

/** pool ÷ main for each case and size: latency (c=1), throughput (c=N) and main-thread cost. */
function printRatios(rows: Row[]): void {
  const head = ['case', 'bytes', 'p50 c=1', 'ops/s c=N', 'ops/s 2t', 'ops/s hybrid', 'cpu/op c=1', 'cpu/op c=N', 'delayP99 c=N', 'clone cpu'];
  console.log('\npool ÷ main');
  console.log(head.map((h, i) => (i === 0 ? h.padEnd(16) : h.padStart(12))).join(''));
  const ratio = (a: number | undefined, b: number) => (a === undefined || b === 0 ? '' : (a / b).toFixed(2));
  for (const m of rows.filter((r) => r.impl === 'micromesh-main')) {
    const find = (impl: string, many: boolean) =>
      rows.find((r) => r.case === m.case && r.payloadBytes === m.payloadBytes && r.impl === impl && r.concurrency > 1 === many);
    const one = find('micromesh-pool', false);
    const many = find('micromesh-pool', true);
    const cells = [
      ratio(one?.p50us, m.p50us),
      ratio(many?.opsPerSec, m.opsPerSec),
      ratio(find('micromesh-pool-2t', true)?.opsPerSec, m.opsPerSec),
      ratio(find('micromesh-hybrid', true)?.opsPerSec, m.opsPerSec),
      ratio(one?.mainCpuUsPerOp, m.mainCpuUsPerOp),
      ratio(many?.mainCpuUsPerOp, m.mainCpuUsPerOp),
      ratio(many?.loopDelayP99us, m.loopDelayP99us),
      ratio(find('clone-deserialize', false)?.mainCpuUsPerOp, m.mainCpuUsPerOp),
    ];
    console.log(m.case.padEnd(16) + String(m.payloadBytes).padStart(12) + cells.map((c) => c.padStart(12)).join(''));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const durationMs = Number(process.argv[2] ?? 1000);
  const only = process.argv[3] === undefined ? undefined : new RegExp(process.argv[3]);
  const sizes = process.argv[4]?.split(',').map(Number);
  const rows = await runCodecSuite({ durationMs, only, sizes });
  printTable(rows);
  printRatios(rows);
}

/** `npm run bench -- codec`: every row through the harness (1 s per row unless `--duration` says otherwise). */
export default async function codec(ctx: BenchContext): Promise<void> {
  const rows = await runCodecSuite({ durationMs: ctx.durationOverrideMs ?? 1000 });
  for (const row of rows) ctx.record(row);
  printRatios(rows);
}
